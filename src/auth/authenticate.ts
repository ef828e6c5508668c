// Authentication: who sent this request, proven by a TC3 or v1 signature over what was received.
import { apiError, type LocalizedText } from "../protocol/errors.js";
import { missingParameterText } from "../protocol/messages.js";
import { parseTc3Authorization, sha256Hex, signaturesEqual, UNSIGNED_PAYLOAD, verifyTc3 } from "../protocol/tc3.js";
import { v1Method, verifyV1 } from "../protocol/v1.js";
import { AccountRepository, type Account, type Credential } from "../store/accounts.js";
import { ACCOUNTS_LOCK, type Store } from "../store/store.js";
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
  /** Wall-clock milliseconds: the signature's timestamp window. */
  now: number;
  /** Resource-clock milliseconds: the expiry of temporary credentials (which STS issues on that clock). */
  resourceNow: number;
  /** Set with --signature-reuse refuse: a TC3 signature serves one action, region and version only. */
  reuseGuard?: SignatureReuseGuard;
}

/** The request's timestamp in seconds, if it is within the signature window of `now` (ms). */
export function checkTimestamp(timestamp: string | undefined, name: string, now: number): number {
  if (timestamp === undefined || timestamp === "") {
    throw apiError("MissingParameter", missingParameterText(name));
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    const shown = JSON.stringify(timestamp.slice(0, 64));
    throw apiError("AuthFailure.SignatureExpire", {
      en: `The timestamp \`${name}\`=${shown} is not a Unix time in seconds.`,
      zh: `时间戳\`${name}\`的取值 ${shown} 不是以秒为单位的 Unix 时间戳。`,
    });
  }
  const seconds = Number(timestamp);
  const skew = seconds - Math.floor(now / 1000);
  if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
    throw apiError("AuthFailure.SignatureExpire", {
      en: `The signature has expired: timestamp ${seconds} is ${Math.abs(skew)} s ${skew < 0 ? "behind" : "ahead of"} the server time ${Math.floor(now / 1000)}; the allowed difference is ${SIGNATURE_WINDOW_SECONDS} s.`,
      zh: `签名过期。\`${name}\` 的取值 ${seconds} 比服务器时间 ${Math.floor(now / 1000)} ${skew < 0 ? "慢" : "快"} ${Math.abs(skew)} 秒，相差不得超过 ${SIGNATURE_WINDOW_SECONDS} 秒，请检查本地时间是否和标准时间同步。`,
    });
  }
  return seconds;
}

/** Who signed a request, as handlers see it: the key and what it stands for, never its secret or token. */
export interface Caller {
  secretId: string;
  /** Temporary credentials (issued by STS) rather than an account's permanent key. */
  temporary: boolean;
  /** GetFederationToken's Name, for credentials it issued. */
  federatedUserName?: string;
  /** The decoded CAM policy temporary credentials were issued with. */
  policy?: string;
}

/** The account a request acts on, and the credential that signed it. */
export interface Authenticated {
  account: Account;
  caller: Caller;
}

function callerOf(credential: Credential): Caller {
  const caller: Caller = { secretId: credential.secretId, temporary: credential.token !== undefined };
  if (credential.federatedUserName !== undefined) caller.federatedUserName = credential.federatedUserName;
  if (credential.policy !== undefined) caller.policy = credential.policy;
  return caller;
}

