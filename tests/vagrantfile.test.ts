// The Vagrantfile is checked with `vagrant validate` (boxes cannot be downloaded here, so the
// VM itself is not booted; its provisioning script is the one CI runs on this machine).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const haveVagrant = spawnSync("vagrant", ["--version"]).status === 0;

describe.skipIf(!haveVagrant && !process.env.CI)("Vagrantfile", () => {
  it("validates", () => {
    const out = execFileSync("vagrant", ["validate", "--ignore-provider"], { encoding: "utf8" });
    expect(out).toMatch(/validated successfully/);
  });

  it("rejects a non-numeric VM size with Ruby's error instead of booting a broken VM", () => {
    const run = spawnSync("vagrant", ["validate", "--ignore-provider"], { encoding: "utf8", env: { ...process.env, EBPF_VM_CPUS: "many" } });
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/invalid value for Integer/);
  });

  it("provisions with the same script as CI", () => {
    const vagrantfile = readFileSync(new URL("../Vagrantfile", import.meta.url), "utf8");
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(vagrantfile).toContain("scripts/provision.sh");
    expect(ci).toContain("scripts/provision.sh");
  });
});
