// Authentication: who sent this request, proven by a TC3 or v1 signature over what was received.
import { apiError } from "../protocol/errors.js";
import { parseTc3Authorization, sha256Hex, signaturesEqual, UNSIGNED_PAYLOAD, verifyTc3 } from "../protocol/tc3.js";
import { v1Method, verifyV1 } from "../protocol/v1.js";
import type { Account, Credential } from "../store/accounts.js";
import type { Store } from "../store/store.js";
import { isWellFormedSecretId, newSecretKey } from "./keys.js";
import type { SignatureReuseGuard } from "./signature-reuse.js";

/** The signature window of the real service: ±300 s around the server clock. */
export const SIGNATURE_WINDOW_SECONDS = 300;

export type SignedRequest =
  | {
      kind: "TC3";
      method: string;
      path: string;
      rawQuery: string;
      /** Header name (lower case) → value. */
      headers: Record<string, string>;
      body: Buffer;
      authorization: string;
      timestamp: string | undefined;
      token: string | undefined;
    }
  | {
      kind: "V1";
      method: string;
      host: string;
      /** Every decoded parameter, common ones included, as signed. */
      pairs: Array<[string, string]>;
      secretId: string | undefined;
      signature: string | undefined;
      signatureMethod: string | undefined;
      timestamp: string | undefined;
      nonce: string | undefined;
      token: string | undefined;
    };

export interface AuthOptions {
  verifySignatures: boolean;
  /** Wall-clock milliseconds. */
  now: number;
  /** Set with --signature-reuse refuse: a TC3 signature serves one action, region and version only. */
  reuseGuard?: SignatureReuseGuard;
}

/** The request's timestamp in seconds, if it is within the signature window of `now` (ms). */
export function checkTimestamp(timestamp: string | undefined, name: string, now: number): number {
  if (timestamp === undefined || timestamp === "") {
    throw apiError("MissingParameter", { en: `The request is missing a required parameter \`${name}\`.`, zh: `缺少必需参数\`${name}\`。` });
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw apiError("AuthFailure.SignatureExpire", `The timestamp \`${name}\`=${JSON.stringify(timestamp)} is not a Unix time in seconds.`);
  }
  const seconds = Number(timestamp);
  const skew = seconds - Math.floor(now / 1000);
  if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
    throw apiError("AuthFailure.SignatureExpire", {
      en: `The signature has expired: timestamp ${seconds} is ${Math.abs(skew)} s ${skew < 0 ? "behind" : "ahead of"} the server time ${Math.floor(now / 1000)}; the allowed difference is ${SIGNATURE_WINDOW_SECONDS} s.`,
      zh: `签名过期。Timestamp 与服务器时间相差 ${Math.abs(skew)} 秒，超过 ${SIGNATURE_WINDOW_SECONDS} 秒。`,
    });
  }
  return seconds;
}

function lookUpCredential(store: Store, secretId: string, token: string | undefined, now: number): Credential {
  if (!isWellFormedSecretId(secretId)) {
    throw apiError("AuthFailure.InvalidSecretId", `The SecretId \`${secretId.slice(0, 64)}\` is not an API key: it must be "AKID" followed by letters and digits.`);
  }
  const credential = store.accounts.findCredential(secretId);
  if (!credential) throw apiError("AuthFailure.SecretIdNotFound", `The SecretId \`${secretId}\` does not exist.`);
  if (credential.token !== undefined) {
    if (token === undefined || token === "") {
      throw apiError("AuthFailure.TokenFailure", `The SecretId \`${secretId}\` is temporary: the request must carry its token (X-TC-Token or Token).`);
    }
    if (!signaturesEqual(token, credential.token)) throw apiError("AuthFailure.TokenFailure", "The token does not belong to this temporary SecretId.");
    if (credential.expiresAt !== undefined && credential.expiresAt <= now) {
      throw apiError("AuthFailure.TokenFailure", `The temporary credentials expired at ${new Date(credential.expiresAt).toISOString()}.`);
    }
  } else if (token !== undefined && token !== "") {
    throw apiError("AuthFailure.TokenFailure", `A token was sent with the permanent SecretId \`${secretId}\`; tokens go only with temporary credentials.`);
  }
  return credential;
}

function signatureFailure(detail: string, shown: Record<string, string>): never {
  const parts = [detail];
  for (const [name, text] of Object.entries(shown)) parts.push(`The server's ${name} was:\n${text}`);
  throw apiError("AuthFailure.SignatureFailure", parts.join("\n"));
}

