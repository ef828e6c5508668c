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

/** JSON.stringify into UTF-8 bytes, with every RawJson value replaced by its pieces. */
export function serializeJson(value: unknown): Buffer {
  const raws: RawJson[] = [];
  const nonce = `${PROCESS_NONCE}.${(calls = (calls + 1) % Number.MAX_SAFE_INTEGER)}`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v);
      return `\u0000${nonce}:${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return Buffer.from(text, "utf8");
  const pieces: Array<Buffer | string> = [];
  const placeholder = new RegExp(`"\\\\u0000${nonce.replace(".", "\\.")}:(\\d+)"`, "g");
  let from = 0;
  for (let m = placeholder.exec(text); m !== null; m = placeholder.exec(text)) {
    pieces.push(text.slice(from, m.index), ...raws[Number(m[1])]!.parts);
    from = m.index + m[0].length;
  }
  pieces.push(text.slice(from));
  // One allocation for the whole answer: measure, then copy bytes and write text into place.
  let length = 0;
  for (const piece of pieces) length += typeof piece === "string" ? Buffer.byteLength(piece, "utf8") : piece.length;
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const piece of pieces) offset += typeof piece === "string" ? out.write(piece, offset, "utf8") : piece.copy(out, offset);
  return out;
}