/** `resourceNow` is resource-clock milliseconds, the clock temporary credentials expire on. */
async function lookUpCredential(store: Store, secretId: string, token: string | undefined, resourceNow: number): Promise<Credential> {
  if (!isWellFormedSecretId(secretId)) {
    throw apiError("AuthFailure.InvalidSecretId", {
      en: `The SecretId \`${secretId.slice(0, 64)}\` is not an API key: it must be "AKID" followed by letters and digits.`,
      zh: `密钥非法：SecretId\`${secretId.slice(0, 64)}\`不是云 API 密钥，应为 "AKID" 后接字母和数字。`,
    });
  }
  const credential = await store.read((sql) => new AccountRepository(sql).findCredential(secretId));
  if (!credential) {
    throw apiError("AuthFailure.SecretIdNotFound", {
      en: `The SecretId \`${secretId}\` does not exist: check that it is spelled right and that this tclocal issued it.`,
      zh: `密钥不存在：SecretId\`${secretId}\`不存在，请检查密钥是否填写正确、是否由当前 tclocal 签发。`,
    });
  }
  if (credential.token !== undefined) {
    if (token === undefined || token === "") {
      throw apiError("AuthFailure.TokenFailure", {
        en: `The SecretId \`${secretId}\` is temporary: the request must carry its token (X-TC-Token or Token).`,
        zh: `token 错误：SecretId\`${secretId}\`是临时密钥，请求必须携带其 token（X-TC-Token 或 Token）。`,
      });
    }
    if (!signaturesEqual(token, credential.token)) {
      throw apiError("AuthFailure.TokenFailure", {
        en: `The token does not belong to the temporary SecretId \`${secretId}\`: send the token issued with it.`,
        zh: `token 错误：该 token 不属于临时密钥 SecretId\`${secretId}\`，请使用与其一同签发的 token。`,
      });
    }
    if (credential.expiresAt !== undefined && credential.expiresAt <= resourceNow) {
      const expired = new Date(credential.expiresAt).toISOString();
      throw apiError("AuthFailure.TokenFailure", {
        en: `The temporary credentials of SecretId \`${secretId}\` expired at ${expired}: request new ones.`,
        zh: `token 错误：临时密钥 SecretId\`${secretId}\`已于 ${expired} 过期，请重新申请临时密钥。`,
      });
    }
  } else if (token !== undefined && token !== "") {
    throw apiError("AuthFailure.TokenFailure", {
      en: `A token was sent with the permanent SecretId \`${secretId}\`; tokens go only with temporary credentials.`,
      zh: `token 错误：永久密钥 SecretId\`${secretId}\`不应携带 token，token 只用于临时密钥。`,
    });
  }
  return credential;
}

/** What the server computed, shown after a signature mismatch so that a client can find its mistake. */
interface ServerSigningSteps {
  canonicalRequest?: string;
  stringToSign?: string;
}

function signatureFailure(detail: LocalizedText, shown: ServerSigningSteps = {}): never {
  const en = [detail.en];
  const zh = [detail.zh];
  if (shown.canonicalRequest !== undefined) {
    en.push(`The server's canonical request was:\n${shown.canonicalRequest}`);
    zh.push(`服务器计算的规范请求串为：\n${shown.canonicalRequest}`);
  }
  if (shown.stringToSign !== undefined) {
    en.push(`The server's string to sign was:\n${shown.stringToSign}`);
    zh.push(`服务器计算的待签名字符串为：\n${shown.stringToSign}`);
  }
  throw apiError("AuthFailure.SignatureFailure", { en: en.join("\n"), zh: zh.join("\n") });
}

async function authenticateTc3(req: Extract<SignedRequest, { kind: "TC3" }>, store: Store, options: AuthOptions): Promise<Credential> {
  const { now, reuseGuard } = options;
  if (req.authorization === "") {
    throw apiError("MissingParameter", {
      en: "The request is not signed: a JSON POST needs an Authorization header signed with TC3-HMAC-SHA256.",
      zh: "请求未签名：JSON 格式的 POST 请求需要携带以 TC3-HMAC-SHA256 签名的 Authorization 头部。",
    });
  }
  const auth = parseTc3Authorization(req.authorization);
  if (!auth) {
    throw apiError("AuthFailure.InvalidAuthorization", {
      en: `The Authorization header \`${req.authorization.slice(0, 160)}\` is not of the form \`TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<64 hex>\`.`,
      zh: `请求头部 Authorization\`${req.authorization.slice(0, 160)}\`不符合腾讯云标准，应为 \`TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<64 位十六进制>\`。`,
    });
  }
  const seconds = checkTimestamp(req.timestamp, "X-TC-Timestamp", now);
  const expectedDate = new Date(seconds * 1000).toISOString().slice(0, 10);
  if (auth.date !== expectedDate) {
    signatureFailure({
      en: `The credential date ${auth.date} is not the UTC date of X-TC-Timestamp ${seconds} (${expectedDate}).`,
      zh: `签名错误：Credential 中的日期 ${auth.date} 不是 X-TC-Timestamp ${seconds} 对应的 UTC 日期（应为 ${expectedDate}）。`,
    });
  }
  const signed = auth.signedHeaders.split(";");
  if (!signed.includes("content-type") || !signed.includes("host")) {
    signatureFailure({
      en: `SignedHeaders \`${auth.signedHeaders}\` must include content-type and host.`,
      zh: `签名错误：SignedHeaders\`${auth.signedHeaders}\`必须包含 content-type 和 host。`,
    });
  }
  const credential = await lookUpCredential(store, auth.secretId, req.token, options.resourceNow);
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
    signatureFailure(
      {
        en: `The request signature we calculated does not match the signature \`${auth.signature}\` you provided. (The Host was also tried without its port, as the Node SDK signs it.)`,
        zh: `签名错误：服务器计算的签名与请求中的签名\`${auth.signature}\`不一致，请对照签名方法 v3 文档检查签名计算过程。（Host 也按去掉端口的形式试过，Node SDK 即如此签名。）`,
      },
      { canonicalRequest: result.attempt.canonicalRequest, stringToSign: result.attempt.stringToSign },
    );
  }
  if (reuseGuard) {
    const use = { action: req.headers["x-tc-action"] ?? "", region: req.headers["x-tc-region"] ?? "", version: req.headers["x-tc-version"] ?? "" };
    const first = await reuseGuard.check(auth.signature, use, seconds, now);
    if (first) {
      signatureFailure({
        en: `This signature was already used for ${first.action} in region \`${first.region}\` (version ${first.version}); this request is ${use.action} in region \`${use.region}\` (version ${use.version}). With --signature-reuse refuse, a signature that does not sign X-TC-Action, X-TC-Region and X-TC-Version serves one action, region and version only.`,
        zh: `签名错误：该签名已用于地域\`${first.region}\`的 ${first.action}（版本 ${first.version}），本次请求为地域\`${use.region}\`的 ${use.action}（版本 ${use.version}）。启用 --signature-reuse refuse 时，未签入 X-TC-Action、X-TC-Region 和 X-TC-Version 的签名只能用于同一个接口、地域和版本。`,
      });
    }
  }
  return credential;
}

