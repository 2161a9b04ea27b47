// The grader's classroom features: grading from a host that cannot load BPF (sudo, the
// course VM), --watch, hints, the status board, reset, reports and the CI workflow.
// Commands run as child processes on temp copies of the course; --watch grades the real
// lab 1 solution on the kernel twice.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseCliArgs, toArgv } from "../grader/lib/args.ts";
import { nextHint, shownSoFar } from "../grader/lib/hint-log.ts";
import { parseHints } from "../grader/lib/hints.ts";
import { gradeCommand, nowhereAdvice, parseVagrantStatus, shellQuote, vmCommand, whereToGrade, type HostFacts } from "../grader/lib/host.ts";
import { courseLayout, repoRoot, type CourseLayout } from "../grader/lib/layout.ts";
import { tsxCommand } from "../grader/lib/loader.ts";
import { giveToInvokingUser } from "../grader/lib/owner.ts";
import { delay, waitUntil } from "../grader/lib/processes.ts";
import { progressBoard } from "../grader/lib/progress.ts";
import { readmeSection, readmeTitle } from "../grader/lib/readme.ts";
import { discoverLabs } from "../grader/lib/registry.ts";
import { csvReport } from "../grader/lib/report-csv.ts";
import { formatReport } from "../grader/lib/report-formats.ts";
import { junitReport } from "../grader/lib/report-junit.ts";
import { markdownReport } from "../grader/lib/report-markdown.ts";
import { summarize, type GradeReport, type LabResult } from "../grader/lib/results.ts";
import { isNoise, watchDir } from "../grader/lib/watch.ts";
import { preflightProblems } from "../grader/preflight.ts";

