// Command-line flags for grade.ts and run-lab.ts. `npm run grade lab1 --solution` (without
// `--`) makes npm swallow the flag, with a warning, and pass it as npm_config_solution=true
// instead; we accept it from there too, so both spellings work.
import { parseArgs } from "node:util";
import { reportFormats, type ReportFormat } from "./report-formats.ts";

export interface CliArgs {
  labs: string[];
  solution: boolean;
  json: boolean;
  verbose: boolean;
  help: boolean;
  /** Grade every lab that has checks (the default when no lab is named; explicit for reports). */
  all: boolean;
  /** Grade again on every save of the lab's files. */
  watch: boolean;
  /** Also write the whole grade in this format (to `out`, or stdout). */
  report?: ReportFormat;
  /** Where `report` goes, relative to the course root; stdout when absent. */
  out?: string;
  /** Grade under these kernels ("6.1", "6.12", "host", "all", or a comma-separated list) instead of this one. */
  kernel?: string;
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      solution: { type: "boolean" },
      json: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
      all: { type: "boolean" },
      watch: { type: "boolean", short: "w" },
      report: { type: "string" },
      out: { type: "string", short: "o" },
      kernel: { type: "string", short: "k" },
    },
  });
  const report = values.report ?? env.npm_config_report;
  if (report === "true") throw new Error("npm took --report for its own flag: put the grader's flags after --, as in npm run grade -- --all --report junit");
  if (report !== undefined && !(reportFormats as readonly string[]).includes(report)) {
    throw new Error(`--report must be one of ${reportFormats.join(", ")}, not '${report}'`);
  }
  const out = values.out ?? env.npm_config_out;
  const kernel = values.kernel ?? env.npm_config_kernel;
  if (kernel === "true") throw new Error("npm took --kernel for its own flag: put the grader's flags after --, as in npm run grade -- --kernel all --solution");
  if (out !== undefined && report === undefined) throw new Error("--out names the file for --report: add --report junit|csv|json|markdown");
  return {
    labs: positionals,
    solution: values.solution ?? env.npm_config_solution === "true",
    json: values.json ?? env.npm_config_json === "true",
    verbose: values.verbose ?? env.npm_config_loglevel === "verbose",
    help: values.help ?? false,
    all: values.all ?? env.npm_config_all === "true",
    watch: values.watch ?? env.npm_config_watch === "true",
    ...(report !== undefined && { report: report as ReportFormat }),
    ...(out !== undefined && { out }),
    ...(kernel !== undefined && { kernel }),
  };
}

/**
 * The arguments that make another grader (under sudo, in the VM) do what `args` says,
 * including flags that reached us through npm_config_* and would not reach it that way.
 */
export function toArgv(args: CliArgs): string[] {
  return [
    ...args.labs,
    ...(args.all ? ["--all"] : []),
    ...(args.solution ? ["--solution"] : []),
    ...(args.json ? ["--json"] : []),
    ...(args.verbose ? ["--verbose"] : []),
    ...(args.watch ? ["--watch"] : []),
    ...(args.report ? ["--report", args.report] : []),
    ...(args.out !== undefined ? ["--out", args.out] : []),
    ...(args.kernel !== undefined ? ["--kernel", args.kernel] : []),
  ];
}

/** parseArgs' own errors ("Unknown option '--jsn'") are already readable; this adds the usage. */
export function parseOrExit(argv: readonly string[], usage: string): CliArgs {
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      console.log(usage);
      process.exit(0);
    }
    return args;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    process.exit(2);
  }
}
