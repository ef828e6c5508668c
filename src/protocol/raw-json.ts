// JSON text that is already serialised, embedded as is when a response is written. Large lists (a
// DescribeInstances page) keep each item's JSON in storage; parsing it only to serialise it again was
// most of the cost of a page.
import { randomBytes } from "node:crypto";

export class RawJson {
  constructor(readonly json: string) {}
}

/** JSON.stringify, with every RawJson value replaced by its text. */
export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  // A per-call nonce, so that no user string can look like a placeholder.
  const nonce = randomBytes(6).toString("hex");
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.json);
      return `\u0000${nonce}:${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  return text.replace(new RegExp(`"\\\\u0000${nonce}:(\\d+)"`, "g"), (_m, i: string) => raws[Number(i)]!);
}
