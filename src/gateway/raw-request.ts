// What the HTTP listener hands to the gateway: the request as received, body already read (and bounded).

export interface RawRequest {
  method: string;
  /** The request target as sent: origin form (`/?a=b`) or absolute form (`http://host/?a=b`). */
  target: string;
  /** Header name (lower case) → value; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** True when the body was larger than the largest limit and was not kept. */
  bodyTruncated: boolean;
  remoteAddress: string;
}

export interface Target {
  /** Host named by an absolute-form target, if any. */
  host: string | undefined;
  path: string;
  /** The bytes after `?`, exactly as received. */
  rawQuery: string;
}

const ABSOLUTE_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/;

/** Splits the target without decoding or re-encoding anything: the query is signed as received. */
export function splitTarget(target: string): Target {
  let host: string | undefined;
  let rest = target;
  const absolute = ABSOLUTE_RE.exec(target);
  if (absolute) {
    host = absolute[1]!.replace(/^[^@]*@/, "");
    rest = target.slice(absolute[0].length);
  }
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const path = (q >= 0 ? rest.slice(0, q) : rest) || "/";
  return { host, path, rawQuery: q >= 0 ? rest.slice(q + 1) : "" };
}
