// The addon is written against Debian 12's libbpf 1.1 and must work on the libbpf students'
// VMs have (Ubuntu 24.04: 1.3) and later. scripts/with-libbpf.sh builds a copy of the course
// with the addon statically linked against libbpf 1.5 (Debian's source); the addon's own
// tests, then the grader on every lab's reference solution, run in that copy, on the real kernel.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot, requireBpf, runNodeToEnd } from "./helpers/kernel.ts";

const run = promisify(execFile);
const newer = "1.5.0";

describe.skipIf(!requireBpf())(`the addon on a newer libbpf (${newer})`, () => {
  it("builds against it, passes the addon's own tests and grades every solution to full marks", async () => {
    const copy = join(mkdtempSync(join(tmpdir(), "libbpf-newer-")), "course");
    try {
      await run("bash", [join(repoRoot, "scripts/with-libbpf.sh"), newer, copy], { cwd: repoRoot, timeout: 400_000 });
      const { stdout: version } = await run(process.execPath, ["--import", "tsx", "-e", 'import("#bpf").then((m) => console.log(m.libbpfVersion))'], { cwd: copy });
      expect(version.trim()).toBe(`v${newer.split(".").slice(0, 2).join(".")}`);

      const tests = await runNodeToEnd(["node_modules/vitest/vitest.mjs", "run", "tests/addon", "tests/btf.test.ts"], { cwd: copy, timeout: 300_000 });
      // vitest colours its summary even without a TTY when FORCE_COLOR is set: match loosely.
      const plain = `${tests.stdout}\n${tests.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
      expect(tests.code, plain.split("\n").filter((l) => /FAIL|×|Error/.test(l)).slice(0, 40).join("\n")).toBe(0);
      expect(plain).toMatch(/Tests\s+\d+ passed/);
      expect(plain).not.toMatch(/skipped/);

      // And every lab's reference solution, graded there as students grade theirs.
      const graded = await runNodeToEnd(["--import", "tsx", "grader/grade.ts", "--solution"], { cwd: copy, timeout: 300_000, maxBuffer: 16 << 20 });
      expect(graded.code, `${graded.stdout}\n${graded.stderr}`).toBe(0);
      expect(graded.stdout).toMatch(/^Score: (\d+)\/\1$/m);
    } finally {
      rmSync(join(copy, ".."), { recursive: true, force: true });
    }
  }, 720_000);
});
