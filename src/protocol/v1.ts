// The v1 signature (HmacSHA1 / HmacSHA256) over the sorted, decoded parameters.
import { createHmac } from "node:crypto";
import { hostCandidates, signaturesEqual } from "./tc3.js";

export type V1Method = "HmacSHA1" | "HmacSHA256";

/** `HmacSHA256` means SHA-256; anything else, or nothing, means HMAC-SHA1. */
export function v1Method(signatureMethod: string | undefined): V1Method {
  return signatureMethod === "HmacSHA256" ? "HmacSHA256" : "HmacSHA1";
}

/** `Method + Host + Path + "?" + k=v&…` over every parameter but Signature, keys sorted by byte value. */
export function v1StringToSign(method: string, host: string, path: string, params: ReadonlyArray<[string, string]>): string {
  const sorted = params
    .filter(([k]) => k !== "Signature")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method}${host}${path}?${sorted.map(([k, v]) => `${k}=${v}`).join("&")}`;
}

export function v1Sign(secretKey: string, stringToSign: string, method: V1Method): string {
  return createHmac(method === "HmacSHA256" ? "sha256" : "sha1", secretKey)
    .update(stringToSign, "utf8")
    .digest("base64");
}

export interface V1Verification {
  ok: boolean;
  stringToSign: string;
}

export function verifyV1(
  method: string,
  host: string,
  params: ReadonlyArray<[string, string]>,
  secretKey: string,
  signatureMethod: V1Method,
  expected: string,
): V1Verification {
  let first: string | undefined;
  for (const candidate of hostCandidates(host)) {
    const stringToSign = v1StringToSign(method, candidate, "/", params);
    first ??= stringToSign;
    if (signaturesEqual(v1Sign(secretKey, stringToSign, signatureMethod), expected)) return { ok: true, stringToSign };
  }
  return { ok: false, stringToSign: first! };
}
