// What to show of a loader's stderr. When a loader dies of an uncaught error, Node prints the
// source line, the error's message, a stack trace and every field of the error (a verifier
// log can be hundreds of lines): the message is what the student needs, and it comes first.
import type { MarkedLine } from "./failure.ts";

const errorHeader = /^(?:[A-Z]\w*)?(?:Error|Exception)\b[^:]*: /;
const stackFrame = /^ {4}at \S/; // Node indents stack frames by four spaces; messages may use two
const tailLines = 30;

/** The message of an uncaught error if stderr holds one, else its last lines; all marked "!". */
export function stderrExcerpt(stderr: readonly string[], full = "run the lab with `npm run lab` to see it all"): MarkedLine[] {
  const start = stderr.findIndex((line) => errorHeader.test(line));
  let shown: readonly string[];
  if (start >= 0) {
    const end = stderr.findIndex((line, i) => i > start && stackFrame.test(line));
    shown = stderr.slice(start, end < 0 ? start + tailLines : end);
  } else {
    shown = stderr.slice(-tailLines);
  }
  const marked = shown.map((text): MarkedLine => ({ mark: "!", text }));
  const hidden = stderr.length - shown.length;
  if (hidden > 0) marked.push({ mark: " ", text: `... ${hidden} more lines of stderr not shown: ${full}` });
  return marked;
}
