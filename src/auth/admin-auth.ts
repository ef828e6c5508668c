// Who may call the /_tclocal/ admin endpoints: whoever proves they hold the default account's SecretKey,
// with a TC3 signature over the request (service `tclocal`, the request path signed as the canonical URI),
// or whoever presents the bearer token the operator configured.
import { apiError } from "../protocol/errors.js";
import { hostCandidates, parseTc3Authorization, sha256Hex, signaturesEqual, tc3Compute } from "../protocol/tc3.js";
import { own } from "../protocol/own.js";
import { checkTimestamp } from "./authenticate.js";

/** The credential-scope service of an admin request's TC3 signature. */
export const ADMIN_SERVICE = "tclocal";

export interface AdminKey {
  /** The default account's key pair. */
  secretId: string;
  secretKey: string;
  /** `Authorization: Bearer <token>` is accepted when the operator set one. */
  bearerToken: string | undefined;
}

export interface AdminRequest {
  method: string;
  path: string;
  rawQuery: string;
  /** Header name (lower case) → value. */
  headers: Record<string, string>;
  body: Buffer;
}

const BEARER_RE = /^Bearer +(\S+)$/;

/** Returns who is calling (for the log: a SecretId or "bearer token", never a secret), or throws the AuthFailure. */
export function authenticateAdmin(req: AdminRequest, key: AdminKey, now: number): string {
  const authorization = (own(req.headers, "authorization") ?? "").trim();
  if (authorization === "") {
    throw apiError("AuthFailure", {
      en: "The admin endpoints need an Authorization header: a TC3-HMAC-SHA256 signature made with the default account's key pair (service `tclocal`), or `Bearer <token>` with the token given to tclocal by --admin-token. `npx tclocal admin GET /_tclocal/clock` signs for you.",
      zh: "管理接口需要 Authorization 头部：使用默认账号密钥对（服务名 `tclocal`）计算的 TC3-HMAC-SHA256 签名，或 `Bearer <token>`（token 由 --admin-token 指定）。`npx tclocal admin GET /_tclocal/clock` 可代为签名。",
    });
  }
  const bearer = BEARER_RE.exec(authorization);
  if (bearer) {
    if (key.bearerToken === undefined || !signaturesEqual(bearer[1]!, key.bearerToken)) {
      throw apiError("AuthFailure.TokenFailure", {
        en: key.bearerToken === undefined ? "No admin token was configured (--admin-token or TCLOCAL_ADMIN_TOKEN): sign the request with TC3-HMAC-SHA256 instead." : "The bearer token is not the admin token tclocal was started with.",
        zh: key.bearerToken === undefined ? "未配置管理 token（--admin-token 或 TCLOCAL_ADMIN_TOKEN），请改用 TC3-HMAC-SHA256 签名。" : "Bearer token 与 tclocal 启动时指定的管理 token 不一致。",
      });
    }
    return "bearer token";
  }
  const auth = parseTc3Authorization(authorization);
  if (!auth) {
    throw apiError("AuthFailure.InvalidAuthorization", {
      en: "The Authorization header is neither `Bearer <token>` nor `TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/tclocal/tc3_request, SignedHeaders=content-type;host, Signature=<64 hex>`.",
      zh: "Authorization 头部既不是 `Bearer <token>`，也不是 `TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/tclocal/tc3_request, SignedHeaders=content-type;host, Signature=<64 位十六进制>`。",
    });
  }
  if (auth.service !== ADMIN_SERVICE) {
    throw apiError("AuthFailure.SignatureFailure", {
      en: `The credential scope names the service \`${auth.service.slice(0, 64)}\`; admin requests are signed for the service \`${ADMIN_SERVICE}\`.`,
      zh: `凭证范围中的服务名为\`${auth.service.slice(0, 64)}\`，管理请求的服务名应为\`${ADMIN_SERVICE}\`。`,
    });
  }
  if (auth.secretId !== key.secretId) {
    throw apiError("AuthFailure.UnauthorizedOperation", {
      en: `The SecretId \`${auth.secretId.slice(0, 64)}\` is not the default account's: only the default account's key pair may call the admin endpoints.`,
      zh: `SecretId \`${auth.secretId.slice(0, 64)}\` 不是默认账号的密钥：只有默认账号的密钥对可以调用管理接口。`,
    });
  }
  const timestamp = own(req.headers, "x-tc-timestamp");
  const seconds = checkTimestamp(timestamp, "X-TC-Timestamp", now);
  const signed = auth.signedHeaders.split(";");
  if (!signed.includes("content-type") || !signed.includes("host") || auth.date !== new Date(seconds * 1000).toISOString().slice(0, 10)) {
    throw apiError("AuthFailure.SignatureFailure", {
      en: `SignedHeaders \`${auth.signedHeaders}\` must include content-type and host, and the credential date ${auth.date} must be the UTC date of X-TC-Timestamp ${seconds}.`,
      zh: `SignedHeaders \`${auth.signedHeaders}\` 必须包含 content-type 和 host，且凭证日期 ${auth.date} 必须是 X-TC-Timestamp ${seconds} 的 UTC 日期。`,
    });
  }
  const base = {
    method: req.method,
    canonicalUri: req.path,
    canonicalQuery: req.rawQuery,
    signedHeaders: auth.signedHeaders,
    hashedPayload: sha256Hex(req.body),
    timestamp: timestamp!,
    date: auth.date,
    service: auth.service,
  };
  let first: ReturnType<typeof tc3Compute> | undefined;
  for (const host of hostCandidates(own(req.headers, "host") ?? "")) {
    const computed = tc3Compute({ ...base, headers: { ...req.headers, host } }, key.secretKey);
    first ??= computed;
    if (signaturesEqual(computed.signature, auth.signature)) return auth.secretId;
  }
  throw apiError("AuthFailure.SignatureFailure", {
    en: `The admin request's signature does not match. Admin requests sign the request path as the canonical URI. The server's canonical request was:\n${first!.canonicalRequest}\nThe server's string to sign was:\n${first!.stringToSign}`,
    zh: `管理请求的签名不匹配。管理请求以请求路径作为规范 URI。服务器计算的规范请求串为：\n${first!.canonicalRequest}\n服务器计算的待签名字符串为：\n${first!.stringToSign}`,
  });
}
