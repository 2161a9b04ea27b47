// The docs site: built into a temporary directory, every internal link and anchor followed,
// served over HTTP, and opened in headless Chromium (no console errors, nothing fetched from
// elsewhere, code visibly highlighted in a screenshot). The troubleshooting page's verifier
// messages are checked against what the running kernel really says.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, posix, relative } from "node:path";
import { inflateSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileBpf } from "../bpf/compile.ts";
import { buildSite, discoverLabs, repoRoot, type BuiltSite } from "../docs/build.ts";
import { pageHref } from "../docs/nav.ts";
import { serveDirectory, type StaticServer } from "../docs/serve.ts";
import { requireBpf } from "./helpers/kernel.ts";

// DOCS_TEST_KEEP=1 keeps the temporary directory (site and screenshot) to look at.
const workDir = mkdtempSync(join(tmpdir(), "docs-test-"));
let site: BuiltSite;
let server: StaticServer;

beforeAll(async () => {
  site = buildSite(join(workDir, "site"));
  server = await serveDirectory(site.outDir, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  if (process.env.DOCS_TEST_KEEP) console.log(`docs test: kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
});

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html")).map((f) => f.split("\\").join("/"));
}

const attributeValues = (html: string, name: string) => [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, "g"))].map((m) => m[1]!.replace(/&amp;/g, "&"));

describe("docs site build", () => {
  it("has a page for every lab directory with a README, in order, and no broken source links", () => {
    const labDirs = readdirSync(join(repoRoot, "labs")).filter((d) => /^lab\d+-/.test(d) && existsSync(join(repoRoot, "labs", d, "README.md")));
    expect(labDirs.length).toBeGreaterThan(0);
    const labPages = site.pages.filter((p) => p.section === "Labs").map((p) => p.slug);
    expect(labPages).toEqual(discoverLabs().map((l) => l.dir));
    expect([...labPages].sort()).toEqual([...labDirs].sort());
    for (const page of site.pages) expect(existsSync(join(site.outDir, pageHref(page))), page.slug).toBe(true);
    expect(site.warnings).toEqual([]);
  });

  it("resolves every internal link and anchor", () => {
    const idsOf = new Map<string, Set<string>>();
    const ids = (file: string) => {
      if (!idsOf.has(file)) idsOf.set(file, new Set(attributeValues(readFileSync(join(site.outDir, file), "utf8"), "id")));
      return idsOf.get(file)!;
    };
    const broken: string[] = [];
    let checked = 0;
    for (const file of htmlFiles(site.outDir)) {
      const html = readFileSync(join(site.outDir, file), "utf8");
      const base = attributeValues(html, "base")[0] === undefined ? posix.dirname(file) : "."; // 404.html has <base href="/">
      for (const link of [...attributeValues(html, "href"), ...attributeValues(html, "src")]) {
        if (/^(https?:|mailto:|data:)/.test(link)) continue;
        checked++;
        const [path = "", fragment] = link.split("#", 2);
        const decoded = decodeURI(path);
        const joined = decoded === "" ? file : decoded.startsWith("/") ? decoded.slice(1) : posix.normalize(posix.join(base, decoded));
        const target = joined === "" || joined.endsWith("/") ? `${joined}index.html` : joined;
        if (target.startsWith("..") || !existsSync(join(site.outDir, target)) || !statSync(join(site.outDir, target)).isFile()) {
          broken.push(`${file}: ${link} (no file ${target})`);
        } else if (fragment && target.endsWith(".html") && !ids(target).has(decodeURIComponent(fragment))) {
          broken.push(`${file}: ${link} (no id "${fragment}" in ${target})`);
        }
      }
    }
    expect(broken).toEqual([]);
    // Every page links to every other through the sidebar, at least.
    expect(checked).toBeGreaterThan(site.pages.length ** 2);
  });

  it("documents every export of #bpf and its public methods, and hides private ones", async () => {
    const bpf = await import("#bpf");
    const api = readFileSync(join(site.outDir, "api.html"), "utf8");
    const headingIds = new Set(attributeValues(api, "id"));
    const sources = readdirSync(join(repoRoot, "native")).filter((f) => f.endsWith(".ts")).map((f) => readFileSync(join(repoRoot, "native", f), "utf8")).join("\n");
    // A class's text: from its declaration to the closing brace at the start of a line.
    const classSource = (name: string) => new RegExp(`\\nexport class ${name}\\b[\\s\\S]*?\\n}`).exec(sources)?.[0] ?? "";
    const missing: string[] = [];
    const leaked: string[] = [];
    for (const [name, value] of Object.entries(bpf)) {
      if (typeof value !== "function" && typeof value !== "string") continue;
      if (!headingIds.has(name.toLowerCase())) missing.push(name);
      if (typeof value !== "function" || !/^class\s/.test(Function.prototype.toString.call(value))) continue;
      for (const member of Object.getOwnPropertyNames(value.prototype)) {
        if (member === "constructor") continue;
        const id = `${name}-${member}`.toLowerCase();
        const hidden = new RegExp(`(private|@internal \\*/)\\s+(readonly\\s+)?(get\\s+)?${member}\\s*[(:<]`).test(classSource(name));
        if (hidden && headingIds.has(id)) leaked.push(id);
        if (!hidden && !headingIds.has(id)) missing.push(id);
      }
    }
    expect({ missing, leaked }).toEqual({ missing: [], leaked: [] });
  });
});

describe("docs server", () => {
  const get = (path: string) => new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, path }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk)).on("end", () => {
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body });
      });
    });
    req.on("error", reject).end();
  });

  it("serves pages and styles with their content types, and its 404 page for anything else", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const home = await get("/");
    expect(home.status).toBe(200);
    expect(home.type).toBe("text/html; charset=utf-8");
    expect(home.body).toContain('<link rel="stylesheet" href="style.css">');
    expect((await get("/style.css")).type).toBe("text/css; charset=utf-8");
    for (const path of ["/no-such-page.html", "/labs/", "/%2e%2e/package.json", "/..%2fpackage.json"]) {
      const missing = await get(path);
      expect(missing.status, path).toBe(404);
      expect(missing.body, path).toContain("Page not found");
    }
  });
});

// ---- Headless Chromium ----

const chromiumCandidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const chromiumPath = chromiumCandidates.find((p): p is string => !!p && existsSync(p));

/** True when Chromium is here; under CI its absence is a failure, elsewhere a skip. */
function requireChromium(): boolean {
  if (chromiumPath) return true;
  const reason = "Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): skipping the browser checks of the docs site";
  if (process.env.CI) throw new Error(reason);
  console.warn(reason);
  return false;
}

/** An 8-bit RGB or RGBA PNG, decoded to pixels (what Chromium's screenshots are). */
function decodePng(png: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8], "bit depth").toBe(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]!] ?? 0;
      expect(channels, "colour type RGB or RGBA").toBeGreaterThan(0);
      expect(data[12], "not interlaced").toBe(0);
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const upLeft = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const p = left + up - upLeft;
      const paeth = [left, up, upLeft].sort((a, b) => Math.abs(p - a) - Math.abs(p - b))[0]!;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function parseRgb(css: string): [number, number, number] {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (!m) throw new Error(`not an rgb() colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe.skipIf(!requireChromium())("docs site in headless Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      // No background traffic: the machine may have no network, and the site must need none.
      args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("loads every page without a console error or a request leaving the site", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (msg) => { if (msg.type() === "error" || msg.type() === "warning") problems.push(`${page.url()}: console ${msg.type()}: ${msg.text()}`); });
      page.on("pageerror", (err) => problems.push(`${page.url()}: ${err.message}`));
      page.on("requestfailed", (req) => problems.push(`${page.url()}: failed to load ${req.url()}`));
      page.on("request", (req) => { if (!req.url().startsWith(server.url) && !req.url().startsWith("data:")) problems.push(`${page.url()}: requested ${req.url()}`); });
      page.on("response", (res) => { if (res.status() >= 400) problems.push(`${page.url()}: ${res.status()} for ${res.url()}`); });
      for (const p of site.pages) {
        const response = await page.goto(server.url + pageHref(p), { waitUntil: "load" });
        expect(response?.status(), p.slug).toBe(200);
        expect(await page.title(), p.slug).toContain(p.title);
        // The stylesheet applied: the sidebar sits beside the text, and the text is dark on light.
        const look = await page.evaluate(() => {
          const body = getComputedStyle(document.body);
          return { display: body.display, color: body.color, background: body.backgroundColor, current: document.querySelector("#sidebar [aria-current=page]")?.textContent ?? "" };
        });
        expect(look.display, p.slug).toBe("grid");
        expect(Math.max(...parseRgb(look.color)), p.slug).toBeLessThan(80);
        expect(Math.min(...parseRgb(look.background)), p.slug).toBeGreaterThan(230);
        expect(look.current, p.slug).toBe(p.label);
      }
    } finally {
      await context.close();
    }
    expect(problems).toEqual([]);
  });

  it("shows a lab's C code highlighted, on screen", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      // The first lab with a C block on show (hints fold theirs away) that has at least two
      // highlight colours, as the browser computes them from our stylesheet.
      let lab: (typeof site.pages)[number] | undefined;
      let notBlack: string[] = [];
      const tried: string[] = [];
      for (const candidate of site.pages.filter((p) => p.section === "Labs")) {
        await page.goto(server.url + pageHref(candidate), { waitUntil: "load" });
        const blocks = await page.locator("pre code.language-c").evaluateAll((codes) => codes.map((code) => {
          if (code.closest("details:not([open])") || !code.checkVisibility()) return [];
          const plain = getComputedStyle(code).color;
          const seen = new Set<string>();
          for (const span of Array.from(code.querySelectorAll<HTMLElement>("span[class^='hljs-']"))) {
            const colour = getComputedStyle(span).color;
            if (colour !== plain) seen.add(colour);
          }
          return [...seen];
        }));
        const coloured = blocks.map((colours) => colours.filter((c) => Math.max(...parseRgb(c)) > 60));
        const best = coloured.findIndex((colours) => colours.length >= 2);
        tried.push(`${candidate.slug}: ${coloured.map((c) => c.length).join(",") || "no C blocks"}`);
        if (best < 0) continue;
        await page.locator("pre code.language-c").nth(best).scrollIntoViewIfNeeded();
        lab = candidate;
        notBlack = coloured[best]!;
        break;
      }
      expect(lab, `a lab page showing a C block with two highlight colours (colours per block: ${tried.join("; ")})`).toBeDefined();

      const screenshotPath = join(workDir, `${lab!.slug}.png`);
      const png = await page.screenshot({ path: screenshotPath });
      writeFileSync(screenshotPath, png);
      const image = decodePng(png);
      expect([image.width, image.height]).toEqual([1280, 900]);
      // Pixels drawn in each highlight colour (glyph cores render in the exact colour; a small
      // tolerance covers colour management). Two colours must each cover a visible area.
      const pixelsOf = (rgb: [number, number, number]) => {
        let n = 0;
        for (let i = 0; i < image.pixels.length; i += image.channels) {
          if (Math.abs(image.pixels[i]! - rgb[0]) <= 6 && Math.abs(image.pixels[i + 1]! - rgb[1]) <= 6 && Math.abs(image.pixels[i + 2]! - rgb[2]) <= 6) n++;
        }
        return n;
      };
      const onScreen = notBlack.filter((c) => pixelsOf(parseRgb(c)) >= 20);
      expect(onScreen.length, `highlight colours visible in ${relative(process.cwd(), screenshotPath)}`).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
    }
  });
});

// ---- The troubleshooting page against the kernel ----

const examplesDir = join(repoRoot, "docs/verifier-examples");
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".bpf.c")).sort();

describe.skipIf(!requireBpf())("troubleshooting quotes what the verifier says", () => {
  const troubleshooting = readFileSync(join(repoRoot, "docs/troubleshooting.md"), "utf8");

  it.each(examples)("%s", async (file) => {
    const bpf = await import("#bpf");
    const source = readFileSync(join(examplesDir, file), "utf8");
    const says = /The verifier says: "(.*?)"/.exec(source)?.[1];
    expect(says, `${file} names the message it provokes`).toBeDefined();
    expect(troubleshooting, "docs/troubleshooting.md quotes it").toContain(says);
    const object = await compileBpf(join(examplesDir, file), { output: join(workDir, "verifier", file.replace(/\.c$/, ".o")) });
    let error: unknown;
    const obj = bpf.BpfObject.open(object);
    try {
      obj.load();
    } catch (err) {
      error = err;
    } finally {
      obj.close();
    }
    expect(error, `the kernel accepted ${file}`).toBeInstanceOf(bpf.VerifierError);
    expect((error as InstanceType<typeof bpf.VerifierError>).summary.join("\n")).toContain(says);
  });
});
