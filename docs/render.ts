// Markdown to HTML for the site: markdown-it with highlighted code, an id on every heading (so
// "#run-it" links work), and relative links rewritten from repository paths to site pages.
import MarkdownIt from "markdown-it";
import { guessCodeLanguage, highlightBlock, languageOf } from "./highlight.ts";

/** Where a link written in a source file points on the site, or undefined if nowhere. */
export type LinkResolver = (href: string, sourceFile: string) => string | undefined;

export interface Rendered {
  html: string;
  /** Relative links the resolver could not place, for the build to report. */
  unresolved: string[];
}

interface RenderEnv { sourceFile: string; unresolved: string[]; ids: Set<string> }

/** "Run it" -> "run-it"; markdown-it leaves ids to us. */
export function slugify(text: string): string {
  return text.toLowerCase().replace(/<[^>]*>/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "section";
}

function uniqueId(text: string, taken: Set<string>): string {
  const base = slugify(text);
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

const external = /^([a-z][a-z0-9+.-]*:|\/\/|#)/i;

export function createRenderer(resolveLink: LinkResolver): (markdown: string, sourceFile: string) => Rendered {
  const md = new MarkdownIt({
    html: true, // the lab READMEs fold their hints in <details>
    linkify: false,
    typographer: false,
    highlight: (code, info) => highlightBlock(code, languageOf(info) ?? guessCodeLanguage(code)),
  });
  md.renderer.rules.code_block = (tokens, idx) => highlightBlock(tokens[idx]!.content, guessCodeLanguage(tokens[idx]!.content));

  md.core.ruler.push("heading_ids", (state) => {
    const env = state.env as RenderEnv;
    state.tokens.forEach((token, i) => {
      if (token.type === "heading_open") token.attrSet("id", uniqueId(state.tokens[i + 1]?.content ?? "", env.ids));
    });
  });

  const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env: RenderEnv, self) => {
    const token = tokens[idx]!;
    const href = token.attrGet("href");
    if (href && !external.test(href)) {
      const target = resolveLink(href, env.sourceFile);
      if (target) token.attrSet("href", target);
      else env.unresolved.push(href);
    }
    return defaultLinkOpen(tokens, idx, options, env, self);
  };

  return (markdown, sourceFile) => {
    const env: RenderEnv = { sourceFile, unresolved: [], ids: new Set(["content", "sidebar"]) };
    const tokens = md.parse(markdown, env);
    return { html: md.renderer.render(tokens, md.options, env), unresolved: env.unresolved };
  };
}
