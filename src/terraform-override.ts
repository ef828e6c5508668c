// The provider override file `tclocal terraform` writes: which `provider "tencentcloud"` blocks a
// configuration directory has, and the override (Terraform's `*_override.tf` convention) that points each
// of them at tclocal.
//
// Terraform merges an override block into the block of the same provider and alias, and refuses one whose
// alias no primary file defines ("Missing base provider configuration for override"); an override of the
// default block, when the configuration has none, would make Terraform look for `hashicorp/tencentcloud`
// (there is no such provider) unless the root module declares the source. So the file holds one block per
// block found, and nothing else: finding them is what this module's scanner is for.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const OVERRIDE_FILE = "tclocal_providers_override.tf";

/** The first line of every override file tclocal writes; the pid tells a live run's file from one left by a killed run. */
export function overrideHeader(pid: number): string {
  return `# Written by \`tclocal terraform\` (pid ${pid}) for one run and removed when it ends: do not edit or commit.`;
}

/** The pid in an override file's first line, or undefined when tclocal did not write the file. */
export function overrideWriterPid(content: string): number | undefined {
  const match = /^# Written by `tclocal terraform` \(pid (\d+)\) /.exec(content);
  return match ? Number(match[1]) : undefined;
}

export interface ProviderSettings {
  secretId: string;
  secretKey: string;
}

/**
 * The override file for the given blocks ("" names the default block, anything else an alias). Each block
 * sets the key pair (a block's own `secret_id`, perhaps a real key from a variable, must not be used),
 * clears `security_token` (a token would not match tclocal's key), and forces plain HTTP to the default
 * root domain, so that the requests go through HTTP_PROXY to tclocal with a Host it serves. The region is
 * left alone: several aliases usually exist to reach several regions, and tclocal serves them all.
 * The layout is the one `terraform fmt` makes.
 */
export function overrideContent(blockNames: readonly string[], settings: ProviderSettings, pid: number): string {
  const blocks = blockNames.map((name) => {
    const attributes: Array<[string, string]> = [
      ...(name === "" ? [] : [["alias", hclString(name)] as [string, string]]),
      ["secret_id", hclString(settings.secretId)],
      ["secret_key", hclString(settings.secretKey)],
      ["security_token", hclString("")],
      ["protocol", hclString("HTTP")],
      ["domain", hclString("tencentcloudapi.com")],
    ];
    const width = Math.max(...attributes.map(([key]) => key.length));
    return `provider "tencentcloud" {\n${attributes.map(([key, value]) => `  ${key.padEnd(width)} = ${value}\n`).join("")}}\n`;
  });
  return `${overrideHeader(pid)}\n${blocks.join("\n")}`;
}

/** A quoted HCL string literal whose value is exactly `value`: escapes, and no `${`/`%{` template sequence. */
export function hclString(value: string): string {
  let quoted = "";
  for (const character of value) {
    const code = character.codePointAt(0)!;
    if (character === "\\") quoted += "\\\\";
    else if (character === '"') quoted += '\\"';
    else if (character === "\n") quoted += "\\n";
    else if (character === "\r") quoted += "\\r";
    else if (character === "\t") quoted += "\\t";
    else if (code < 0x20 || code === 0x7f) quoted += `\\u${code.toString(16).padStart(4, "0")}`;
    else quoted += character;
  }
  // `$${` and `%%{` are HCL's literal `${` and `%{` (a function replacer: `$$` means `$` in a replacement string).
  return `"${quoted.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{")}"`;
}

/**
 * The `provider "tencentcloud"` blocks of a configuration directory's primary files, in file order: "" for
 * the default block, else the alias. Override files are left out (Terraform accepts only primary files'
 * blocks as bases), and so are the files Terraform ignores. A file that cannot be read or parsed is
 * skipped: Terraform reports it itself.
 */
export function tencentcloudProviderBlocks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const name of names) {
    if (isIgnoredByTerraform(name) || /(^|_)override\.tf(\.json)?$/.test(name)) continue;
    const native = name.endsWith(".tf");
    if (!native && !name.endsWith(".tf.json")) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, name), "utf8");
    } catch {
      continue;
    }
    for (const block of native ? tencentcloudProvidersInHcl(text) : tencentcloudProvidersInJson(text)) found.add(block);
  }
  return [...found];
}

/** Editor backups and hidden files, which Terraform does not load. */
function isIgnoredByTerraform(name: string): boolean {
  return name.startsWith(".") || name.endsWith("~") || (name.startsWith("#") && name.endsWith("#"));
}