function authenticateTc3(req: Extract<SignedRequest, { kind: "TC3" }>, store: Store, now: number, reuseGuard: SignatureReuseGuard | undefined): Credential {
  if (req.authorization === "") {
    throw apiError("MissingParameter", {
      en: "The request is not signed: a JSON POST needs an Authorization header signed with TC3-HMAC-SHA256.",
      zh: "请求未签名：缺少 Authorization 头部。",
    });
  }
  const auth = parseTc3Authorization(req.authorization);
  if (!auth) {
    throw apiError(
      "AuthFailure.InvalidAuthorization",
      "The Authorization header is not of the form `TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<64 hex>`.",
    );
  }
  const seconds = checkTimestamp(req.timestamp, "X-TC-Timestamp", now);
  const expectedDate = new Date(seconds * 1000).toISOString().slice(0, 10);
  if (auth.date !== expectedDate) {
    signatureFailure(`The credential date ${auth.date} is not the UTC date of X-TC-Timestamp ${seconds} (${expectedDate}).`, {});
  }
  const signed = auth.signedHeaders.split(";");
  if (!signed.includes("content-type") || !signed.includes("host")) {
    signatureFailure(`SignedHeaders \`${auth.signedHeaders}\` must include content-type and host.`, {});
  }
  const credential = lookUpCredential(store, auth.secretId, req.token, now);
  const payload = req.headers["x-tc-content-sha256"]?.trim() === UNSIGNED_PAYLOAD ? UNSIGNED_PAYLOAD : req.body;
  const result = verifyTc3(
    {
      method: req.method,
      canonicalQuery: req.method === "GET" ? req.rawQuery : "",
      headers: req.headers,
      signedHeaders: auth.signedHeaders,
      hashedPayload: sha256Hex(req.method === "GET" ? "" : payload),
      timestamp: req.timestamp!,
      date: auth.date,
      service: auth.service,
    },
    req.path,
    credential.secretKey,
    auth.signature,
  );
  if (!result.ok) {
    signatureFailure("The request signature we calculated does not match the signature you provided. (The Host was also tried without its port, as the Node SDK signs it.)", {
      "canonical request": result.attempt.canonicalRequest,
      "string to sign": result.attempt.stringToSign,
    });
  }
  if (reuseGuard) {
    const use = { action: req.headers["x-tc-action"] ?? "", region: req.headers["x-tc-region"] ?? "", version: req.headers["x-tc-version"] ?? "" };
    const first = reuseGuard.check(auth.signature, use, seconds, now);
    if (first) {
      signatureFailure(
        `This signature was already used for ${first.action} in region \`${first.region}\` (version ${first.version}); this request is ${use.action} in region \`${use.region}\` (version ${use.version}). With --signature-reuse refuse, a signature that does not sign X-TC-Action, X-TC-Region and X-TC-Version serves one action, region and version only.`,
        {},
      );
    }
  }
  return credential;
}

function authenticateV1(req: Extract<SignedRequest, { kind: "V1" }>, store: Store, now: number): Credential {
  for (const [name, value] of [["SecretId", req.secretId], ["Signature", req.signature], ["Nonce", req.nonce]] as const) {
    if (value === undefined || value === "") {
      throw apiError("MissingParameter", { en: `The request is missing a required parameter \`${name}\`.`, zh: `缺少必需参数\`${name}\`。` });
    }
  }
  checkTimestamp(req.timestamp, "Timestamp", now);
  const credential = lookUpCredential(store, req.secretId!, req.token, now);
  const result = verifyV1(req.method, req.host, req.pairs, credential.secretKey, v1Method(req.signatureMethod), req.signature!);
  if (!result.ok) {
    signatureFailure("The request signature we calculated does not match the signature you provided.", {
      "string to sign": result.stringToSign,
    });
  }
  return credential;
}

/** The SecretId a request claims, without checking anything. */
function claimedSecretId(req: SignedRequest): string | undefined {
  if (req.kind === "V1") return req.secretId;
  return parseTc3Authorization(req.authorization)?.secretId ?? /Credential=([^/\s,]+)/.exec(req.authorization)?.[1];
}

/**
 * Returns the account that sent the request. With verification off, any SecretId selects its own
 * account (created on first use) and the signature is not checked.
 */
export function authenticate(req: SignedRequest, store: Store, options: AuthOptions, defaultAccount: Account): Account {
  if (!options.verifySignatures) {
    const secretId = claimedSecretId(req);
    if (!secretId) return defaultAccount;
    const known = store.accounts.findCredential(secretId);
    if (known) return known.account;
    return store.transaction(() => {
      const numbers = store.accounts.nextAccountNumbers();
      const account = store.accounts.ensureAccount({ ...numbers, name: `unsigned:${secretId.slice(0, 64)}` }, options.now);
      store.accounts.putCredential({ secretId: secretId.slice(0, 128), secretKey: newSecretKey(), accountUin: account.uin }, options.now);
      return account;
    });
  }
  const credential = req.kind === "TC3" ? authenticateTc3(req, store, options.now, options.reuseGuard) : authenticateV1(req, store, options.now);
  return credential.account;
}
