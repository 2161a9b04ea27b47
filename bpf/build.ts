// `npm run build`: the addon (node-gyp) when it is missing, then every *.bpf.c under labs/,
// solutions/ and tests/. Only what changed is rebuilt; clang's errors are printed as clang wrote them.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { CompileError, buildDir, repoRoot } from "./compile.ts";

const addon = join(repoRoot, "build", "Release", "bpf_addon.node");

function sourceDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  const dirs: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith(".bpf.c"))) dirs.push(dir);
    for (const e of entries) if (e.isDirectory() && e.name !== "node_modules") walk(join(dir, e.name));
  };
  walk(root);
  return dirs;
}

if (!existsSync(addon) || process.argv.includes("--addon")) {
  const gyp = spawnSync("npx", ["--no-install", "node-gyp", "rebuild", "--silent"], { cwd: repoRoot, stdio: "inherit" });
  if (gyp.status !== 0) process.exit(gyp.status ?? 1);
}

const force = process.argv.includes("--force");
let failed = 0;
for (const dir of ["labs", "solutions", "tests", "bench"].flatMap((d) => sourceDirs(join(repoRoot, d)))) {
  try {
    await buildDir(dir, { force });
  } catch (err) {
    failed++;
    if (err instanceof CompileError) console.error(err.message);
    else throw err;
  }
}
if (failed) {
  console.error(`build: ${failed} director${failed === 1 ? "y" : "ies"} failed to compile`);
  process.exit(1);
}
console.log(`build: BPF objects up to date (${relative(process.cwd(), repoRoot) || "."})`);
