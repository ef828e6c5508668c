// The one catalog of error codes: the API 3.0 common codes, plus whatever each product registers.
// Handlers raise errors with apiError(code, message); nothing else builds an error envelope.

export type Language = "en-US" | "zh-CN";

/** An error message in both languages the API speaks; each names the parameter, the value and what is expected. */
export interface LocalizedText {
  en: string;
  zh: string;
}

/** What kind of failure a code stands for; tests and logs use it, the wire does not. */
export type ErrorClass = "auth" | "protocol" | "parameter" | "state" | "quota" | "throttle" | "dryrun" | "internal";

interface CatalogEntry {
  /** The generic description of the code (the Chinese only for common codes); messages never fall back to it. */
  text: { en: string; zh?: string };
  class: ErrorClass;
}

const COMMON: Record<string, [ErrorClass, string, string]> = {
  "ActionOffline": ["protocol", "The action has been taken offline.", "接口已下线。"],
  "AuthFailure": ["auth", "CAM signature or authentication error.", "CAM签名/鉴权错误。"],
  "AuthFailure.InvalidAuthorization": ["auth", "The Authorization header is invalid.", "请求头部的 Authorization 不符合腾讯云标准。"],
  "AuthFailure.InvalidSecretId": ["auth", "The SecretId is invalid (it is not an API key).", "密钥非法（不是云 API 密钥类型）。"],
  "AuthFailure.MFAFailure": ["auth", "MFA verification failed.", "MFA 错误。"],
  "AuthFailure.SecretIdNotFound": ["auth", "The SecretId does not exist or is disabled.", "密钥不存在。"],
  "AuthFailure.SignatureExpire": ["auth", "The signature has expired.", "签名过期。"],
  "AuthFailure.SignatureFailure": ["auth", "The signature is incorrect.", "签名错误。"],
  "AuthFailure.TokenFailure": ["auth", "The token is invalid.", "token 错误。"],
  "AuthFailure.UnauthorizedOperation": ["auth", "The request is not authorized by CAM.", "请求未授权。"],
  "DryRunOperation": ["dryrun", "The request would have succeeded, but DryRun was set.", "DryRun 操作，代表请求将会是成功的，只是多传了 DryRun 参数。"],
  "FailedOperation": ["state", "The operation failed.", "操作失败。"],
  "InternalError": ["internal", "An internal error occurred.", "内部错误。"],
  "InvalidAction": ["protocol", "The action does not exist.", "接口不存在。"],
  "InvalidParameter": ["parameter", "A parameter is invalid.", "参数错误（包括参数格式、类型等错误）。"],
  "InvalidParameterValue": ["parameter", "A parameter value is invalid.", "参数取值错误。"],
  "InvalidRequest": ["protocol", "The request is malformed.", "请求 body 的 multipart 格式错误。"],
  "IpInBlacklist": ["auth", "The client IP is in the blocklist.", "IP地址在黑名单中。"],
  "IpNotInWhitelist": ["auth", "The client IP is not in the allowlist.", "IP地址不在白名单中。"],
  "LimitExceeded": ["quota", "A quota limit was exceeded.", "超过配额限制。"],
  "MissingParameter": ["parameter", "A required parameter is missing.", "缺少参数错误。"],
  "NoSuchProduct": ["protocol", "The product does not exist.", "产品不存在。"],
  "NoSuchVersion": ["protocol", "The API version does not exist.", "接口版本不存在。"],
  "RequestLimitExceeded": ["throttle", "The request rate limit was exceeded.", "请求的次数超过了频率限制。"],
  "RequestLimitExceeded.GlobalRegionUinLimitExceeded": ["throttle", "The global request rate limit of this account was exceeded.", "主账号超过频率限制。"],
  "RequestLimitExceeded.IPLimitExceeded": ["throttle", "The request rate limit of this IP was exceeded.", "IP限频。"],
  "RequestLimitExceeded.UinLimitExceeded": ["throttle", "The request rate limit of this account was exceeded.", "主账号限频。"],
  "RequestSizeLimitExceeded": ["protocol", "The request is larger than the size limit.", "请求包超过限制大小。"],
  "ResourceInUse": ["state", "The resource is in use.", "资源被占用。"],
  "ResourceInsufficient": ["state", "The resource is insufficient.", "资源不足。"],
  "ResourceNotFound": ["state", "The resource does not exist.", "资源不存在。"],
  "ResourceUnavailable": ["state", "The resource is unavailable.", "资源不可用。"],
  "ResponseSizeLimitExceeded": ["protocol", "The response is larger than the size limit.", "返回包超过限制大小。"],
  "ServiceUnavailable": ["internal", "The service is temporarily unavailable.", "当前服务暂时不可用。"],
  "UnauthorizedOperation": ["auth", "The operation is not authorized.", "未授权操作。"],
  "UnknownParameter": ["parameter", "An unknown parameter was given.", "未知参数错误，用户多传未定义的参数会导致错误。"],
  "UnsupportedOperation": ["state", "The operation is not supported.", "操作不支持。"],
  "UnsupportedProtocol": ["protocol", "The HTTP method or protocol is not supported.", "HTTP(S) 请求协议错误，只支持 GET 和 POST 请求。"],
  "UnsupportedRegion": ["protocol", "The action is not supported in this region.", "接口不支持所传地域。"],
};

const catalog = new Map<string, CatalogEntry>();
for (const [code, [cls, en, zh]] of Object.entries(COMMON)) catalog.set(code, { class: cls, text: { en, zh } });

/** How a product's code is classed, from its prefix, when the product does not say. */
function classFromPrefix(code: string): ErrorClass {
  const head = code.split(".")[0]!;
  if (head.startsWith("AuthFailure") || head.startsWith("Unauthorized")) return "auth";
  if (head.startsWith("LimitExceeded") || head.endsWith("QuotaLimitExceeded")) return "quota";
  if (head.startsWith("RequestLimitExceeded")) return "throttle";
  if (/^(Invalid|Missing|Unknown)/.test(head)) return "parameter";
  if (head.startsWith("InternalError") || head === "InternalServerError") return "internal";
  return "state";
}

/** Adds a product's codes to the catalog. Common codes keep their common text. */
export function registerErrorCodes(codes: Record<string, string>): void {
  for (const [code, en] of Object.entries(codes)) {
    if (!catalog.has(code)) catalog.set(code, { class: classFromPrefix(code), text: { en } });
  }
}

export function isKnownErrorCode(code: string): boolean {
  return catalog.has(code);
}

export function errorClassOf(code: string): ErrorClass | undefined {
  return catalog.get(code)?.class;
}

export class ApiError extends Error {
  readonly code: string;
  readonly text: LocalizedText;

  constructor(code: string, text: LocalizedText) {
    super(text.en);
    this.name = "ApiError";
    this.code = code;
    this.text = text;
  }

  messageIn(language: Language): string {
    return language === "zh-CN" ? this.text.zh : this.text.en;
  }
}

/**
 * Raises a catalogued error. `message` names the offending parameter and value and says what is expected,
 * in English and in Chinese. A code missing from the catalog is a programming error, not an API answer.
 */
export function apiError(code: string, message: LocalizedText): ApiError {
  if (!catalog.has(code)) throw new Error(`error code ${code} is not in the catalog`);
  return new ApiError(code, message);
}
