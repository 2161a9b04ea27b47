// Running the grade where BPF can load when this process cannot: the same command again
// under sudo, or inside the course VM through `vagrant ssh`. The output streams through (the
// child shares our terminal) and its exit code becomes ours.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { whereToGrade, parseVagrantStatus, vmCommand, type GradingPlace, type HostFacts, type VagrantState } from "./host.ts";
import { repoRoot } from "./layout.ts";
import { tsxCommand } from "./loader.ts";

/** The machine's facts, probing sudo and vagrant only if the decision needs them. */
export function decideWhereToGrade(env: NodeJS.ProcessEnv = process.env): GradingPlace {
  let facts: HostFacts = {
    platform: process.platform,
    uid: process.getuid?.(),
    btf: existsSync("/sys/kernel/btf/vmlinux"),
    forceHost: env.EBPF_COURSE_FORCE_HOST === "1",
    elevated: env[elevatedMark] === "1",
  };
  for (;;) {
    const decision = whereToGrade(facts);
    if (decision.where !== "unknown") return decision;
    facts = decision.needs === "vagrant" ? { ...facts, vagrant: vagrantState() } : { ...facts, passwordlessSudo: passwordlessSudo() };
  }
}

function passwordlessSudo(): boolean {
  return spawnSync("sudo", ["-n", "true"], { stdio: "ignore", timeout: 10_000 }).status === 0;
}

function vagrantState(): VagrantState {
  // From the repository root: that is where the Vagrantfile (and .vagrant/, the VM's id) are.
  const run = spawnSync("vagrant", ["status", "--machine-readable"], { cwd: repoRoot(), encoding: "utf8", timeout: 60_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return { installed: false };
  return { installed: true, state: run.status === 0 ? parseVagrantStatus(run.stdout) : "unknown" };
}

/** Set in the environment of the re-run under sudo. */
const elevatedMark = "EBPF_COURSE_ELEVATED";

// Settings that change how grading behaves; PATH so root finds the student's clang and node.
const forwardedEnv = /^(?:GRADER_\w+|EBPF_COURSE_\w+|PATH|TMPDIR|NO_COLOR|FORCE_COLOR|CI|TERM)$/;

/** Grades under sudo or in the VM with `argv` (our own arguments); resolves with its exit code. */
export function gradeElsewhere(place: Extract<GradingPlace, { where: "sudo" | "vm" }>, argv: readonly string[], script: string): Promise<number> {
  if (place.where === "vm") {
    const command = vmCommand(argv);
    process.stderr.write(`grade: this machine cannot load BPF programs; grading in the course VM:\n  vagrant ssh -c "${command}"\n`);
    return runAttached("vagrant", ["ssh", "-c", command], repoRoot());
  }
  // Not `sudo npm run grade`: npm would run the pregrade setup again, as root. The same node,
  // tsx and script, with the settings that matter (sudo resets the environment).
  const env = Object.entries(process.env)
    .filter(([name, value]) => forwardedEnv.test(name) && name !== "EBPF_COURSE_FORCE_HOST" && name !== elevatedMark && value !== undefined)
    .map(([name, value]) => `${name}=${value}`);
  env.push(`${elevatedMark}=1`);
  const { command, args } = tsxCommand(script, argv);
  process.stderr.write("grade: loading BPF programs needs root; grading again under sudo\n");
  return runAttached("sudo", ["-n", "--", "env", ...env, command, ...args], process.cwd());
}

/**
 * Runs a command on our terminal and resolves with its exit code (128 + signal if killed).
 * A terminal's Ctrl-C reaches the child directly (same process group), so we only wait for
 * it to finish; SIGTERM and SIGHUP sent to us alone are passed on.
 */
function runAttached(command: string, args: readonly string[], cwd: string): Promise<number> {
  const child = spawn(command, args, { cwd, stdio: "inherit" });
  const ignore = () => {};
  const pass = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", ignore);
  process.on("SIGTERM", pass);
  process.on("SIGHUP", pass);
  return new Promise<number>((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`grade: could not run ${command}: ${err.message}\n`);
      resolve(2);
    });
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 1)));
  }).finally(() => {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", pass);
    process.off("SIGHUP", pass);
  });
}
