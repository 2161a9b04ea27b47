// The small commands (hint, reset, ...) parse their arguments the same way: node's parseArgs,
// `--help` prints the usage, and a bad flag prints the error and the usage, exit 2.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Exits with `<command>: <message>` on stderr and status 2 (could not start). */
export function failCommand(command: string, message: string): never {
  console.error(`${command}: ${message}`);
  process.exit(2);
}

/** Parses this process's arguments with `options` (plus -h/--help), or exits with the usage. */
export function parseCommand<O extends Options>(command: string, options: O, usage: string) {
  try {
    const parsed = parseArgs({ allowPositionals: true, options: { ...options, help: { type: "boolean", short: "h" } } });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed as ReturnType<typeof parseArgs<{ allowPositionals: true; options: O }>>;
  } catch (err) {
    failCommand(command, `${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
}
