// The hints of a lab, parsed from its README's "Hints" section. Two shapes are in use:
//
//   <details><summary>Hint 2: the file name</summary>      1. *The loader fails.* Read the
//   general advice...                                          verifier's message...
//   <details><summary>Still stuck?</summary>               2. *Counts are short.* ...
//   the specific answer
//   </details>
//   </details>
//
// A hint is a sequence of parts, general first: its own text, then each nested <details>.

export interface Hint {
  /** As numbered in the README (what the grader's "read hint 3" refers to). */
  number: number;
  title: string;
  /** parts[0] is the hint; each later part is a nested <details> ("Still stuck?"), more specific. */
  parts: HintPart[];
}

export interface HintPart {
  /** The nested block's summary ("Still stuck?"); undefined for the hint's own text. */
  label?: string;
  text: string;
}

export function parseHints(section: string): Hint[] {
  const hints: Hint[] = [];
  /** Open <details> blocks: depth 1 is a hint, deeper ones are its parts. */
  let depth = 0;
  let current: { number: number; title: string; parts: { label?: string; lines: string[] }[] } | undefined;
  let listItem = false;
  const finish = () => {
    if (current) {
      const { number, title, parts } = current;
      hints.push({ number, title, parts: parts.map(({ label, lines }) => ({ ...(label !== undefined && { label }), text: tidy(lines) })) });
    }
    current = undefined;
  };
  const start = (number: number, title: string) => {
    finish();
    current = { number, title, parts: [{ lines: [] }] };
  };

  for (const line of section.split("\n")) {
    const opens = (line.match(/<details\b[^>]*>/g) ?? []).length;
    const closes = (line.match(/<\/details>/g) ?? []).length;
    const summary = /<summary>(.*?)<\/summary>/.exec(line)?.[1]?.trim();
    if (opens > 0 || summary !== undefined) {
      depth += opens;
      listItem = false;
      if (depth === 1 && summary !== undefined) {
        const numbered = /^hint\s+(\d+)\s*[:.—-]?\s*(.*)$/i.exec(summary);
        start(numbered ? Number(numbered[1]) : hints.length + 1, numbered ? numbered[2]! : summary);
      } else if (depth > 1 && current && summary !== undefined) {
        current.parts.push({ label: summary, lines: [] });
      }
      depth -= closes;
      continue;
    }
    if (closes > 0) {
      depth = Math.max(0, depth - closes);
      if (depth === 0) finish();
      continue;
    }
    const item = depth === 0 ? /^(\d+)\.\s+(.*)$/.exec(line) : null;
    if (item) {
      const [, number, rest] = item;
      const emphasis = /^\*([^*]+)\*\s*(.*)$/.exec(rest!);
      start(Number(number), emphasis ? emphasis[1]!.replace(/[.:]$/, "") : "");
      current!.parts[0]!.lines.push(emphasis ? emphasis[2]! : rest!);
      listItem = true;
      continue;
    }
    if (depth > 0 && current) current.parts.at(-1)!.lines.push(line);
    else if (listItem && current && (line.trim() === "" || /^\s/.test(line))) current.parts[0]!.lines.push(line.replace(/^ {1,3}/, ""));
    else listItem = false;
  }
  finish();
  return hints;
}

/** Without the blank lines around it; Markdown's own indentation is kept (code blocks). */
function tidy(lines: readonly string[]): string {
  const text = [...lines];
  while (text.length > 0 && text[0]!.trim() === "") text.shift();
  while (text.length > 0 && text.at(-1)!.trim() === "") text.pop();
  return text.join("\n");
}