async function authenticateV1(req: Extract<SignedRequest, { kind: "V1" }>, store: Store, options: AuthOptions): Promise<Credential> {
  const { now } = options;
  for (const [name, value] of [["SecretId", req.secretId], ["Signature", req.signature], ["Nonce", req.nonce]] as const) {
    if (value === undefined || value === "") {
      throw apiError("MissingParameter", missingParameterText(name));
    }
  }
  checkTimestamp(req.timestamp, "Timestamp", now);
  const credential = await lookUpCredential(store, req.secretId!, req.token, options.resourceNow);
  const result = verifyV1(req.method, req.host, req.pairs, credential.secretKey, v1Method(req.signatureMethod), req.signature!);
  if (!result.ok) {
    signatureFailure(
      {
        en: `The request signature we calculated does not match the signature \`${req.signature!.slice(0, 128)}\` you provided.`,
        zh: `签名错误：服务器计算的签名与请求中的签名\`${req.signature!.slice(0, 128)}\`不一致，请对照签名方法 v1 文档检查签名计算过程。`,
      },
      { stringToSign: result.stringToSign },
    );
  }
  return credential;
}

/** The SecretId a request claims, without checking anything. */
function claimedSecretId(req: SignedRequest): string | undefined {
  if (req.kind === "V1") return req.secretId;
  return parseTc3Authorization(req.authorization)?.secretId ?? /Credential=([^/\s,]+)/.exec(req.authorization)?.[1];
}

/**
 * Returns the account that sent the request and the credential that signed it. With verification off,
 * any SecretId selects its own account (created on first use) and neither signature nor token is checked.
 */
export async function authenticate(req: SignedRequest, store: Store, options: AuthOptions, defaultAccount: Account): Promise<Authenticated> {
  if (!options.verifySignatures) {
    const secretId = claimedSecretId(req);
    if (!secretId) return { account: defaultAccount, caller: { secretId: "", temporary: false } };
    const stored = secretId.slice(0, 128);
    const known = await store.read((sql) => new AccountRepository(sql).findCredential(stored));
    if (known) return { account: known.account, caller: callerOf(known) };
    // Under the accounts lock: two nodes must not number two new accounts alike, nor give one SecretId two.
    return store.transaction(
      async (sql) => {
        const accounts = new AccountRepository(sql);
        const raced = await accounts.findCredential(stored);
        if (raced) return { account: raced.account, caller: callerOf(raced) };
        const numbers = await accounts.nextAccountNumbers();
        const account = await accounts.ensureAccount({ ...numbers, name: `unsigned:${secretId.slice(0, 64)}` }, options.now);
        await accounts.putCredential({ secretId: stored, secretKey: newSecretKey(), accountUin: account.uin }, options.now);
        return { account, caller: { secretId: stored, temporary: false } };
      },
      { mode: "write", lockKey: ACCOUNTS_LOCK },
    );
  }
  const credential = req.kind === "TC3" ? await authenticateTc3(req, store, options) : await authenticateV1(req, store, options);
  return { account: credential.account, caller: callerOf(credential) };
}
