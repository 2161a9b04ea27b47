// The site's pages in reading order, and the frame around each: a sidebar listing every page,
// the page itself, and previous/next links, so the course reads front to back like a book.

export type Section = "Course" | "Labs" | "Reference";

export interface Page {
  /** File name without ".html"; "index" is the home page. */
  slug: string;
  /** The page's first heading. */
  title: string;
  /** The sidebar's shorter label. */
  label: string;
  section: Section;
  /** Repository path of what the page is made from, shown at its foot. */
  source: string;
  markdown: string;
}

export function pageHref(page: Pick<Page, "slug">): string {
  return `${page.slug}.html`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);
}

function sidebar(pages: readonly Page[], current: Page | undefined): string {
  const sections = [...new Set(pages.map((p) => p.section))];
  const groups = sections.map((section) => {
    const items = pages.filter((p) => p.section === section).map((p) => {
      const here = p === current ? ' aria-current="page"' : "";
      return `<li><a href="${pageHref(p)}"${here}>${escapeHtml(p.label)}</a></li>`;
    });
    return `<h2>${section}</h2>\n<ul>\n${items.join("\n")}\n</ul>`;
  });
  return `<nav id="sidebar" aria-label="Pages">\n<p class="site-name"><a href="index.html">eBPF, graded on a real kernel</a></p>\n${groups.join("\n")}\n</nav>`;
}

function pager(pages: readonly Page[], current: Page): string {
  const at = pages.indexOf(current);
  const previous = pages[at - 1];
  const next = pages[at + 1];
  const link = (p: Page | undefined, rel: "prev" | "next") =>
    p ? `<a class="${rel}" rel="${rel}" href="${pageHref(p)}"><span>${rel === "prev" ? "Previous" : "Next"}</span>${escapeHtml(p.title)}</a>` : "<span></span>";
  return `<nav class="pager" aria-label="Previous and next">${link(previous, "prev")}${link(next, "next")}</nav>`;
}

/**
 * A complete HTML document: `body` is the page's rendered content; `current` is undefined for
 * the 404 page, which gets `base` ("/") because the server shows it at any depth of path.
 */
export function framePage(pages: readonly Page[], current: Page | undefined, title: string, body: string, options: { base?: string } = {}): string {
  const foot = current ? `${pager(pages, current)}\n<p class="source">Made from <code>${escapeHtml(current.source)}</code>.</p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.base ? `<base href="${escapeHtml(options.base)}">\n` : ""}<title>${escapeHtml(title)} · eBPF course</title>
<link rel="stylesheet" href="style.css">
<link rel="icon" href="data:,">
</head>
<body>
${sidebar(pages, current)}
<main id="content">
${body}
${foot}
</main>
</body>
</html>
`;
}
