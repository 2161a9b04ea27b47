// The grader's machinery, on fake labs in a temp dir: names, scoring, failure reports, JSON,
// and above all cleanup: after a timeout or a Ctrl-C no process may be left behind.
// (Lab 1 on the real kernel is tests/lab1.test.ts.)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseCliArgs } from "../grader/lib/args.ts";
import { courseLayout, repoRoot, type CourseLayout } from "../grader/lib/layout.ts";
import { tsxCommand } from "../grader/lib/loader.ts";
import { mentionsNumber, mentionsPath, unmet } from "../grader/lib/match.ts";
import { ProcessGroup, liveGroupMembers, waitUntil } from "../grader/lib/processes.ts";
import { UnknownLabError, discoverLabs, resolveLab, type LabInfo } from "../grader/lib/registry.ts";
import { silentReporter } from "../grader/lib/report.ts";
import { stderrExcerpt } from "../grader/lib/stderr.ts";
import { exitCode, summarize, type GradeReport, type LabResult } from "../grader/lib/results.ts";
import { gradeLab } from "../grader/lib/runner.ts";
import { preflightProblems } from "../grader/preflight.ts";

// The command line refuses to run without root, clang, bpftool...: off such a machine these
// tests are skipped, except in CI, where they must run (and fail loudly if they cannot).
const machineReady = preflightProblems().length === 0 || Boolean(process.env.CI);

const libUrl = pathToFileURL(join(repoRoot(), "grader", "lib")).href;
const courses: string[] = [];
afterAll(() => courses.forEach((root) => rmSync(root, { recursive: true, force: true })));

interface FakeLab {
  /** Source of the lab's loader.ts. */
  loader: string;
  /** Body of grader/labs/labN.ts after the imports: must `export default defineLab(...)`. */
  checks: string;
  /** More files in the lab directory. */
  files?: Record<string, string>;
}

