// Command-line flags for grade.ts and run-lab.ts. `npm run grade lab1 --solution` (without
// `--`) makes npm swallow the flag, with a warning, and pass it as npm_config_solution=true
// instead; we accept it from there too, so both spellings work.
import { parseArgs } from "node:util";

export interface CliArgs {
  labs: string[];
  solution: boolean;
  json: boolean;
  verbose: boolean;
  help: boolean;
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
    },
  });
  return {
    labs: positionals,
    solution: values.solution ?? env.npm_config_solution === "true",
    json: values.json ?? env.npm_config_json === "true",
    verbose: values.verbose ?? env.npm_config_loglevel === "verbose",
    help: values.help ?? false,
  };
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
