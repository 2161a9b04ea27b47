// `tsx vm/cli.ts --kernel 6.1 [--timeout 120] [--pass-env NAME]... [--console] -- <command...>`
// Runs the command under the kernel and exits with its exit status (124 on timeout, like
// timeout(1); 125 when the VM could not run it). `--kernel host` runs it here without a VM.
import { KERNEL_SERIES, KernelFetchError } from "./kernels.ts";
import { runInKernel, VmBootError } from "./run.ts";

const usage = `usage: tsx vm/cli.ts --kernel <${[...KERNEL_SERIES.map((s) => s.alias), "host"].join("|")}|linux-image-…> ` +
  `[--timeout <seconds>] [--pass-env NAME]... [--console] [--timings] -- <command> [args...]`;

function parse(argv: string[]) {
  const split = argv.indexOf("--");
  const flags = split < 0 ? argv : argv.slice(0, split);
  const command = split < 0 ? [] : argv.slice(split + 1);
  let kernel: string | undefined;
  let timeoutMs: number | undefined;
  const passEnv: string[] = [];
  let showConsole = false;
  let timings = false;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    const value = () => {
      const v = flags[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--kernel") kernel = value();
    else if (flag === "--timeout") timeoutMs = Number(value()) * 1000;
    else if (flag === "--pass-env") passEnv.push(value());
    else if (flag === "--console") showConsole = true;
    else if (flag === "--timings") timings = true;
    else throw new Error(`unknown option ${flag}`);
  }
  if (!kernel || command.length === 0) throw new Error("--kernel and a command after -- are required");
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new Error("--timeout must be a positive number of seconds");
  return { kernel, timeoutMs, passEnv, showConsole, timings, command };
}

let args: ReturnType<typeof parse>;
try {
  args = parse(process.argv.slice(2));
} catch (err) {
  console.error(`vm: ${(err as Error).message}\n${usage}`);
  process.exit(2);
}

const abort = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => abort.abort());

try {
  const result = await runInKernel({
    kernel: args.kernel,
    command: args.command,
    passEnv: args.passEnv,
    ...(args.timeoutMs !== undefined && { timeoutMs: args.timeoutMs }),
    ...(args.showConsole && { console: process.stderr }),
    signal: abort.signal,
  });
  if (args.timings) {
    const t = result.timings;
    console.error(`vm: ${result.packageName} (${result.release}, ${result.accelerator}) prepare ${t.prepareMs} ms, boot ${t.bootMs} ms, ` +
      `command ${t.commandMs} ms, total ${t.totalMs} ms${result.attempts > 1 ? ", after one retried boot" : ""}`);
  }
  if (result.timedOut) console.error(`vm: timed out; the command was killed`);
  process.exitCode = result.exitCode ?? (result.aborted ? 130 : 124);
} catch (err) {
  if (err instanceof VmBootError || err instanceof KernelFetchError) console.error(`vm: ${err.message}`);
  else console.error(err);
  process.exitCode = 125;
}
