// The "Kernel compatibility" page, made at build time from the last kernel matrix run
// (.grades/matrix.json, written by `npm run grade -- --kernel all --solution`): which kernels
// every lab was proven on, with which toolchain, and what each kernel offers BPF. Never
// written by hand, never committed: without a run the page says how to make one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelFeatures } from "../grader/lib/features.ts";
import { labCell, type KernelGrade, type MatrixRecord } from "../grader/lib/matrix.ts";

export const compatibilityTitle = "Kernel compatibility";
/** Where the page's data comes from, relative to the repository root. */
export const matrixRecordPath = ".grades/matrix.json";

const howToRun = [
  "Run the matrix (as root, on an x86_64 Linux host; `bash vm/provision-vm.sh` installs QEMU once):",
  "",
  "```sh",
  "npm run grade -- --kernel all --solution   # Debian's 6.1 and 6.12 under QEMU, then this machine's kernel",
  "npm run docs                                # this page, made from .grades/matrix.json",
  "```",
  "",
  "`--kernel 6.1`, `--kernel 6.12` or `--kernel host` grades under one kernel; the BPF objects are",
  "compiled on the host first (CO-RE objects load on every kernel) and the guest runs the grader",
  "with its time limits stretched for an emulated CPU.",
].join("\n");

/** The page's Markdown from the record under `root`, or the "no matrix run yet" page. */
export function compatibilityMarkdown(root: string): string {
  const file = join(root, matrixRecordPath);
  const record = existsSync(file) ? parseRecord(readFileSync(file, "utf8")) : undefined;
  if (!record) {
    return [`# ${compatibilityTitle}`, "", `**No matrix run yet** (there is no \`${matrixRecordPath}\` in this checkout).`, "", howToRun, ""].join("\n");
  }
  return [
    `# ${compatibilityTitle}`,
    "",
    `Made from the last kernel matrix run, ${record.timestamp.replace("T", " ").replace(/\.\d+Z$/, " UTC")}: ` +
      `the ${record.solution ? "reference solutions" : "labs in labs/"} graded under each kernel below.`,
    "",
    `Toolchain (the same for every kernel): clang ${record.toolchain.clang}, libbpf ${record.toolchain.libbpf}, ` +
      `Node.js ${record.toolchain.node}, objects compiled on a host running Linux ${record.toolchain.hostRelease}.`,
    "",
    "## Labs",
    "",
    ...resultsTable(record),
    ...notes(record),
    "",
    "## What each kernel offers BPF",
    "",
    ...featuresTable(record.kernels),
    "",
    "## libbpf versions",
    "",
    "The addon links the system's libbpf: 1.1 on Debian 12, 1.3 on the course VM's Ubuntu 24.04. " +
      "It uses only what 1.1 has, and `npm test` also runs the addon's tests and grades every lab's " +
      "reference solution with the addon linked against libbpf 1.5 (`scripts/with-libbpf.sh`, built from Debian's source).",
    "",
    "## Running it again",
    "",
    howToRun,
    "",
  ].join("\n");
}

function parseRecord(text: string): MatrixRecord | undefined {
  try {
    const record = JSON.parse(text) as Partial<MatrixRecord>;
    return Array.isArray(record.kernels) && record.toolchain && typeof record.timestamp === "string" ? (record as MatrixRecord) : undefined;
  } catch {
    return undefined;
  }
}

const row = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;

function kernelLabel(k: KernelGrade): string {
  return k.kernel === "host" ? "host" : `${k.kernel} (${k.packageName}, QEMU ${k.accelerator})`;
}

function resultsTable(record: MatrixRecord): string[] {
  const labs = [...new Map(record.kernels.flatMap((k) => k.labs).map((l) => [l.lab, l.slug])).entries()].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }));
  const header = ["Kernel", "Release", ...labs.map(([id, slug]) => `${id} (${slug})`), "Total"];
  return [
    row(header),
    row(header.map((_, i) => (i < 2 ? "---" : ":---:"))),
    ...record.kernels.map((k) => row([
      kernelLabel(k),
      `\`${k.release}\``,
      ...labs.map(([id]) => verdict(labCell(k.labs.find((l) => l.lab === id)))),
      k.error ? "**did not complete**" : verdict(`${k.score}/${k.max}`),
    ])),
  ];
}

/** "9/9" -> "✅ 9/9"; below full marks, unsupported or missing stand out. */
function verdict(cell: string): string {
  const score = /^(\d+)\/(\d+)$/.exec(cell);
  if (score) return score[1] === score[2] ? `✅ ${cell}` : `❌ ${cell}`;
  return cell === "UNSUPPORTED" ? "⚠️ unsupported" : cell;
}

function notes(record: MatrixRecord): string[] {
  const lines = record.kernels.flatMap((k) => [
    ...(k.error ? [`- ${k.kernel}: ${k.error.split("\n")[0]}`] : []),
    ...(k.attempts > 1 ? [`- ${k.kernel}: its first boot failed and was retried once (${k.retried ?? "no reason recorded"}).`] : []),
    ...k.labs.flatMap((l) => (l.unsupported ?? []).map((u) => `- ${k.kernel}, ${l.lab}: ${u}.`)),
  ]);
  return lines.length > 0 ? ["", ...lines] : [];
}

function featuresTable(kernels: readonly KernelGrade[]): string[] {
  const header = ["Feature", "Since", ...kernels.map((k) => k.kernel)];
  return [
    row(header),
    row(header.map((_, i) => (i < 2 ? "---" : ":---:"))),
    ...Object.values(kernelFeatures).map((f) => row([
      f.description,
      `Linux ${f.since}`,
      ...kernels.map((k) => (k.features === undefined || !(f.name in k.features) ? "?" : k.features[f.name] ? "yes" : "**no**")),
    ])),
  ];
}
