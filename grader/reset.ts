// `npm run reset <lab>`: puts a lab's starter files back as committed in git, after asking,
// and keeps the student's current files in .grades/backup/<lab>-<time>/.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { confirm } from "./lib/confirm.ts";
import { failCommand, parseCommand } from "./lib/command.ts";
import { cliLayout } from "./lib/layout.ts";
import { discoverLabs, labDir, resolveLab, type LabInfo } from "./lib/registry.ts";
import { backupDir, findStarter, restoreStarter, type Starter } from "./lib/starter.ts";

const usage = `usage: npm run reset <lab> [-- --yes] [-- --from <git revision>]
  lab     lab3, 3 or its name
  --yes   do not ask first
  --from  restore the files as they are in this revision (default HEAD, your last commit)
Your current files are copied to .grades/backup/<lab>-<time>/ first.`;

function fail(message: string): never {
  return failCommand("reset", message);
}

const { values, positionals } = parseCommand("reset", { yes: { type: "boolean", short: "y" }, from: { type: "string" } } as const, usage);
const yes = values.yes ?? process.env.npm_config_yes === "true";
const rev = values.from ?? "HEAD";
if (positionals.length !== 1) fail(`name one lab\n${usage}`);

const layout = cliLayout();
let lab: LabInfo;
try {
  lab = resolveLab(discoverLabs(layout), positionals[0]!);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const dir = labDir(layout, lab, false);
const shown = relative(layout.root, dir);

let starter: Starter;
try {
  starter = findStarter(dir, rev);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

if (!yes) {
  if (!process.stdin.isTTY) fail(`this would overwrite ${shown} and nothing is here to ask: add --yes (npm run reset -- ${lab.id} --yes)`);
  const question = `Put ${shown} back as in ${rev} (${starter.files.join(", ")})? Your current files are backed up first.`;
  if (!(await confirm(question))) {
    console.log("reset: nothing changed");
    process.exit(1);
  }
}

// Colons are not welcome in every file system (a VM's shared folder on Windows).
const stamp = new Date().toISOString().replace(/\.\d+Z$/, "").replaceAll(":", "-");
let backup = join(layout.gradesDir, "backup", `${lab.id}-${stamp}`);
for (let n = 2; existsSync(backup); n++) backup = join(layout.gradesDir, "backup", `${lab.id}-${stamp}-${n}`);
const saved = backupDir(dir, backup);
restoreStarter(dir, starter);
console.log(`reset: backed up ${saved} file${saved === 1 ? "" : "s"} to ${relative(layout.root, backup)}`);
console.log(`reset: restored ${starter.files.join(", ")} in ${shown} as in ${rev}`);
