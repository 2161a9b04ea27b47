// `npm run lab <lab> [-- --solution] [-- loader args]`: builds a lab's BPF code and runs its
// loader the way the grader does (node --import tsx), with the terminal attached, until it
// ends or Ctrl-C.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { join, relative } from "node:path";
import { buildLab } from "./lib/build.ts";
import { cliLayout } from "./lib/layout.ts";
import { tsxCommand } from "./lib/loader.ts";
import { discoverLabs, labDir, resolveLab, type LabInfo } from "./lib/registry.ts";
import { loadLabSpec } from "./lib/runner.ts";
import { preflightProblems } from "./preflight.ts";

const usage = `usage: npm run lab <lab> [-- --solution] [-- <lab> <loader arguments>]
  lab         lab1, 1, lab01 or its name (hello)
  --solution  run the reference solution instead of your lab
  anything after the lab name goes to the loader: npm run lab -- 6 --iface veth0`;

function fail(message: string, code = 2): never {
  console.error(`lab: ${message}`);
  process.exit(code);
}

// Not parseArgs: every argument after the lab's name belongs to the loader, whatever it is.
const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(usage);
  process.exit(0);
}
const solution = argv.includes("--solution") || process.env.npm_config_solution === "true";
const [labName, ...loaderArgs] = argv.filter((arg) => arg !== "--solution");

const layout = cliLayout();
const available = discoverLabs(layout);
if (labName === undefined) fail(`name a lab (${available.map((l) => l.id).join(", ")})\n${usage}`);
const problems = preflightProblems(`npm run lab ${labName}`);
if (problems.length > 0) fail(`this machine is not ready for the labs:\n  ${problems.join("\n  ")}`);

let lab: LabInfo;
try {
  lab = resolveLab(available, labName);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const dir = labDir(layout, lab, solution);
const build = await buildLab(dir);
if (!build.ok) fail(`the BPF code in ${relative(layout.root, dir)} did not compile; clang said:\n${build.message}`, 1);

const loader = join(dir, (await loadLabSpec(layout, lab)).loader);
const { command, args } = tsxCommand(loader, loaderArgs);
console.error(`lab: running ${[relative(layout.root, loader), ...loaderArgs].join(" ")}`);
const child = spawn(command, args, { cwd: layout.root, stdio: "inherit" });

// Ctrl-C reaches the loader directly (same terminal process group): let it clean up and
// finish, and exit with its status. Signals sent to this process alone are passed on.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("error", (err) => fail(`could not start node: ${err.message}`, 1));
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