/** A course in a temp dir: labs/<dirName>/loader.ts and grader/labs/labN.ts for each lab. */
function fakeCourse(labs: Record<string, FakeLab>): CourseLayout {
  const root = mkdtempSync(join(tmpdir(), "grader-test-"));
  courses.push(root);
  const layout = courseLayout(root);
  const write = (file: string, text: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  write(join(root, "package.json"), `{ "type": "module" }\n`); // loaders use top-level await
  for (const [dirName, lab] of Object.entries(labs)) {
    const dir = join(layout.labsDir, dirName);
    write(join(dir, "loader.ts"), lab.loader);
    for (const [name, text] of Object.entries(lab.files ?? {})) write(join(dir, name), text);
    const imports = `import { check, defineLab, once } from "${libUrl}/lab.ts";\nimport { CheckFailure } from "${libUrl}/failure.ts";\n`;
    write(join(layout.checksDir, `lab${/^lab(\d+)/.exec(dirName)![1]}.ts`), imports + lab.checks);
  }
  return layout;
}

function onlyLab(layout: CourseLayout): LabInfo {
  return discoverLabs(layout)[0]!;
}

const grade = (layout: CourseLayout) => gradeLab(onlyLab(layout), { layout, solution: false, reporter: silentReporter });

// Loaders that need no BPF: the grader sees them as ready at once when a lab expects 0 attachments.
const chattyLoader = `console.log("ready"); console.log("value 42"); setInterval(() => {}, 1000);\n`;
const crashingLoader = `console.log("starting"); console.error("boom: cannot load"); process.exit(3);\n`;
/** Starts a grandchild, records both pids, ignores Ctrl-C and never attaches: the worst case for cleanup. */
const stubbornLoader = `
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
const child = spawn("sleep", ["300"], { stdio: "ignore" });
process.on("SIGINT", () => {});
writeFileSync(new URL("./pids", import.meta.url), \`\${process.pid} \${child.pid}\`);
setInterval(() => {}, 1000);
`;

function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function recordedPids(layout: CourseLayout, dirName: string): number[] {
  return readFileSync(join(layout.labsDir, dirName, "pids"), "utf8").split(" ").map(Number);
}

describe("lab registry", () => {
  const layout = fakeCourse({
    "lab10-xdp": { loader: "", checks: "" },
    "lab1-hello": { loader: "", checks: "" },
    "lab2-maps": { loader: "", checks: "" },
  });
  mkdirSync(join(layout.labsDir, "notes"));
  writeFileSync(join(layout.labsDir, "lab3-file-not-dir"), "");
  const labs = discoverLabs(layout);

  it("finds labN-slug directories, in lab order", () => {
    expect(labs.map((l) => l.id)).toEqual(["lab1", "lab2", "lab10"]);
    expect(labs[0]).toMatchObject({ number: 1, slug: "hello", dirName: "lab1-hello" });
  });

  it.each(["lab1", "1", "lab01", "01", "hello", "lab1-hello", "LAB1", "lab1-hello/"])("resolves '%s' to lab1", (name) => {
    expect(resolveLab(labs, name).id).toBe("lab1");
  });

  it("tells lab1 from lab10", () => {
    expect(resolveLab(labs, "10").slug).toBe("xdp");
  });

  it("names the available labs when a name is unknown", () => {
    expect(() => resolveLab(labs, "lab7")).toThrow(UnknownLabError);
    expect(() => resolveLab(labs, "hallo")).toThrow("available labs: lab1 (hello), lab2 (maps), lab10 (xdp)");
  });
});

describe("matching output", () => {
  it("finds a path only as a whole word", () => {
    expect(mentionsPath("hello from execve: pid 1 file /tmp/a/prog-x", "/tmp/a/prog-x")).toBe(true);
    expect(mentionsPath("file=/tmp/a/prog-x,", "/tmp/a/prog-x")).toBe(true);
    expect(mentionsPath("file /tmp/a/prog-xy", "/tmp/a/prog-x")).toBe(false);
    expect(mentionsPath("file /tmp/a/prog-x/y", "/tmp/a/prog-x")).toBe(false);
    expect(mentionsPath("file /b/tmp/a/prog-x", "/tmp/a/prog-x")).toBe(false);
  });

  it("finds a number only on its own", () => {
    expect(mentionsNumber("pid 4242 file /x", 4242)).toBe(true);
    expect(mentionsNumber("pid=4242, tid=1", 4242)).toBe(true);
    expect(mentionsNumber("pid 14242", 4242)).toBe(false);
    expect(mentionsNumber("pid 42421", 4242)).toBe(false);
    expect(mentionsNumber("/tmp/grade-4242/prog", 4242)).toBe(false);
    expect(mentionsNumber("x4242", 4242)).toBe(false);
  });

  it("counts exactly when a count is given, at least one otherwise", () => {
    const lines = ["a 1", "a 2", "b"];
    const has = (s: string) => (line: string) => line.startsWith(s);
    expect(unmet(lines, [{ label: "a", matches: has("a") }])).toEqual([]);
    expect(unmet(lines, [{ label: "a", matches: has("a"), count: 1 }])).toEqual(["a: wanted 1 line, saw 2"]);
    expect(unmet(lines, [{ label: "c", matches: has("c") }])).toEqual(["c: wanted a line, saw 0"]);
  });
});

describe("a loader's stderr", () => {
  it("shows the message of an uncaught error, not Node's whole report of it", () => {
    const stderr = [
      "/work/main/native/errors.ts:95",
      "  kind === ...",
      "",
      "VerifierError: the verifier rejected program 'handle_execve'",
      "  at hello.bpf.c:21: filename[0] = *p;",
      "    at BpfObject.load (/work/main/native/object.ts:125:17)",
      "  log: '0: R1=ctx() R10=fp0\\n' +",
    ];
    expect(stderrExcerpt(stderr)).toEqual([
      { mark: "!", text: "VerifierError: the verifier rejected program 'handle_execve'" },
      { mark: "!", text: "  at hello.bpf.c:21: filename[0] = *p;" },
      { mark: " ", text: "... 5 more lines of stderr not shown: run the lab with `npm run lab` to see it all" },
    ]);
  });

  it("shows the last lines of anything else", () => {
    const stderr = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const shown = stderrExcerpt(stderr);
    expect(shown[0]).toEqual({ mark: "!", text: "line 10" });
    expect(shown.at(-1)?.text).toMatch(/^\.\.\. 10 more lines/);
  });
});

describe("command-line flags", () => {
  it("reads flags after --, and flags npm swallowed without it", () => {
    expect(parseCliArgs(["lab1", "--json"], {})).toMatchObject({ labs: ["lab1"], json: true, solution: false });
    expect(parseCliArgs(["lab1"], { npm_config_solution: "true" })).toMatchObject({ solution: true, json: false });
  });
});

describe("grading a fake lab", () => {
  const scoring = fakeCourse({
    "lab1-fake": {
      loader: chattyLoader,
      checks: `
export default defineLab({ loader: "loader.ts", attachments: 0, checks: [
  check("sees the value", 2, async (t) => {
    const loader = await t.loader();
    await loader.waitForOutput((lines) => lines.includes("value 42"));
    loader.expectLines([{ label: "value 42", matches: (l) => l === "value 42", count: 1 }], { expected: "the value" });
  }),
  check("sees another value", 3, async (t) => {
    const loader = await t.loader();
    loader.expectLines([{ label: "value 7", matches: (l) => l === "value 7" }], { expected: "value 7", relevant: (l) => l.startsWith("value") });
  }, { hint: 2 }),
  check("throws", 1, () => { throw new Error("grader bug"); }),
  check("hangs", 1, () => new Promise(() => {}), { timeoutMs: 300 }),
]});
`,
    },
  });

  let result: LabResult;
  it("scores the passing checks only", async () => {
    result = await grade(scoring);
    expect(result.checks.map((c) => [c.name, c.passed])).toEqual([
      ["sees the value", true],
      ["sees another value", false],
      ["throws", false],
      ["hangs", false],
    ]);
    expect([result.score, result.max]).toEqual([2, 7]);
  }, 30_000);

  it("explains a failure with the relevant lines, what is missing, and where the hint is", () => {
    expect(result.checks[1]!.failure).toMatchObject({
      expected: "value 7",
      seen: [{ mark: "-", text: "value 42" }],
      missing: ["value 7: wanted a line, saw 0"],
      hint: 'read hint 2 in labs/lab1-fake/README.md (section "Hints"), or type: npm run hint lab1 2',
    });
  });

  it("fails a check that throws, or runs past its time limit", () => {
    expect(result.checks[2]!.failure?.message).toBe("error: grader bug");
    expect(result.checks[3]!.failure?.message).toBe("timed out after 0.3s");
  });

  it("exits non-zero below full marks only", () => {
    const full = { ...result, score: result.max };
    expect(exitCode(summarize([result]))).toBe(1);
    expect(exitCode(summarize([full]))).toBe(0);
    expect(exitCode(summarize([]))).toBe(1);
  });

  it("shows the stderr of a loader that exits before it is ready, once", async () => {
    const layout = fakeCourse({
      "lab1-crash": {
        loader: crashingLoader,
        checks: `
export default defineLab({ loader: "loader.ts", attachments: 1, checks: [
  check("loads and attaches", 1, async (t) => void (await t.loader())),
  check("does the job", 1, async (t) => void (await t.loader())),
]});
`,
      },
    });
    const [first, second] = (await grade(layout)).checks;
    expect(first!.failure?.message).toBe("the loader exited with code 3 before attaching");
    expect(first!.failure?.seen).toEqual([
      { mark: " ", text: "starting" },
      { mark: "!", text: "boom: cannot load" },
    ]);
    expect(second!.failure?.message).toBe("not run: the loader exited with code 3 before attaching (see 'loads and attaches' above)");
  }, 30_000);

  it("passes arguments to the loader, and tells checks which directory is graded", async () => {
    const layout = fakeCourse({
      "lab1-args": {
        loader: `console.log("args " + process.argv.slice(2).join(" ")); setInterval(() => {}, 1000);\n`,
        checks: `
export default defineLab({ loader: "loader.ts", attachments: 0, checks: [
  check("starts with arguments", 1, async (t) => {
    const loader = await t.loader({ args: ["--iface", "veth-x"] });
    if (!(await loader.waitForOutput((lines) => lines.includes("args --iface veth-x")))) throw new Error(loader.stdout.join("|"));
    if (!t.dir.endsWith("/labs/lab1-args")) throw new Error(t.dir);
  }),
  check("gets the same loader", 1, async (t) => {
    if ((await t.loader()) !== (await t.loader({ args: ["--iface", "veth-x"] }))) throw new Error("another loader");
  }),
  check("cannot restart it with other arguments", 1, async (t) => void (await t.loader({ args: ["--iface", "other"] }))),
]});
`,
      },
    });
    const checks = (await grade(layout)).checks;
    expect(checks.map((c) => c.passed)).toEqual([true, true, false]);
    expect(checks[2]!.failure?.message).toBe("error: the loader already runs with arguments [--iface veth-x]; a lab run has one loader");
  }, 30_000);

  it.runIf(machineReady)("scores 0 with clang's message when the BPF code does not compile", async () => {
    const layout = fakeCourse({
      "lab1-broken": {
        loader: chattyLoader,
        files: { "broken.bpf.c": `#include "vmlinux.h"\nint value = ;\n` },
        checks: `export default defineLab({ loader: "loader.ts", attachments: 0, checks: [check("anything", 5, () => {})] });\n`,
      },
    });
    const result = await grade(layout);
    expect(result.score).toBe(0);
    expect(result.buildError).toMatch(/broken\.bpf\.c:2:\d+: error: expected expression/);
    expect(result.buildError).not.toMatch(/\n\s+at /); // clang's words, not a stack trace
    expect(result.checks[0]!.failure?.message).toMatch(/^not run: the BPF code did not compile/);
  }, 60_000);
});

describe("cleanup", () => {
  it("stops the whole process group, even members that outlive the leader", async () => {
    const group = ProcessGroup.spawn("sh", ["-c", "sleep 300 & echo $!"]);
    let grandchild = "";
    group.child.stdout!.on("data", (chunk: Buffer) => (grandchild += chunk.toString()));
    await group.exited;
    expect(isAlive(Number(grandchild))).toBe(true);
    await group.stop();
    expect(isAlive(Number(grandchild))).toBe(false);
    expect(liveGroupMembers(group.pid!)).toEqual([]);
  });

  it("kills a loader that never gets ready, with its children, when the time runs out", async () => {
    const layout = fakeCourse({
      "lab1-stuck": {
        loader: stubbornLoader,
        checks: `
export default defineLab({ loader: "loader.ts", attachments: 1, readyTimeoutMs: 5000, checks: [
  check("loads and attaches", 1, async (t) => void (await t.loader())),
]});
`,
      },
    });
    const result = await grade(layout);
    // 5 s: long enough for the loader to start its child even on a busy machine.
    expect(result.checks[0]!.failure?.message).toBe("after 5s the loader held 0 of 1 BPF attachment");
    for (const pid of recordedPids(layout, "lab1-stuck")) expect(isAlive(pid)).toBe(false);
  }, 30_000);
});

/** Runs a grader command (grade.ts, run-lab.ts) on a fake course; resolves with its exit status and output. */
function runCommand(script: string, layout: CourseLayout, args: string[], whileRunning?: (pid: number) => Promise<void>) {
  const { command, args: nodeArgs } = tsxCommand(join(repoRoot(), "grader", script));
  const child = spawn(command, [...nodeArgs, ...args], { env: { ...process.env, GRADER_ROOT: layout.root, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return whileRunning ? whileRunning(child.pid!).then(() => done) : done;
}

describe.runIf(machineReady)("npm run lab", () => {
  const layout = fakeCourse({
    "lab1-fake": {
      loader: `console.log("loader args: " + process.argv.slice(2).join(" ")); process.exit(7);\n`,
      checks: `export default defineLab({ loader: "loader.ts", attachments: 0, checks: [check("x", 1, () => {})] });\n`,
    },
  });

  it("runs the lab's loader with the arguments after the lab's name, and exits with its status", async () => {
    const { code, stdout, stderr } = await runCommand("run-lab.ts", layout, ["fake", "--iface", "veth0"]);
    expect(stderr).toContain("lab: running labs/lab1-fake/loader.ts --iface veth0");
    expect(stdout).toBe("loader args: --iface veth0\n");
    expect(code).toBe(7);
  }, 30_000);
});

describe.runIf(machineReady)("npm run grade", () => {
  const runGrade = (layout: CourseLayout, args: string[], whileRunning?: (pid: number) => Promise<void>) =>
    runCommand("grade.ts", layout, args, whileRunning);

  const twoChecks = fakeCourse({
    "lab1-fake": {
      loader: chattyLoader,
      checks: `
export default defineLab({ loader: "loader.ts", attachments: 0, checks: [
  check("passes", 2, async (t) => void (await t.loader())),
  check("fails", 3, () => { throw new CheckFailure("nope", { expected: "something else" }); }),
]});
`,
    },
  });

  it("prints each check and Score: N/M, exits 1 below full marks", async () => {
    const { code, stdout } = await runGrade(twoChecks, ["lab1"]);
    expect(stdout).toMatch(/^passes: OK \(\d+(\.\d)?s\)$/m);
    expect(stdout).toMatch(/^fails: FAIL/m);
    expect(stdout).toContain("    expected: something else");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("Score: 2/5");
    expect(code).toBe(1);
  }, 30_000);

  it("--json prints the results, and saves them in .grades/<lab>.json", async () => {
    const { code, stdout } = await runGrade(twoChecks, ["1", "--json"]);
    const report = JSON.parse(stdout) as GradeReport;
    expect(report).toMatchObject({ score: 2, max: 5, labs: [{ lab: "lab1", slug: "fake", dir: "labs/lab1-fake", solution: false }] });
    expect(report.labs[0]!.checks[1]).toMatchObject({ name: "fails", points: 3, passed: false, failure: { message: "nope" } });
    const saved = JSON.parse(readFileSync(join(twoChecks.gradesDir, "lab1.json"), "utf8")) as LabResult;
    expect(Date.parse(saved.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(saved.score).toBe(2);
    expect(code).toBe(1);
  }, 30_000);

  it("refuses an unknown lab with the list of labs", async () => {
    const { code, stderr } = await runGrade(twoChecks, ["lab9"]);
    expect(stderr).toContain("grade: no lab called 'lab9'; available labs: lab1 (fake)");
    expect(code).toBe(2);
  }, 30_000);

  it("on Ctrl-C, stops the loader and its children and removes its files before exiting", async () => {
    const layout = fakeCourse({
      "lab1-stuck": {
        loader: stubbornLoader,
        checks: `
import { writeFileSync } from "node:fs";
export default defineLab({ loader: "loader.ts", attachments: 1, checks: [
  check("waits forever", 1, async (t) => {
    writeFileSync(new URL("../../labs/lab1-stuck/tempdir", import.meta.url), await t.workload.tempDir());
    await t.loader();
  }),
]});
`,
      },
    });
    const pidsFile = join(layout.labsDir, "lab1-stuck", "pids");
    const { code } = await runGrade(layout, ["lab1"], async (grader) => {
      expect(await waitUntil(() => existsSync(pidsFile), 20_000)).toBe(true);
      process.kill(grader, "SIGINT");
    });
    expect(code).toBe(130);
    for (const pid of recordedPids(layout, "lab1-stuck")) expect(isAlive(pid)).toBe(false);
    expect(existsSync(readFileSync(join(layout.labsDir, "lab1-stuck", "tempdir"), "utf8"))).toBe(false);
  }, 30_000);
});
