// The README's code blocks, for the tests that run them. Each fenced block must be preceded, on the line
// just before its opening fence, by `<!-- readme-test: KIND -->`; KIND names the test that runs it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const README_PATH = fileURLToPath(new URL("../../README.md", import.meta.url));

export interface ReadmeBlock {
  /** From the `<!-- readme-test: KIND -->` marker; "" when the block has none. */
  kind: string;
  /** The fence's info string, e.g. `sh` or `js`. */
  info: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const MARKER = /^<!--\s*readme-test:\s*([a-z0-9-]+)\s*-->\s*$/;

export function readmeBlocks(kind?: string, text = readFileSync(README_PATH, "utf8")): ReadmeBlock[] {
  const lines = text.split("\n");
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(fence); i++) body.push(lines[i]!);
    const marker = start > 0 ? MARKER.exec(lines[start - 1]!) : null;
    blocks.push({ kind: marker?.[1] ?? "", info: open[2]!.trim(), code: body.join("\n") + "\n", line: start + 1 });
  }
  return kind === undefined ? blocks : blocks.filter((b) => b.kind === kind);
}

/**
 * The command lines of a shell text (a README block, .ci/run): lines joined across a trailing `\`, blank
 * lines and comment lines left out. Enough for the plain shell of the README and .ci/run.
 */
export function shellLines(text: string): string[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The simple commands of a shell text, each as its words: trailing ` # comments` dropped, and lists
 * (`a && b`, `a || b`, `a; b`) split. No quoting is understood: for commands such as `npm install --no-audit`.
 */
export function shellCommands(text: string): string[][] {
  return shellLines(text)
    .flatMap((line) => line.replace(/\s#.*$/, "").split(/&&|\|\||;/))
    .map((command) => command.trim().split(/\s+/).filter((word) => word !== ""))
    .filter((words) => words.length > 0);
}
