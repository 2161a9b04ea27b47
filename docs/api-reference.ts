// The `#bpf` API reference, generated at build time from the library's own source: what
// native/index.ts exports, with signatures as written and the doc comments above them. Nothing
// here is written by hand, so the page cannot drift from the code. `@internal` hides a member.
import ts from "typescript";
import { slugify } from "./render.ts";

interface Entry { kind: string; name: string; signature: string; doc: string; members: Member[] }
interface Member { name: string; signature: string; doc: string }

// Doc comments are Markdown, but their "<name>" placeholders would pass for HTML tags: escape
// angle brackets outside code spans.
function escapeAngles(text: string): string {
  return text.split(/(`[^`]*`)/).map((part, i) => (i % 2 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;"))).join("");
}

function docOf(node: ts.Node): string {
  const text = ts.getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
    .join("\n\n")
    .trim();
  return escapeAngles(text);
}

function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((tag) => tag.tagName.text === "internal");
}

function isHidden(node: ts.Node): boolean {
  const flags = ts.getCombinedModifierFlags(node as ts.Declaration);
  const privateName = "name" in node && node.name !== undefined && ts.isPrivateIdentifier(node.name as ts.Node);
  return isInternal(node) || privateName || (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

/** The declaration's text from its first modifier to where its body (or initializer) starts. */
function headerText(node: ts.Node, end: number): string {
  const source = node.getSourceFile().text;
  return source.slice(node.getStart(), end).replace(/^export\s+(default\s+)?/, "").replace(/\s*[;{=]?\s*$/, "").trim();
}

function memberSignature(member: ts.Node): string {
  if (ts.isPropertyDeclaration(member) || ts.isParameter(member) || ts.isPropertySignature(member)) {
    const end = member.type ? member.type.end : member.name.end;
    return headerText(member, end);
  }
  const body = (member as ts.FunctionLikeDeclarationBase).body;
  return headerText(member, body ? body.getStart() : member.end);
}

function memberName(member: ts.ClassElement | ts.TypeElement | ts.ParameterDeclaration): string {
  if (ts.isConstructorDeclaration(member)) return "constructor";
  const name = member.name ? member.name.getText() : "";
  const callable = ts.isMethodDeclaration(member) || ts.isMethodSignature(member);
  return callable ? `${name}()` : name;
}

function classMembers(node: ts.ClassDeclaration): Member[] {
  const members: Member[] = [];
  for (const member of node.members) {
    if (ts.isConstructorDeclaration(member)) {
      // Parameter properties (`readonly name: string` in the constructor) are public fields
      // even when the constructor itself is internal.
      for (const param of member.parameters) {
        const flags = ts.getCombinedModifierFlags(param);
        if (flags & (ts.ModifierFlags.Public | ts.ModifierFlags.Readonly) && !isHidden(param)) {
          members.push({ name: param.name.getText(), signature: memberSignature(param), doc: docOf(param) });
        }
      }
      if (isHidden(member)) continue;
    }
    if (isHidden(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
    members.push({ name: memberName(member), signature: memberSignature(member), doc: docOf(member) });
  }
  return members;
}

function interfaceMembers(node: ts.InterfaceDeclaration): Member[] {
  return node.members.filter((m) => !isInternal(m)).map((m) => ({ name: memberName(m), signature: memberSignature(m), doc: docOf(m) }));
}

function describe(name: string, decl: ts.Declaration): Entry | undefined {
  if (isInternal(decl)) return undefined;
  if (ts.isClassDeclaration(decl)) {
    return { kind: "class", name, signature: headerText(decl, decl.members.pos - 1), doc: docOf(decl), members: classMembers(decl) };
  }
  if (ts.isInterfaceDeclaration(decl)) {
    return { kind: "interface", name, signature: headerText(decl, decl.members.pos - 1), doc: docOf(decl), members: interfaceMembers(decl) };
  }
  if (ts.isTypeAliasDeclaration(decl)) return { kind: "type", name, signature: headerText(decl, decl.end), doc: docOf(decl), members: [] };
  if (ts.isFunctionDeclaration(decl)) {
    return { kind: "function", name, signature: headerText(decl, decl.body ? decl.body.getStart() : decl.end), doc: docOf(decl), members: [] };
  }
  if (ts.isVariableDeclaration(decl)) {
    const statement = decl.parent.parent; // VariableDeclaration -> List -> Statement, where the doc comment sits
    const keyword = decl.parent.flags & ts.NodeFlags.Const ? "const" : "let";
    return { kind: "const", name, signature: `${keyword} ${headerText(decl, decl.type ? decl.type.end : decl.name.end)}`, doc: docOf(statement), members: [] };
  }
  return undefined;
}

/** Every exported declaration of `entry` (following re-exports), in the order it exports them. */
export function collectApi(entry: string): Entry[] {
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true, noEmit: true, strict: true, types: [], skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read the exports of ${entry}`);
  const entries: Entry[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const decl of symbol.declarations ?? []) {
      const described = describe(exported.name, decl);
      if (described) entries.push(described);
    }
  }
  return entries;
}

const kindOrder = ["class", "function", "const", "interface", "type"];
const kindHeadings: Record<string, string> = { class: "Classes", function: "Functions", const: "Constants", interface: "Interfaces", type: "Types" };

function codeBlock(code: string): string {
  return "```ts\n" + code + "\n```\n";
}

/** The reference page as Markdown, rendered like every other page. */
export function apiReferenceMarkdown(entry: string, importName = "#bpf"): string {
  const entries = collectApi(entry);
  const out: string[] = [
    "# API reference",
    "",
    `Everything \`import { ... } from "${importName}"\` offers, generated from the doc comments in \`native/*.ts\` each time the site is built.`,
    "",
  ];
  for (const kind of kindOrder) {
    const ofKind = entries.filter((e) => e.kind === kind);
    if (ofKind.length === 0) continue;
    out.push(`## ${kindHeadings[kind]}`, "", ofKind.map((e) => `[${e.name}](#${slugify(e.name)})`).join(" · "), "");
    for (const e of ofKind) {
      out.push(`### ${e.name}`, "", codeBlock(e.signature), e.doc, "");
      // Members are compact blocks rather than headings: a class has dozens of them. Each keeps
      // an id ("bpfmap-get") so it can be linked to.
      for (const m of e.members) {
        out.push(`<div class="api-member" id="${slugify(`${e.name}-${m.name}`)}">`, "", codeBlock(m.signature), m.doc, "", "</div>", "");
      }
    }
  }
  return out.join("\n");
}
