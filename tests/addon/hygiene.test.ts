// Nothing outlives its process: a loader killed with SIGKILL (no cleanup code runs) leaves no
// program in the kernel, because the kernel drops programs and links with their last fd.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { beforeAll, describe, expect, it } from "vitest";
import { addonFixture, addonFixtures, loadedPrograms, repoRoot, requireBpf } from "../helpers/kernel.ts";

describe.skipIf(!requireBpf())("lifecycle hygiene", () => {
  let path: string;
  beforeAll(async () => { path = await addonFixture("hygiene"); });

  it("a SIGKILLed loader's attached program disappears from bpftool prog show", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(addonFixtures, "hold-attached.ts"), path], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const stderr: string[] = [];
      child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
      const attached = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (line) => { if (line.startsWith("attached")) resolve(line); });
        child.on("exit", (code) => reject(new Error(`loader exited early (${code}): ${stderr.join("")}`)));
      });
      expect(attached).toMatch(/^attached \d+$/);
      // Ours is the id the child read from its program fd (other test runs may load their own copy).
      const id = Number(attached.split(" ")[1]);
      const ours = (await loadedPrograms()).find((p) => p.id === id && p.name === "addon_hyg_kill");
      expect(ours, "the child's program is loaded").toBeDefined();

      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      let remaining = true;
      // The kernel frees programs after an RCU grace period: poll, with a deadline.
      const deadline = Date.now() + 10_000;
      while (remaining && Date.now() < deadline) {
        remaining = (await loadedPrograms()).some((p) => p.id === ours!.id);
        if (remaining) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(remaining, `program id ${ours!.id} still loaded 10 s after SIGKILL`).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
