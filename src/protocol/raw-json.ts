// JSON that is already serialised, embedded as is when a response is written. A DescribeInstances page
// keeps each item's JSON in storage as bytes; decoding it only to parse, rebuild and encode it again was
// most of the cost of a page.
import { randomBytes } from "node:crypto";

// Placeholders carry a random process prefix and a counter, so that no user string can look like one.
const PROCESS_NONCE = randomBytes(6).toString("hex");
let calls = 0;

export class RawJson {
  /** The JSON text, in pieces that are concatenated as they are. */
  constructor(readonly parts: ReadonlyArray<Buffer | string>) {}
}

/**
 * JSON.stringify into UTF-8 chunks, with every RawJson value replaced by its pieces. The chunks are
 * written as they are (one writev): copying a large answer into one buffer cost more than writing it.
 */
export function serializeJsonChunks(value: unknown): Buffer[] {
  const raws: RawJson[] = [];
  const nonce = `${PROCESS_NONCE}.${(calls = (calls + 1) % Number.MAX_SAFE_INTEGER)}`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v);
      return `\u0000${nonce}:${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return [Buffer.from(text, "utf8")];
  const chunks: Buffer[] = [];
  // JSON.stringify writes the NUL of a placeholder as the six characters \u0000.
  const marker = `"\\u0000${nonce}:`;
  let from = 0;
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, from)) {
    const end = text.indexOf('"', at + marker.length);
    chunks.push(Buffer.from(text.slice(from, at), "utf8"));
    for (const part of raws[Number(text.slice(at + marker.length, end))]!.parts) chunks.push(typeof part === "string" ? Buffer.from(part, "utf8") : part);
    from = end + 1;
  }
  chunks.push(Buffer.from(text.slice(from), "utf8"));
  return chunks;
}
