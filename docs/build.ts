// `npm run docs`: builds the course site into build/docs/ from docs/*.md, every lab's README
// and the `#bpf` library's doc comments. `npm run docs -- --serve [--port 8080] [--host 0.0.0.0]`
// then serves it (inside the course VM, --host 0.0.0.0 lets the host's browser reach it).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { apiReferenceMarkdown } from "./api-reference.ts";
import { compatibilityMarkdown, compatibilityTitle } from "./compatibility.ts";
import { framePage, pageHref, type Page } from "./nav.ts";
import { createRenderer } from "./render.ts";
import { serveDirectory } from "./serve.ts";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const defaultOutDir = join(repoRoot, "build/docs");

export interface Lab { number: number; dir: string; readme: string }

/** Every `labs/labN-slug/` with a README, in lab order: labs are found, never listed by hand. */
export function discoverLabs(root: string = repoRoot): Lab[] {
  const labsDir = join(root, "labs");
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir)
    .map((dir) => ({ dir, match: /^lab(\d+)-/.exec(dir) }))
    .filter(({ dir, match }) => match && existsSync(join(labsDir, dir, "README.md")))
    .map(({ dir, match }) => ({ number: Number(match![1]), dir, readme: `labs/${dir}/README.md` }))
    .sort((a, b) => a.number - b.number);
}

function firstHeading(markdown: string): string | undefined {
  return /^#\s+(.+?)\s*#*\s*$/m.exec(markdown)?.[1];
}

/** The first sentence of a README's first paragraph: the lab list's one-line summary. */
function firstSentence(markdown: string): string {
  const paragraph = markdown.split(/\n\s*\n/).map((p) => p.trim()).find((p) => p && !/^[#<|>`-]|^ {4}/.test(p)) ?? "";
  const sentence = /^[\s\S]*?[.:!?](?=\s|$)/.exec(paragraph)?.[0] ?? paragraph;
  return sentence.replace(/\s+/g, " ").replace(/:$/, ".");
}

function labList(root: string, labs: Lab[]): string {
  if (labs.length === 0) return "*No labs yet.*";
  return labs.map((lab) => {
    const markdown = readFileSync(join(root, lab.readme), "utf8");
    return `- [${firstHeading(markdown) ?? lab.dir}](../${lab.readme}): ${firstSentence(markdown)}`;
  }).join("\n");
}

/** The site's pages in reading order. */
export function collectPages(root: string = repoRoot): Page[] {
  const doc = (file: string, slug: string, label: string, section: Page["section"]): Page => {
    const markdown = readFileSync(join(root, "docs", file), "utf8");
    return { slug, title: firstHeading(markdown) ?? label, label, section, source: `docs/${file}`, markdown };
  };
  const labs = discoverLabs(root);
  const home = doc("index.md", "index", "Home", "Course");
  home.markdown = home.markdown.replace("<!-- labs -->", labList(root, labs));
  const labPages = labs.map((lab): Page => {
    const markdown = readFileSync(join(root, lab.readme), "utf8");
    const title = firstHeading(markdown) ?? lab.dir;
    return { slug: lab.dir, title, label: title.replace(/^Lab\s+(\d+):\s*/i, "$1. "), section: "Labs", source: lab.readme, markdown };
  });
  const api: Page = {
    slug: "api", title: "API reference", label: "API reference (#bpf)", section: "Reference",
    source: "native/index.ts", markdown: apiReferenceMarkdown(join(root, "native/index.ts")),
  };
  // Made from the last kernel matrix run in this checkout (.grades/matrix.json), if any.
  const compatibility: Page = {
    slug: "compatibility", title: compatibilityTitle, label: compatibilityTitle, section: "Reference",
    source: "docs/compatibility.ts", markdown: compatibilityMarkdown(root),
  };
  return [
    home,
    doc("setup.md", "setup", "Setting up", "Course"),
    ...labPages,
    doc("troubleshooting.md", "troubleshooting", "Troubleshooting", "Reference"),
    compatibility,
    api,
    doc("instructors.md", "instructors", "Instructor guide", "Reference"),
  ];
}

export interface BuiltSite { outDir: string; pages: Page[]; warnings: string[] }

/** Builds the whole site into `outDir` (emptied first). Broken relative links become warnings. */
export function buildSite(outDir: string = defaultOutDir, root: string = repoRoot): BuiltSite {
  const pages = collectPages(root);
  const bySource = new Map(pages.map((p) => [p.source, p]));
  const copied = new Set<string>();
  const warnings: string[] = [];

  // Links are written between repository files (so they work on GitHub too): a link to another
  // page's source becomes that page; a link to any other file in the repository, a copy of it.
  const render = createRenderer((href, sourceFile) => {
    const [path = "", fragment] = href.split("#", 2);
    const target = posix.normalize(posix.join(posix.dirname(sourceFile), decodeURI(path)));
    const suffix = fragment === undefined ? "" : `#${fragment}`;
    const page = bySource.get(target);
    if (page) return pageHref(page) + suffix;
    if (target.startsWith("..") || !existsSync(join(root, target)) || !statSync(join(root, target)).isFile()) return undefined;
    copied.add(target);
    return `files/${target}${suffix}`;
  });

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const page of pages) {
    const rendered = render(page.markdown, page.source);
    for (const href of rendered.unresolved) warnings.push(`${page.source}: link to ${href} leads nowhere on the site`);
    writeFileSync(join(outDir, pageHref(page)), framePage(pages, page, page.title, rendered.html));
  }
  for (const file of copied) {
    mkdirSync(dirname(join(outDir, "files", file)), { recursive: true });
    copyFileSync(join(root, file), join(outDir, "files", file));
  }
  const missing = `<h1>Page not found</h1>\n<p>There is no such page. Every page of the course is listed on the left; start from <a href="index.html">the home page</a>.</p>`;
  writeFileSync(join(outDir, "404.html"), framePage(pages, undefined, "Page not found", missing, { base: "/" }));
  copyFileSync(join(root, "docs/style.css"), join(outDir, "style.css"));
  return { outDir, pages, warnings };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      serve: { type: "boolean", default: false },
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
    },
  });
  const site = buildSite(values.out ? resolve(values.out) : defaultOutDir);
  for (const warning of site.warnings) console.warn(`warning: ${warning}`);
  console.log(`docs: built ${site.pages.length} pages into ${posix.relative(process.cwd(), site.outDir) || "."}`);
  if (!values.serve) return;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port needs a port number, got '${values.port}'`);
  const server = await serveDirectory(site.outDir, { port, host: values.host });
  console.log(`docs: serving at ${server.url} (Ctrl-C to stop)`);
  process.once("SIGINT", () => { void server.close().then(() => process.exit(0)); });
  process.once("SIGTERM", () => { void server.close().then(() => process.exit(0)); });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`docs: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
