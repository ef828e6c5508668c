// TC3-HMAC-SHA256: parsing the Authorization header and recomputing the signature as the clients make it.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { own } from "./own.js";

export const TC3_ALGORITHM = "TC3-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string;
  signature: string;
}

const AUTHORIZATION_RE =
  /^TC3-HMAC-SHA256 +Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request\s*, *SignedHeaders=([a-z0-9;-]+)\s*, *Signature=([0-9a-f]{64})$/;

export function parseTc3Authorization(header: string): Tc3Authorization | undefined {
  const m = AUTHORIZATION_RE.exec(header.trim());
  if (!m) return undefined;
  return { secretId: m[1]!, date: m[2]!, service: m[3]!, signedHeaders: m[4]!, signature: m[5]! };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Buffer, msg: string): Buffer {
  return createHmac("sha256", key).update(msg, "utf8").digest();
}

export interface Tc3SigningInput {
  method: string;
  canonicalUri: string;
  /** The raw query string as received (GET), or "" (POST). */
  canonicalQuery: string;
  /** Header name (lower case) → value, for every name in signedHeaders. */
  headers: Record<string, string>;
  signedHeaders: string;
  /** Lowercase hex SHA-256 of the payload (or of "UNSIGNED-PAYLOAD"). */
  hashedPayload: string;
  timestamp: string;
  date: string;
  service: string;
  /** Keep the header values' case instead of lower-casing them (the SDKs sign values as given). */
  rawValues?: boolean;
}

export interface Tc3Computation {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export function tc3CanonicalRequest(input: Tc3SigningInput): string {
  const names = input.signedHeaders.split(";");
  const value = (n: string) => (own(input.headers, n) ?? "").trim();
  const canonicalHeaders = names.map((n) => `${n}:${input.rawValues ? value(n) : value(n).toLowerCase()}\n`).join("");
  return [
    input.method,
    input.canonicalUri,
    input.canonicalQuery,
    canonicalHeaders,
    input.signedHeaders,
    input.hashedPayload,
  ].join("\n");
}

const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 256;

/** kSigning for (key, date, service); the three HMACs are the same for every request of a day, so they are kept. */
export function tc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  const id = `${date}\u0000${service}\u0000${secretKey}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = hmac("TC3" + secretKey, date);
    const kService = hmac(kDate, service);
    key = hmac(kService, "tc3_request");
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

export function tc3Compute(input: Tc3SigningInput, secretKey: string): Tc3Computation {
  const canonicalRequest = tc3CanonicalRequest(input);
  const stringToSign = [
    TC3_ALGORITHM,
    input.timestamp,
    `${input.date}/${input.service}/tc3_request`,
    sha256Hex(canonicalRequest),
  ].join("\n");
  const signature = createHmac("sha256", tc3SigningKey(secretKey, input.date, input.service))
    .update(stringToSign, "utf8")
    .digest("hex");
  return { canonicalRequest, stringToSign, signature };
}

/** Constant-time comparison of two signatures given as text. */
export function signaturesEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  // Compare equal-length buffers so the time does not depend on where they differ.
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Hosts to try, in order: as received, then without a trailing :port (the Node SDK signs the hostname). */
export function hostCandidates(host: string): string[] {
  const withoutPort = host.replace(/:\d+$/, "");
  return withoutPort === host ? [host] : [host, withoutPort];
}

export interface Tc3Verification {
  ok: boolean;
  /** The first computation tried; shown to the user when no candidate matches. */
  attempt: Tc3Computation;
}

/**
 * Verifies a TC3 signature, trying each variant the official clients are known to sign:
 * the Host as received or without its port, the request path or "/", the raw or lower-cased Content-Type.
 */
export function verifyTc3(
  base: Omit<Tc3SigningInput, "canonicalUri">,
  requestPath: string,
  secretKey: string,
  expected: string,
): Tc3Verification {
  const host = base.headers["host"] ?? "";
  const uris = requestPath === "/" ? ["/"] : ["/", requestPath];
  // The official demo lower-cases the values; the SDKs sign them as given (all lower case in practice, but a
  // user-set `Content-Type: Application/JSON` or an upper-case Host is signed that way).
  const mixedCase = base.signedHeaders.split(";").some((n) => /[A-Z]/.test(own(base.headers, n) ?? ""));
  const cases = mixedCase ? [false, true] : [false];
  let first: Tc3Computation | undefined;
  for (const candidateHost of hostCandidates(host)) {
    for (const canonicalUri of uris) {
      for (const rawValues of cases) {
        const computed = tc3Compute({ ...base, canonicalUri, rawValues, headers: { ...base.headers, host: candidateHost } }, secretKey);
        first ??= computed;
        if (signaturesEqual(computed.signature, expected)) return { ok: true, attempt: computed };
      }
    }
  }
  return { ok: false, attempt: first! };
}
