// Kernel feature probes on the real kernel (the addon asks the kernel through libbpf), a lab
// that requires a feature the kernel cannot have (graded: no check runs, the result says
// which feature and which kernel), and the time scale a guest grader runs with.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { kernelBtfHasEnumerator, kernelHasHelper, kernelHasMapType, kernelHasProgramType } from "#bpf";
import { kernelFeatures, probeAllFeatures, unmetRequirements } from "../grader/lib/features.ts";
import { defineLab } from "../grader/lib/lab.ts";
import { courseLayout, repoRoot } from "../grader/lib/layout.ts";
import { discoverLabs } from "../grader/lib/registry.ts";
import { textReporter } from "../grader/lib/report.ts";
import { gradeLab } from "../grader/lib/runner.ts";
import { timeScale } from "../grader/lib/timing.ts";
import { requireBpf } from "./helpers/kernel.ts";

/** "6.18.44-fc" -> [6, 18]. */
const [major, minor] = release().split(".").map((n) => Number.parseInt(n, 10)) as [number, number];
const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);

describe.skipIf(!requireBpf())("kernel feature probes", () => {
  it("asks the kernel: map types, program types, helpers per program type, link types in its BTF", () => {
    expect(kernelHasMapType("ringbuf")).toBe(atLeast(5, 8));
    expect(kernelHasMapType("percpu_array")).toBe(true);
    expect(kernelHasProgramType("xdp")).toBe(true);
    expect(kernelHasHelper("ringbuf_reserve", "tracepoint")).toBe(atLeast(5, 8));
    expect(kernelHasHelper("get_current_task_btf", "tracepoint")).toBe(atLeast(5, 11));
    // A helper that exists, but not for tracepoint programs: the verifier refuses it by name.
    expect(kernelHasHelper("xdp_adjust_head", "tracepoint")).toBe(false);
    expect(kernelHasHelper("xdp_adjust_head", "xdp")).toBe(true);
    expect(kernelBtfHasEnumerator("BPF_LINK_TYPE_XDP")).toBe(atLeast(5, 9));
    expect(kernelBtfHasEnumerator("BPF_LINK_TYPE_NO_SUCH_THING")).toBe(false);
  });

  it("refuses names it does not know, saying which", () => {
    expect(() => kernelHasMapType("ring_buffer")).toThrow(/unknown BPF map type "ring_buffer"/);
    expect(() => kernelHasProgramType("xpd")).toThrow(/unknown BPF program type "xpd"/);
    expect(() => kernelHasHelper("no_such_helper", "xdp")).toThrow(/unknown BPF helper "no_such_helper"/);
    expect(() => kernelHasHelper("ktime_get_ns", "no_such_type")).toThrow(/unknown BPF program type "no_such_type"/);
  });

  it("every named feature probes without error, and the labs' features are all here", async () => {
    const features = await probeAllFeatures();
    expect(Object.keys(features).sort()).toEqual(Object.keys(kernelFeatures).sort());
    // This machine runs a 6.x kernel with BTF: everything the course needs is there.
    expect(features).toMatchObject({ btf: true, ringbuf: true, xdp: true, "xdp-link": true, tracepoint: true });
    expect(await unmetRequirements(["btf", "ringbuf", "xdp-link"], "lab5")).toEqual([]);
  });
});

describe.skipIf(!requireBpf())("a lab that requires what the kernel lacks", () => {
  const root = mkdtempSync(join(tmpdir(), "probe-test-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  const lib = pathToFileURL(join(repoRoot(), "grader", "lib")).href;
  write("package.json", `{ "type": "module" }\n`);
  // A loader that would leave a mark if it ever ran.
  write("labs/lab1-needs/loader.ts", `import { writeFileSync } from "node:fs";\nwriteFileSync(new URL("./ran", import.meta.url), "");\nsetInterval(() => {}, 1000);\n`);
  write("grader/labs/lab1.ts", `import { check, defineLab } from "${lib}/lab.ts";
// Real probes, answered by this kernel: ringbuf is here; xdp_adjust_head is never callable
// from a tracepoint program, on any kernel.
export default defineLab({
  loader: "loader.ts",
  attachments: 0,
  requires: ["ringbuf", { name: "tp-adjust-head", description: "bpf_xdp_adjust_head() from a tracepoint program", since: "never",
    probe: (k) => k.kernelHasHelper("xdp_adjust_head", "tracepoint") }],
  checks: [
    check("first", 1, async (t) => void (await t.loader())),
    check("second", 2, () => {}),
  ],
});
`);

  it("runs no check and no loader, and says which feature this kernel lacks", async () => {
    const layout = courseLayout(root);
    let text = "";
    const result = await gradeLab(discoverLabs(layout)[0]!, { layout, solution: false, reporter: textReporter({ write: (s: string) => (text += s) }) });
    const sentence = `this kernel (${release()}) lacks bpf_xdp_adjust_head() from a tracepoint program, which lab1 needs (Linux never or newer has it)`;
    expect(result.unsupported).toEqual([sentence]);
    expect(result).toMatchObject({ score: 0, max: 3 });
    expect(result.checks.map((c) => c.failure?.message)).toEqual([`not run: ${sentence}`, `not run: ${sentence}`]);
    expect(text).toContain(`kernel: UNSUPPORTED, ${sentence}`);
    expect(existsSync(join(root, "labs/lab1-needs/ran")), "the loader ran").toBe(false);
  });
});

describe("declaring requirements", () => {
  it("defineLab refuses a feature name the grader does not know", () => {
    const spec = { loader: "x.ts", attachments: 1, checks: [{ name: "a", points: 1, run: () => {} }] };
    expect(() => defineLab({ ...spec, requires: ["ringbuffer" as "ringbuf"] })).toThrow(/requires 'ringbuffer', which is not a known kernel feature/);
    expect(defineLab({ ...spec, requires: ["ringbuf", "xdp-link"] }).requires).toEqual(["ringbuf", "xdp-link"]);
  });
});

describe("time scale", () => {
  it("stretches limits in a guest by how it runs, unless GRADER_TIME_SCALE says otherwise", () => {
    expect(timeScale({})).toBe(1);
    expect(timeScale({ GRADER_TIME_SCALE: "3" })).toBe(3);
    expect(timeScale({ EBPF_VM_KERNEL: "6.1.0-56-amd64", EBPF_VM_ACCELERATOR: "tcg" })).toBe(8);
    expect(timeScale({ EBPF_VM_KERNEL: "6.1.0-56-amd64" })).toBe(8);
    expect(timeScale({ EBPF_VM_KERNEL: "6.1.0-56-amd64", EBPF_VM_ACCELERATOR: "kvm" })).toBe(2);
    expect(timeScale({ EBPF_VM_KERNEL: "6.1.0-56-amd64", GRADER_TIME_SCALE: "1.5" })).toBe(1.5);
    expect(timeScale({ GRADER_TIME_SCALE: "zero" })).toBe(1);
  });
});
