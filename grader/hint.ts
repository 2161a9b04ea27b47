// `npm run hint [lab] [n]`: the lab's next hint, one at a time, from its README's "Hints"
// section. With a number, the next part of that hint (its "Still stuck?"). Remembers what
// was shown in .grades/hints.json.
import { relative } from "node:path";
import { loadHintLog, nextHint, saveHintLog, shownSoFar, type HintStep } from "./lib/hint-log.ts";
import { parseHints } from "./lib/hints.ts";
import { labNamedOrLast } from "./lib/lab-args.ts";
import { failCommand, parseCommand } from "./lib/command.ts";
import { cliLayout } from "./lib/layout.ts";
import { readLabReadme, readmeSection } from "./lib/readme.ts";
import { discoverLabs } from "./lib/registry.ts";
import { painter } from "./lib/report.ts";

const usage = `usage: npm run hint [lab] [number] [-- --all | --reset]
  lab       lab3, 3 or its name; default: the lab you graded last
  number    the next part of that hint ("Still stuck?"); default: the next hint you have not seen
  --all     every hint you have seen so far in this lab
  --reset   forget which hints you have seen (of this lab, or of every lab without a name)`;

function fail(message: string): never {
  return failCommand("hint", message);
}

const { values, positionals } = parseCommand("hint", { all: { type: "boolean" }, reset: { type: "boolean" } } as const, usage);
// `npm run hint lab3 --all` without `--`: npm keeps the flag and passes it as npm_config_all.
const all = values.all ?? process.env.npm_config_all === "true";
const reset = values.reset ?? process.env.npm_config_reset === "true";
// A lone number is a hint number when no lab is named (`npm run hint 2` is ambiguous: lab 2 wins).
const [labName, numberText, ...extra] = positionals;
if (extra.length > 0) fail(`too many arguments: ${extra.join(" ")}\n${usage}`);
const number = numberText === undefined ? undefined : Number(numberText);
if (number !== undefined && !(Number.isInteger(number) && number > 0)) fail(`'${numberText}' is not a hint number\n${usage}`);

const layout = cliLayout();
const labs = discoverLabs(layout);
const log = loadHintLog(layout);

if (reset && labName === undefined) {
  saveHintLog(layout, {});
  console.log("hint: forgot every hint you have seen; npm run hint <lab> starts again from hint 1");
  process.exit(0);
}

let lab;
try {
  lab = labNamedOrLast(layout, labs, labName);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
if (!lab) fail(`name a lab (${labs.map((l) => l.id).join(", ")}): you have not graded any yet\n${usage}`);

if (reset) {
  delete log[lab.id];
  saveHintLog(layout, log);
  console.log(`hint: forgot the hints of ${lab.id} you have seen; npm run hint ${lab.id} starts again from hint 1`);
  process.exit(0);
}

const readme = `${relative(layout.root, layout.labsDir)}/${lab.dirName}/README.md`;
const hints = parseHints(readmeSection(readLabReadme(layout, lab), "Hints") ?? "");
if (hints.length === 0) fail(`${readme} has no hints (no "## Hints" section with <details> blocks or a numbered list)`);
const shown = (log[lab.id] ??= {});
const c = painter(process.stdout);

/** Prints one part of a hint, with its title. */
function show({ hint, part }: HintStep): void {
  const label = hint.parts[part]!.label;
  const title = `${lab!.id}, hint ${hint.number} of ${hints.length}${hint.title ? `: ${hint.title}` : ""}${label ? ` (${label})` : ""}`;
  console.log(`${c.bold(title)}\n\n${hint.parts[part]!.text}\n`);
}

if (all) {
  const steps = shownSoFar(hints, shown);
  if (steps.length === 0) console.log(`hint: you have not seen any hint of ${lab.id} yet: npm run hint ${lab.id}`);
  steps.forEach(show);
  process.exit(0);
}

const step = nextHint(hints, shown, number);
if (!step) {
  if (number !== undefined) fail(`${lab.id} has no hint ${number}; its hints are ${hints.map((h) => h.number).join(", ")}`);
  console.log(`hint: you have seen all ${hints.length} hints of ${lab.id}.`);
  console.log(`  npm run hint ${lab.id} <n>     more of hint n, where it has more`);
  console.log(`  npm run hint -- ${lab.id} --all  every hint you have seen`);
  process.exit(0);
}
show(step);
shown[step.hint.number] = Math.max(shown[step.hint.number] ?? 0, step.part + 1);
saveHintLog(layout, log);

const more = step.part + 1 < step.hint.parts.length;
const unseen = hints.some((h) => (shown[h.number] ?? 0) === 0);
const next: string[] = [];
if (more) next.push(`still stuck? npm run hint ${lab.id} ${step.hint.number}`);
if (unseen) next.push(`the next hint: npm run hint ${lab.id}`);
if (!more && number !== undefined) next.push(`that is all of hint ${step.hint.number}`);
if (next.length > 0) console.log(c.dim(next.join("; ")));
