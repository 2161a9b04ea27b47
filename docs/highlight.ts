// Code blocks: highlight.js with the course's four languages. The lab READMEs indent their code
// (so it reads well as plain text), which gives no language: guessCodeLanguage() decides from
// the code itself, because highlight.js's own guess calls half the C snippets TypeScript.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import typescript from "highlight.js/lib/languages/typescript";

hljs.registerLanguage("c", c);
hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("bash", bash);

export type CodeLanguage = "c" | "typescript" | "bash" | "text";

const aliases: Record<string, CodeLanguage> = {
  c: "c", h: "c",
  ts: "typescript", typescript: "typescript", js: "typescript", javascript: "typescript",
  sh: "bash", bash: "bash", shell: "bash", console: "bash",
  text: "text", txt: "text", plaintext: "text", output: "text",
};

/** The language of a fenced block's info string ("ts", "sh", ...), or undefined if unknown. */
export function languageOf(info: string): CodeLanguage | undefined {
  return aliases[info.trim().split(/\s+/)[0]?.toLowerCase() ?? ""];
}

// Shell: every line is a command the course uses, a comment, or a variable assignment.
const shellLine = /^(\$ )?(sudo|npm|npx|node|ls|cat|cd|ip|python3|bpftool|vagrant|mount|clang|git|echo|export|apt-get|apt|tsx|mkdir|rm|cp|grep|uname|dmesg|ulimit|watch|for|while|[A-Z_][A-Z0-9_]*=\S*)(\s|$)|^#/;
// Marks only one of the two languages has.
const typescriptMarks = [/=>/, /\bimport\b.*\bfrom\b/, /\bconsole\./, /\b(let|interface|await|using)\s/, /\bobj\.\w+\(/, /\$\{/, /:\s*(number|string|bigint|boolean)\b/, /\bnew [A-Z]\w*\(/];
const cMarks = [/->/, /\b__u(8|16|32|64)\b/, /\b(u8|u16|u32|u64|char|int|void|long)\s+\**\w+/, /\bbpf_\w+\(/, /^\s*#\s*(include|define)\b/m, /\bSEC\(/, /\bstruct \w+\s*\*/, /\b__sync_\w+\(/, /\breturn\s+\w+;/];

/** The language of an unlabelled block: shell, C or TypeScript by their marks, else text. */
export function guessCodeLanguage(code: string): CodeLanguage {
  const lines = code.split("\n").filter((l) => l.trim() !== "");
  if (lines.length > 0 && lines.every((l) => shellLine.test(l.trim()))) return "bash";
  const score = (marks: RegExp[]) => marks.filter((m) => m.test(code)).length;
  const ts = score(typescriptMarks);
  const cc = score(cMarks);
  if (ts === 0 && cc === 0) return "text";
  return ts > cc ? "typescript" : "c";
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);
}

/** A whole `<pre><code>` block, highlighted unless the language is text. */
export function highlightBlock(code: string, language: CodeLanguage): string {
  const body = language === "text" ? escapeHtml(code) : hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return `<pre class="code"><code class="hljs language-${language}">${body}</code></pre>\n`;
}