const root = repoRoot();
// Kernel tests (--watch grades lab 1) run where BPF can, and in CI, where they must.
const machineReady = preflightProblems().length === 0 || Boolean(process.env.CI);
// Running a command as another user (nobody) needs root; CI runs as root.
const canSwitchUser = process.getuid?.() === 0 || Boolean(process.env.CI);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the grader's commands (grade.ts, hint.ts...) on the course at `courseRoot`. */
function runTool(script: string, courseRoot: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const { command, args: nodeArgs } = tsxCommand(join(root, "grader", script));
  const child = spawn(command, [...nodeArgs, ...args], {
    cwd: courseRoot,
    env: { ...process.env, GRADER_ROOT: courseRoot, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collect(child);
}

function collect(child: ReturnType<typeof spawn>): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** A course in a temp dir holding copies of the named real labs (their READMEs and starters). */
function courseWith(...dirNames: string[]): CourseLayout {
  const layout = courseLayout(tempDir("classroom-"));
  for (const dirName of dirNames) cpSync(join(root, "labs", dirName), join(layout.labsDir, dirName), { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });
  return layout;
}

function labResult(lab: string, slug: string, checks: LabResult["checks"], timestamp = "2025-01-02T03:04:05.000Z"): LabResult {
  const score = checks.reduce((sum, c) => sum + (c.passed ? c.points : 0), 0);
  const max = checks.reduce((sum, c) => sum + c.points, 0);
  return { lab, slug, dir: `labs/${lab}-${slug}`, solution: false, timestamp, score, max, checks };
}

const sampleReport: GradeReport = summarize([
  labResult("lab1", "hello", [
    { name: "loads and attaches", points: 1, passed: true, seconds: 1.2 },
    {
      name: 'reports "each" exec, with <its> file & pid',
      points: 3,
      passed: false,
      seconds: 0.5,
      failure: {
        message: "2 of 3 expected items missing from the loader's output",
        expected: "one line per exec",
        seenTitle: "loader output",
        seen: [
          { mark: "+", text: "hello from execve: pid 1 file /tmp/a" },
          { mark: "-", text: "garbage \x1b[31mred\x1b[0m \x00 <tag> & ]]>" },
        ],
        missing: ["/tmp/b: wanted 1 line, saw 0"],
        hint: 'read hint 2 in labs/lab1-hello/README.md (section "Hints")',
      },
    },
  ]),
  labResult("lab3", "hash-maps", [{ name: "counts, exactly", points: 4, passed: true, seconds: 2 }]),
]);

/** A small XML well-formedness check: balanced tags, quoted attributes, valid entities, one root. */
function expectWellFormedXml(text: string): void {
  const body = text.replace(/^<\?xml[^?]*\?>\s*/, "");
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  for (const m of body.matchAll(/<([^>]*)>/g)) {
    const between = body.slice(last, m.index);
    expect(between, "text between tags").not.toMatch(entity);
    expect(between).not.toContain("<");
    last = m.index + m[0].length;
    const tag = /^(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)$/.exec(m[1]!);
    expect(tag, `tag <${m[1]}>`).not.toBeNull();
    const [, closing, name, attributes, selfClosing] = tag!;
    expect(attributes).not.toMatch(entity);
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  expect(body.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  // XML 1.0 forbids most control characters, even escaped.
  expect(body).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
}

describe("where to grade", () => {
  const base: HostFacts = { platform: "linux", uid: 1000, btf: true, forceHost: false, elevated: false };
  const running = { installed: true, state: "running" } as const;
  const poweroff = { installed: true, state: "poweroff" } as const;

  it("grades here as root on Linux, without asking sudo or vagrant anything", () => {
    expect(whereToGrade({ ...base, uid: 0 })).toEqual({ where: "here" });
    expect(whereToGrade({ ...base, uid: 0, btf: false })).toEqual({ where: "here" }); // preflight explains the missing BTF
  });

  it("asks for sudo, then vagrant, only when the decision needs them", () => {
    expect(whereToGrade(base)).toEqual({ where: "unknown", needs: "passwordlessSudo" });
    expect(whereToGrade({ ...base, passwordlessSudo: false })).toEqual({ where: "unknown", needs: "vagrant" });
    expect(whereToGrade({ ...base, platform: "darwin" })).toEqual({ where: "unknown", needs: "vagrant" });
  });

  it("re-runs under sudo on Linux with BTF and passwordless sudo", () => {
    expect(whereToGrade({ ...base, passwordlessSudo: true, vagrant: running })).toEqual({ where: "sudo" });
  });

  it("grades here in the re-run under sudo, even if that did not make it root (no loop)", () => {
    expect(whereToGrade({ ...base, elevated: true })).toEqual({ where: "here" });
  });

  it("goes to the VM when it runs: another OS, no BTF, sudo wants a password, or the test hook", () => {
    expect(whereToGrade({ ...base, platform: "darwin", uid: 501, vagrant: running })).toEqual({ where: "vm" });
    expect(whereToGrade({ ...base, btf: false, vagrant: running })).toEqual({ where: "vm" });
    expect(whereToGrade({ ...base, passwordlessSudo: false, vagrant: running })).toEqual({ where: "vm" });
    expect(whereToGrade({ ...base, uid: 0, forceHost: true, vagrant: running })).toEqual({ where: "vm" });
    expect(whereToGrade({ ...base, platform: "win32", uid: undefined, vagrant: running })).toEqual({ where: "vm" });
  });

  it("says why, and what to type, when the VM is not up", () => {
    const mac = whereToGrade({ ...base, platform: "darwin", uid: 501, vagrant: poweroff });
    expect(mac).toMatchObject({ where: "nowhere", why: "BPF programs need Linux, and this is macOS", asRoot: false });
    const advice = nowhereAdvice(mac as Extract<typeof mac, { where: "nowhere" }>, ["lab3"]);
    expect(advice).toContain("    vagrant up");
    expect(advice).toContain("    npm run grade lab3");
    expect(advice.join("\n")).toContain("state: poweroff");
    expect(advice.join("\n")).not.toContain("sudo");

    const linux = whereToGrade({ ...base, passwordlessSudo: false, vagrant: { installed: false } });
    expect(linux).toMatchObject({ where: "nowhere", why: "loading BPF programs needs root, and sudo asks for a password", asRoot: true });
    const linuxAdvice = nowhereAdvice(linux as Extract<typeof linux, { where: "nowhere" }>, ["lab3", "--solution"]).join("\n");
    expect(linuxAdvice).toContain("vagrant is not installed");
    expect(linuxAdvice).toContain("Or, if you can become root here: sudo npm run grade -- lab3 --solution");
  });

  it("reads the state from vagrant's machine-readable status", () => {
    const output = "1700000000,default,metadata,provider,virtualbox\n1700000000,default,state,running\n1700000000,default,state-human-short,running\n";
    expect(parseVagrantStatus(output)).toBe("running");
    expect(parseVagrantStatus("1,default,state,not_created\n")).toBe("not_created");
    expect(parseVagrantStatus("garbage")).toBe("unknown");
  });

  it("runs the same grade in the VM, quoted for its shell", () => {
    expect(vmCommand(["lab3"])).toBe("cd /course && sudo npm run grade -- lab3");
    expect(vmCommand([])).toBe("cd /course && sudo npm run grade");
    expect(vmCommand(["--all", "--report", "junit", "--out", "my grades.xml"])).toBe("cd /course && sudo npm run grade -- --all --report junit --out 'my grades.xml'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(gradeCommand(["lab3"])).toBe("npm run grade lab3");
    expect(gradeCommand(["lab3", "--watch"])).toBe("npm run grade -- lab3 --watch");
  });

  it("passes on flags that reached it through npm_config_*, so the other grader sees them", () => {
    const args = parseCliArgs(["lab3"], { npm_config_solution: "true", npm_config_watch: "true" });
    expect(toArgv(args)).toEqual(["lab3", "--solution", "--watch"]);
    expect(toArgv(parseCliArgs(["--all", "--report", "csv", "--out", "g.csv"], {}))).toEqual(["--all", "--report", "csv", "--out", "g.csv"]);
  });

  it("refuses a report format it does not know, and --out without --report", () => {
    expect(() => parseCliArgs(["--report", "xml"], {})).toThrow("--report must be one of junit, csv, json, markdown, not 'xml'");
    expect(() => parseCliArgs(["--out", "x"], {})).toThrow(/--out names the file for --report/);
    expect(() => parseCliArgs([], { npm_config_report: "true" })).toThrow(/put the grader's flags after --/);
  });
});

describe.runIf(canSwitchUser)("npm run grade on a host without BPF, as a normal user", () => {
  // A fake vagrant first on PATH: it records its arguments and plays a VM that is up or down.
  const fake = tempDir("fake-vagrant-");
  chmodSync(fake, 0o777);
  writeFileSync(
    join(fake, "vagrant"),
    `#!/bin/sh
{ for arg in "$@"; do printf '%s\\n' "$arg"; done; echo "--end--"; } >> "$FAKE_LOG"
if [ "$1" = status ]; then
  echo "1700000000,default,metadata,provider,virtualbox"
  echo "1700000000,default,state,$FAKE_VAGRANT_STATE"
  exit 0
fi
echo "fake vm says: grading $FAKE_MARKER"
echo "Score: 3/15"
exit "$FAKE_VAGRANT_CODE"
`,
    { mode: 0o755 },
  );
  const marker = `m${process.pid}${Date.now()}`;
  // By full path: the "no vagrant" case runs with a PATH that has no /usr/bin.
  const setpriv = spawnSync("which", ["setpriv"], { encoding: "utf8" }).stdout.trim() || "/usr/bin/setpriv";

  /** `npm <args>` as user nobody (uid 65534), who can read the repository but not write it; `log` is what the fakes recorded. */
  function npmAsNobody(args: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<Ran & { calls: string[][] }> {
    const base = { PATH: `${fake}:${process.env.PATH}`, HOME: fake, npm_config_update_notifier: "false", FAKE_LOG: log, FAKE_MARKER: marker };
    const child = spawn(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "npm", ...args], { cwd: root, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    return collect(child).then((ran) => {
      const recorded = existsSync(log) ? readFileSync(log, "utf8") : "";
      const calls = recorded.split("--end--\n").filter(Boolean).map((call) => call.trimEnd().split("\n"));
      return { ...ran, calls };
    });
  }

  /** As a host without BPF (the test hook), with the fake VM in `state`, exiting with `code`. */
  function gradeOnHost(args: readonly string[], state: string, code: number, env: NodeJS.ProcessEnv = {}) {
    const log = join(fake, `calls-${state}-${code}`);
    return npmAsNobody(args, { FAKE_VAGRANT_STATE: state, FAKE_VAGRANT_CODE: String(code), EBPF_COURSE_FORCE_HOST: "1", ...env }, log);
  }

  it("can read the repository and run node as nobody (else this test proves nothing)", () => {
    const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "id", "-u"], { encoding: "utf8" });
    expect(probe.stdout.trim()).toBe("65534");
    for (const path of [root, join(root, "grader", "grade.ts"), join(root, "node_modules", "tsx")]) expect(statSync(path).mode & 0o004).toBe(0o004);
  });

  it("forwards `npm run grade lab3` into the running VM, streams its output and returns its exit code", async () => {
    const ran = await gradeOnHost(["run", "grade", "lab3"], "running", 5);
    expect(ran.calls, ran.stdout + ran.stderr).toEqual([
      ["status", "--machine-readable"],
      ["ssh", "-c", "cd /course && sudo npm run grade -- lab3"],
    ]);
    expect(ran.stdout).toContain(`fake vm says: grading ${marker}`);
    expect(ran.stdout).toContain("Score: 3/15");
    expect(ran.stderr).toContain("grading in the course VM");
    expect(ran.code).toBe(5);
  }, 90_000);

  it("with the VM powered off, says to type vagrant up and the same command again, and exits 2", async () => {
    // --ignore-scripts skips the pregrade setup, already exercised above.
    const ran = await gradeOnHost(["run", "--ignore-scripts", "grade", "--", "lab3", "--solution"], "poweroff", 0);
    expect(ran.calls).toEqual([["status", "--machine-readable"]]);
    expect(ran.stderr).toContain("which is not running (state: poweroff)");
    expect(ran.stderr).toContain("    vagrant up\n    npm run grade -- lab3 --solution");
    expect(ran.stdout).not.toContain("fake vm says");
    expect(ran.code).toBe(2);
  }, 60_000);

  it("without vagrant at all, says to install it", async () => {
    // A PATH with node and npm but no vagrant: a directory of links to just those two.
    const bin = tempDir("no-vagrant-");
    chmodSync(bin, 0o755);
    for (const tool of ["node", "npm", "sh"]) symlinkSync(spawnSync("which", [tool], { encoding: "utf8" }).stdout.trim(), join(bin, tool));
    const ran = await gradeOnHost(["run", "--ignore-scripts", "grade", "lab3"], "running", 0, { PATH: bin });
    expect(ran.stderr).toContain("vagrant is not installed");
    expect(ran.stderr).toContain("    vagrant up\n    npm run grade lab3");
    expect(ran.code).toBe(2);
  }, 60_000);

  it("on Linux with passwordless sudo, runs the same grade again under sudo, with its exit code", async () => {
    // A fake sudo: says yes to `sudo -n true`, records the command, then runs it (still as
    // nobody, so the re-run grades here and stops at preflight's "running as root").
    const sudoDir = tempDir("fake-sudo-");
    chmodSync(sudoDir, 0o755);
    writeFileSync(
      join(sudoDir, "sudo"),
      `#!/bin/sh
if [ "$1" = -n ] && [ "$2" = true ]; then exit 0; fi
{ for arg in "$@"; do printf '%s\\n' "$arg"; done; echo "--end--"; } >> "$FAKE_LOG"
[ "$1" = -n ] && [ "$2" = -- ] || exit 99
shift 2
exec "$@"
`,
      { mode: 0o755 },
    );
    const log = join(fake, "calls-sudo");
    const ran = await npmAsNobody(["run", "--ignore-scripts", "grade", "--", "lab3", "--solution"], { PATH: `${sudoDir}:${process.env.PATH}`, GRADER_TIME_SCALE: "2" }, log);
    expect(ran.calls).toHaveLength(1);
    const [call] = ran.calls;
    expect(call!.slice(0, 3)).toEqual(["-n", "--", "env"]);
    expect(call!.find((arg) => arg.startsWith("PATH="))).toContain(`${sudoDir}:${process.env.PATH}`); // npm adds its .bin dirs in front
    expect(call).toContain("GRADER_TIME_SCALE=2");
    expect(call).toContain("EBPF_COURSE_ELEVATED=1");
    expect(call![call!.indexOf("--import") - 1]).toMatch(/\/node$/);
    expect(call!.slice(-4)).toEqual([expect.stringMatching(/tsx/), join(root, "grader", "grade.ts"), "lab3", "--solution"]);
    expect(ran.stderr).toContain("grading again under sudo");
    expect(ran.stderr).toContain("grade: this machine is not ready for the labs:\n  run as root");
    expect(ran.code).toBe(2); // the re-run's exit code
  }, 60_000);
});

describe("reports", () => {
  it("JUnit: well-formed XML, one testsuite per lab, one testcase per check, the failure's details in it", () => {
    const xml = junitReport(sampleReport);
    expectWellFormedXml(xml);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toContain('<testsuites name="grade" tests="3" failures="1"');
    expect(xml).toContain('<testsuite name="lab1 (hello)" tests="2" failures="1"');
    expect(xml).toContain('name="reports &quot;each&quot; exec, with &lt;its&gt; file &amp; pid"');
    expect(xml).toContain('<failure message="2 of 3 expected items missing from the loader&apos;s output"');
    expect(xml).toContain("expected: one line per exec");
    expect(xml).toContain("MISSING /tmp/b: wanted 1 line, saw 0");
    expect(xml).toContain("hint: read hint 2 in labs/lab1-hello/README.md");
    expect(xml).toContain('<property name="score" value="1"/>');
  });

  it("CSV: lab,check,points,max,passed, one row per check, quoted where needed", () => {
    const rows = csvReport(sampleReport).trimEnd().split("\r\n");
    expect(rows).toEqual([
      "lab,check,points,max,passed",
      "lab1,loads and attaches,1,1,true",
      'lab1,"reports ""each"" exec, with <its> file & pid",0,3,false',
      "lab3,\"counts, exactly\",4,4,true",
    ]);
  });

  it("JSON is the summary; Markdown has the score table and the failed checks", () => {
    expect(JSON.parse(formatReport(sampleReport, "json"))).toEqual(sampleReport);
    const md = markdownReport(sampleReport);
    expect(md).toContain("## Grade: 5/8");
    expect(md).toContain("| lab1 (hello) | 1/4 |");
    expect(md).toContain("| lab3 (hash-maps) | 4/4 |");
    expect(md).toContain("| **Total** | **5/8** |");
    expect(md).toMatch(/^- \*\*reports "each" exec, with &lt;its> file & pid\*\* \(3 points\): 2 of 3 expected items missing/m);
    expect(md).not.toContain("### lab3"); // no failures there
  });

  it.runIf(machineReady)("npm run grade -- --all --report csv --out: grades every lab, writes rows matching the saved results", async () => {
    const layout = courseLayout(tempDir("report-course-"));
    const libUrl = new URL("../grader/lib/", import.meta.url).href;
    writeFileSync(join(layout.root, "package.json"), `{ "type": "module" }\n`);
    for (const [n, passes] of [[1, true], [2, false]] as const) {
      mkdirSync(join(layout.labsDir, `lab${n}-fake`), { recursive: true });
      writeFileSync(join(layout.labsDir, `lab${n}-fake`, "loader.ts"), "setInterval(() => {}, 1000);\n");
      mkdirSync(layout.checksDir, { recursive: true });
      writeFileSync(
        join(layout.checksDir, `lab${n}.ts`),
        `import { check, defineLab } from "${libUrl}lab.ts";
export default defineLab({ loader: "loader.ts", attachments: 0, checks: [
  check("starts", 2, async (t) => void (await t.loader())),
  check("does, it", 3, () => { if (!${passes}) throw new Error("did not"); }),
]});
`,
      );
    }
    const ran = await runTool("grade.ts", layout.root, ["--all", "--report", "csv", "--out", "out/grades.csv"]);
    expect(ran.stderr).toContain("grade: wrote the csv report to out/grades.csv");
    expect(ran.code).toBe(1);
    const rows = readFileSync(join(layout.root, "out", "grades.csv"), "utf8").trimEnd().split("\r\n");
    expect(rows).toEqual(["lab,check,points,max,passed", "lab1,starts,2,2,true", 'lab1,"does, it",3,3,true', "lab2,starts,2,2,true", 'lab2,"does, it",0,3,false']);
    const saved = JSON.parse(readFileSync(join(layout.gradesDir, "lab2.json"), "utf8")) as LabResult;
    expect(saved.score).toBe(2);
    // The same rows again, from the saved results only.
    const status = await runTool("status.ts", layout.root, ["--report", "csv"]);
    expect(status.stdout.trimEnd().split("\r\n")).toEqual(rows);
  }, 60_000);
});

describe("hints", () => {
  it("finds every hint of every lab README, numbered from 1, each with text", () => {
    const layout = courseLayout(root);
    for (const lab of discoverLabs(layout)) {
      const readme = readFileSync(join(layout.labsDir, lab.dirName, "README.md"), "utf8");
      const hints = parseHints(readmeSection(readme, "Hints") ?? "");
      expect(hints.length, lab.id).toBeGreaterThan(0);
      expect(hints.map((h) => h.number)).toEqual(hints.map((_, i) => i + 1));
      for (const hint of hints) for (const part of hint.parts) expect(part.text.length, `${lab.id} hint ${hint.number}`).toBeGreaterThan(20);
      expect(readmeTitle(readme)).not.toMatch(/^lab/i);
    }
  });

  it("reads <details> hints with their 'Still stuck?' parts, and numbered-list hints", () => {
    const details = parseHints(`Intro.

<details><summary>Hint 1: say hello</summary>

General advice.

<details><summary>Still stuck?</summary>

    the answer();

</details>
</details>

<details><summary>Hint 2: more</summary>
Only general.
</details>
`);
    expect(details).toEqual([
      { number: 1, title: "say hello", parts: [{ text: "General advice." }, { label: "Still stuck?", text: "    the answer();" }] },
      { number: 2, title: "more", parts: [{ text: "Only general." }] },
    ]);
    const list = parseHints(`Ask for one at a time.

1. *The loader fails.* Read the message.
   It names the line.
2. *Counts are short.* Use an atomic add.
`);
    expect(list).toEqual([
      { number: 1, title: "The loader fails", parts: [{ text: "Read the message.\nIt names the line." }] },
      { number: 2, title: "Counts are short", parts: [{ text: "Use an atomic add." }] },
    ]);
  });

  it("gives the next unseen hint, or the next part of a named one", () => {
    const hints = parseHints("<details><summary>Hint 1: a</summary>\nx1\n<details><summary>Still stuck?</summary>\ny1\n</details>\n</details>\n1.\n<details><summary>Hint 2: b</summary>\nx2\n</details>\n");
    expect(nextHint(hints, {})).toMatchObject({ hint: { number: 1 }, part: 0 });
    expect(nextHint(hints, { 1: 1 })).toMatchObject({ hint: { number: 2 }, part: 0 });
    expect(nextHint(hints, { 1: 1 }, 1)).toMatchObject({ hint: { number: 1 }, part: 1 });
    expect(nextHint(hints, { 1: 2 }, 1)).toMatchObject({ hint: { number: 1 }, part: 1 }); // the last part again
    expect(nextHint(hints, { 1: 1, 2: 1 })).toBeUndefined();
    expect(nextHint(hints, {}, 7)).toBeUndefined();
    expect(shownSoFar(hints, { 1: 2, 2: 1 }).map((s) => `${s.hint.number}.${s.part}`)).toEqual(["1.0", "1.1", "2.0"]);
  });

  it("npm run hint: one at a time, remembered in .grades/hints.json; --all; --reset", async () => {
    const layout = courseWith("lab1-hello", "lab3-hash-maps");
    const hint = (...args: string[]) => runTool("hint.ts", layout.root, args);

    const first = await hint("lab3");
    expect(first.stdout).toMatch(/^lab3, hint 1 of 5: the key\n/);
    expect(first.stdout).toContain("bpf_get_current_pid_tgid()");
    expect(first.stdout).not.toContain("current_tgid();"); // that is in "Still stuck?"
    expect(first.stdout).toContain("still stuck? npm run hint lab3 1; the next hint: npm run hint lab3");
    expect((await hint("lab3")).stdout).toMatch(/^lab3, hint 2 of 5: creating and updating an entry\n/);
    const deeper = await hint("lab3", "1");
    expect(deeper.stdout).toMatch(/^lab3, hint 1 of 5: the key \(Still stuck\?\)\n/);
    expect(deeper.stdout).toContain("__u32 pid = current_tgid();");
    expect(JSON.parse(readFileSync(join(layout.gradesDir, "hints.json"), "utf8"))).toEqual({ lab3: { 1: 2, 2: 1 } });

    const all = await hint("lab3", "--all");
    expect(all.stdout.match(/^lab3, hint \d.*$/gm)).toEqual([
      "lab3, hint 1 of 5: the key",
      "lab3, hint 1 of 5: the key (Still stuck?)",
      "lab3, hint 2 of 5: creating and updating an entry",
    ]);
    expect((await hint("lab3", "9")).stderr).toContain("lab3 has no hint 9; its hints are 1, 2, 3, 4, 5");

    // Without a lab: the lab graded last.
    mkdirSync(layout.gradesDir, { recursive: true });
    writeFileSync(join(layout.gradesDir, "lab1.json"), JSON.stringify(labResult("lab1", "hello", [], new Date().toISOString())));
    expect((await hint()).stdout).toMatch(/^lab1, hint 1 of 4: say hello\n/);

    expect((await hint("lab3", "--reset")).code).toBe(0);
    expect(JSON.parse(readFileSync(join(layout.gradesDir, "hints.json"), "utf8"))).toEqual({ lab1: { 1: 1 } });
    expect((await hint("lab3")).stdout).toMatch(/^lab3, hint 1 of 5/);
  }, 60_000);
});

describe("npm run status", () => {
  it("shows every lab with its last score, a bar and when, and 'not graded yet'", async () => {
    const layout = courseWith("lab1-hello", "lab3-hash-maps");
    mkdirSync(layout.gradesDir, { recursive: true });
    const graded = labResult("lab1", "hello", [
      { name: "a", points: 5, passed: true, seconds: 1 },
      { name: "b", points: 5, passed: false, seconds: 1 },
    ]);
    writeFileSync(join(layout.gradesDir, "lab1.json"), JSON.stringify(graded));
    const ran = await runTool("status.ts", layout.root, []);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.split("\n");
    expect(lines[0]).toMatch(/^lab\s+title\s+score\s+progress\s+last graded$/);
    expect(lines[1]).toMatch(/^lab1 {2}Hello world — a greeting for every execve\s+5\/10 {2}█{10}░{10} {2}2025-01-0\d \d\d:\d\d \(\d+ days ago\)$/);
    expect(lines[2]).toMatch(/^lab3 {2}Hash maps — which processes open files, and…\s+-\/\? {2}not graded yet$/);
    expect(lines[3]).toMatch(/^total\s+5\/\?\s+0 of 2 labs at full marks$/);
  });

  it("counts an ungraded lab's points from its checks file, for the course total", () => {
    const [lab1, lab2] = discoverLabs(courseLayout(root));
    const board = progressBoard(
      [
        { lab: lab1!, title: "one", last: labResult("lab1", "hello", [{ name: "a", points: 4, passed: true, seconds: 0 }]) },
        { lab: lab2!, title: "two", max: 6 },
      ],
      new Date("2025-01-02T03:09:05.000Z"),
    );
    expect(board[2]).toMatch(/-\/6 {2}not graded yet$/);
    expect(board[3]).toMatch(/^total\s+4\/10 {2}█{8}░{12} {2}1 of 2 labs at full marks$/);
  });
});

describe("npm run reset", () => {
  it("refuses outside a git checkout, saying why", async () => {
    const layout = courseWith("lab1-hello");
    const ran = await runTool("reset.ts", layout.root, ["lab1", "--yes"]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/is not in a git checkout, so there is no starter copy to restore it from/);
  });

  it("restores the committed starter of that lab only, after backing up the student's files; asks unless --yes", async () => {
    const layout = courseWith("lab1-hello", "lab3-hash-maps");
    const git = (...args: string[]) => spawnSync("git", ["-C", layout.root, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { encoding: "utf8" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "starters");
    const loader = join(layout.labsDir, "lab1-hello", "hello.ts");
    const starter = readFileSync(loader, "utf8");
    const other = join(layout.labsDir, "lab3-hash-maps", "opens.ts");
    writeFileSync(loader, "// my work\n");
    writeFileSync(other, "// my other work\n");
    writeFileSync(join(layout.labsDir, "lab1-hello", "notes.txt"), "mine\n");

    const noTerminal = await runTool("reset.ts", layout.root, ["lab1"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain("add --yes");
    expect(readFileSync(loader, "utf8")).toBe("// my work\n");

    const ran = await runTool("reset.ts", layout.root, ["lab1", "--yes"]);
    expect(ran.code).toBe(0);
    expect(readFileSync(loader, "utf8")).toBe(starter);
    expect(readFileSync(other, "utf8")).toBe("// my other work\n"); // another lab: untouched
    expect(readFileSync(join(layout.labsDir, "lab1-hello", "notes.txt"), "utf8")).toBe("mine\n"); // added files stay
    const [backup] = readdirSync(join(layout.gradesDir, "backup"));
    expect(backup).toMatch(/^lab1-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$/);
    expect(readFileSync(join(layout.gradesDir, "backup", backup!, "hello.ts"), "utf8")).toBe("// my work\n");
    expect(readFileSync(join(layout.gradesDir, "backup", backup!, "notes.txt"), "utf8")).toBe("mine\n");
    expect(git("status", "--porcelain", "--", "labs/lab1-hello").stdout.trim()).toBe("?? labs/lab1-hello/notes.txt");
  }, 60_000);
});

describe("files written under sudo", () => {
  it.runIf(process.getuid?.() === 0)("go to the user who ran sudo", () => {
    const file = join(tempDir("owner-"), "x.json");
    writeFileSync(file, "{}");
    giveToInvokingUser(file, { SUDO_UID: "65534", SUDO_GID: "65534" });
    expect(statSync(file).uid).toBe(65534);
    giveToInvokingUser(file, {}); // no sudo: nothing changes
    expect(statSync(file).uid).toBe(65534);
  });
});

describe("the classroom workflow", () => {
  const text = readFileSync(join(root, "classroom", "grade.yml"), "utf8");
  interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    id?: string;
    with?: Record<string, unknown>;
    "continue-on-error"?: boolean;
  }
  const workflow = parseYaml(text) as { on: Record<string, unknown>; jobs: Record<string, { "runs-on": string; steps: Step[] }> };

  it("parses, and grades every push on ubuntu-24.04 with Node 22", () => {
    expect(Object.keys(workflow.on)).toContain("push");
    const job = workflow.jobs.grade!;
    expect(job["runs-on"]).toBe("ubuntu-24.04");
    expect(job.steps.find((s) => s.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(22);
    expect(job.steps[0]!.uses).toMatch(/^actions\/checkout@/);
  });

  it("provisions, grades all labs to JUnit without stopping, then publishes the report and a summary", () => {
    const steps = workflow.jobs.grade!.steps;
    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? s.uses ?? ""));
    const grade = steps[index(/npm run grade/)]!;
    expect(index(/sudo .*bash scripts\/provision\.sh/)).toBeGreaterThan(0);
    expect(index(/provision/)).toBeLessThan(index(/npm run grade/));
    expect(grade.run).toMatch(/^sudo .*npm run grade -- --all --report junit --out grades\.xml$/);
    expect(grade["continue-on-error"]).toBe(true);
    const summary = steps[index(/GITHUB_STEP_SUMMARY/)]!;
    expect(summary.run).toContain("--report markdown");
    expect(summary.if).toBe("always()");
    const upload = steps[index(/actions\/upload-artifact/)]!;
    expect(String(upload.with?.path)).toContain("grades.xml");
    expect(upload.if).toBe("always()");
    expect(steps.at(-1)!.if).toBe(`steps.${grade.id}.outcome == 'failure'`);
  });

  it("is the file the instructors' README says to install", () => {
    const readme = readFileSync(join(root, "classroom", "README.md"), "utf8");
    expect(readme).toContain("cp classroom/grade.yml .github/workflows/grade.yml");
  });
});

describe("watching a lab's files", () => {
  it("ignores build output and editors' temp files", () => {
    for (const name of ["hello.bpf.o", ".hello.ts.swp", "hello.ts~", "#hello.ts#", ".#hello.ts", "4913", "hello.ts.tmp", "hello.ts___jb_tmp___"]) expect(isNoise(name), name).toBe(true);
    for (const name of ["hello.ts", "hello.bpf.c", "README.md", "table.ts"]) expect(isNoise(name), name).toBe(false);
  });

  it("calls back once per save, never for noise, never twice at once", async () => {
    const dir = tempDir("watch-");
    writeFileSync(join(dir, "a.ts"), "1");
    const calls: string[][] = [];
    let running = 0;
    let overlapped = false;
    const watcher = watchDir(
      dir,
      async (changed) => {
        overlapped ||= ++running > 1;
        calls.push(changed);
        await delay(400);
        running--;
      },
      { debounceMs: 100, pollMs: 250 },
    );
    try {
      writeFileSync(join(dir, "x.bpf.o"), "obj");
      writeFileSync(join(dir, ".a.ts.swp"), "swap");
      await delay(700);
      expect(calls).toEqual([]);
      writeFileSync(join(dir, "a.ts"), "22");
      writeFileSync(join(dir, "a.ts"), "333"); // an editor's burst
      expect(await waitUntil(() => calls.length === 1, 3000)).toBe(true);
      writeFileSync(join(dir, "b.ts"), "new"); // while the callback runs
      expect(await waitUntil(() => calls.length === 2, 3000)).toBe(true);
      await delay(800);
      expect(calls).toEqual([["a.ts"], ["b.ts"]]);
      expect(overlapped).toBe(false);
    } finally {
      watcher.close();
    }
  });
});

/** Pids of live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => {
      try {
        const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0];
        return state !== "Z" && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(machineReady)("npm run grade -- --watch, on the real kernel", () => {
  it("grades lab 1 again on each save, and Ctrl-C mid-grade leaves no loader behind", async () => {
    // A course whose lab 1 holds the solution; everything else is the real course (links).
    const course = tempDir("watch-course-");
    for (const name of ["node_modules", "native", "build", "bpf", "grader"]) symlinkSync(join(root, name), join(course, name));
    cpSync(join(root, "package.json"), join(course, "package.json"));
    const dir = join(course, "labs", "lab1-hello");
    cpSync(join(root, "solutions", "lab1-hello"), dir, { recursive: true, filter: (src) => !src.endsWith(".bpf.o") });

    const { command, args } = tsxCommand(join(root, "grader", "grade.ts"));
    const grader = spawn(command, [...args, "--watch", "lab1"], {
      cwd: course,
      env: { ...process.env, GRADER_ROOT: course, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const done = collect(grader);
    let stdout = "";
    grader.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const count = (pattern: RegExp) => stdout.match(pattern)?.length ?? 0;
    const watching = /^grade: watching labs\/lab1-hello/gm;
    try {
      expect(await waitUntil(() => count(watching) === 1, 60_000)).toBe(true);
      // Build output and an editor's swap file are not a save.
      writeFileSync(join(dir, ".hello.ts.swp"), "swap");
      utimesSync(join(dir, "hello.bpf.o"), new Date(), new Date());
      await delay(1500);
      expect(count(watching)).toBe(1);

      writeFileSync(join(dir, "hello.ts"), `${readFileSync(join(dir, "hello.ts"), "utf8")}// saved\n`);
      expect(await waitUntil(() => count(watching) === 2, 60_000)).toBe(true);
      expect(stdout).toContain("grade: hello.ts changed");
      expect(count(/^Score: 9\/9$/gm)).toBe(2);

      // Save again, and press Ctrl-C while that grade's loader runs.
      writeFileSync(join(dir, "hello.ts"), `${readFileSync(join(dir, "hello.ts"), "utf8")}// saved again\n`);
      expect(await waitUntil(() => processesMentioning(join(dir, "hello.ts")).length > 0, 30_000)).toBe(true);
      grader.kill("SIGINT");
      const { code } = await done;
      expect(code).toBe(130);
      expect(processesMentioning(dir)).toEqual([]);
      expect(processesMentioning(course)).toEqual([]);
    } finally {
      grader.kill("SIGKILL");
    }
  }, 120_000);
});