/** The `provider "tencentcloud"` blocks of a `.tf.json` file ("" for the default one, else the alias). */
export function tencentcloudProvidersInJson(text: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return [];
  }
  const providers = isObject(document) ? document.provider : undefined;
  const configurations = isObject(providers) ? providers.tencentcloud : undefined;
  const list: unknown[] = Array.isArray(configurations) ? configurations : configurations === undefined ? [] : [configurations];
  return list.filter(isObject).map((configuration) => (typeof configuration.alias === "string" ? configuration.alias : ""));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The `provider "tencentcloud"` blocks of a native-syntax (`.tf`) file ("" for the default one, else the
 * alias): the top-level `provider` blocks labelled tencentcloud, and their own `alias = "…"` attribute.
 * Comments, strings (templates included) and heredocs are skipped, so that text in them is never taken
 * for a block.
 */
export function tencentcloudProvidersInHcl(text: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  /** The alias of the provider "tencentcloud" block being read, "" until one is seen; undefined outside one. */
  let alias: string | undefined;
  const recent: Token[] = [];
  for (const token of hclTokens(text)) {
    if (token.kind === "open") {
      const [label, name] = [recent[recent.length - 2], recent[recent.length - 1]];
      if (depth === 0 && label?.kind === "word" && label.text === "provider" && (name?.kind === "word" || name?.kind === "string") && name.text === "tencentcloud") {
        alias = "";
      }
      depth++;
    } else if (token.kind === "close") {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && alias !== undefined) {
        blocks.push(alias);
        alias = undefined;
      }
    } else if (alias !== undefined && depth === 1 && token.kind === "string") {
      const [key, equals] = [recent[recent.length - 2], recent[recent.length - 1]];
      if (key?.kind === "word" && key.text === "alias" && equals?.kind === "equals") alias = token.text;
    }
    recent.push(token);
    if (recent.length > 2) recent.shift();
  }
  return blocks;
}

interface Token {
  kind: "word" | "string" | "open" | "close" | "equals" | "other";
  /** A word's text, or a string's content as written (escapes not decoded: names have none). */
  text: string;
}

const WORD = /[A-Za-z0-9_][\w-]*/y;
const HEREDOC = /<<-?([A-Za-z_][\w-]*)[ \t]*\r?\n/y;

function* hclTokens(text: string): Generator<Token> {
  let i = 0;
  while (i < text.length) {
    const character = text[i]!;
    if (/\s/.test(character)) {
      i++;
    } else if (character === "#" || text.startsWith("//", i)) {
      const newline = text.indexOf("\n", i);
      i = newline < 0 ? text.length : newline + 1;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (character === '"') {
      const end = endOfString(text, i);
      yield { kind: "string", text: text.slice(i + 1, text[end - 1] === '"' ? end - 1 : end) };
      i = end;
    } else if (character === "{" || character === "}") {
      yield { kind: character === "{" ? "open" : "close", text: character };
      i++;
    } else if (character === "=" && text[i + 1] !== "=" && !"!<>=".includes(text[i - 1] ?? " ")) {
      yield { kind: "equals", text: character };
      i++;
    } else {
      HEREDOC.lastIndex = i;
      const heredoc = HEREDOC.exec(text);
      if (heredoc) {
        i = endOfHeredoc(text, HEREDOC.lastIndex, heredoc[1]!);
        yield { kind: "other", text: "heredoc" };
        continue;
      }
      WORD.lastIndex = i;
      const word = WORD.exec(text);
      if (word) {
        yield { kind: "word", text: word[0] };
        i = WORD.lastIndex;
      } else {
        yield { kind: "other", text: character };
        i++;
      }
    }
  }
}

/** The index just past the quoted string that starts at `start` (or its line's end, if it is not closed there). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const character = text[i]!;
    if (character === "\\") i += 2;
    else if (character === '"') return i + 1;
    else if (character === "\n") return i;
    else if (text.startsWith("$${", i) || text.startsWith("%%{", i)) i += 3;
    else if (text.startsWith("${", i) || text.startsWith("%{", i)) i = endOfTemplate(text, i + 2);
    else i++;
  }
  return i;
}

/** The index just past the `}` that closes a template sequence whose body starts at `start`. */
function endOfTemplate(text: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < text.length) {
    const character = text[i]!;
    if (character === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (character === "{") depth++;
    if (character === "}" && --depth === 0) return i + 1;
    i++;
  }
  return i;
}

/** The index just past the line that closes a heredoc (a line holding only its delimiter). */
function endOfHeredoc(text: string, start: number, delimiter: string): number {
  let i = start;
  while (i < text.length) {
    const newline = text.indexOf("\n", i);
    const end = newline < 0 ? text.length : newline;
    if (text.slice(i, end).trim() === delimiter) return end;
    i = end + 1;
  }
  return text.length;
}
