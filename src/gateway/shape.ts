// Recognises which of the API 3.0 request shapes arrived and reads its common parameters.
//   POST application/json                 TC3-HMAC-SHA256, common params in X-TC-* headers
//   POST application/x-www-form-urlencoded v1 (HmacSHA1/HmacSHA256), everything in the form body
//   GET                                    TC3 (headers) or v1 (query), API params in the query string
import type { SignedRequest } from "../auth/authenticate.js";
import { apiError } from "../protocol/errors.js";
import type { Language } from "../protocol/errors.js";
import { unsupportedContentTypeText } from "../protocol/messages.js";
import { splitTarget, type RawRequest } from "./raw-request.js";

/** Documented request size limits. */
export const SIZE_LIMITS = {
  get: 32 * 1024,
  v1Post: 1024 * 1024,
  tc3Post: 10 * 1024 * 1024,
} as const;

/** Parameters that belong to the protocol, not to the action (v1 carries them among the API params). */
const V1_COMMON = new Set(["Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature", "SignatureMethod", "Token", "Language", "RequestClient"]);

export interface CommonParams {
  action: string | undefined;
  version: string | undefined;
  region: string | undefined;
  language: Language;
}

export type ApiParams =
  | { kind: "json"; body: Buffer }
  | { kind: "flat"; pairs: Array<[string, string]> };

export interface RecognisedRequest {
  common: CommonParams;
  signed: SignedRequest;
  params: ApiParams;
  /** The host that names the product, when the client used a product domain (cvm.tencentcloudapi.com). */
  host: string;
  /** The service named in the TC3 credential scope, if any. */
  credentialService: string | undefined;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    throw apiError("InvalidParameter", {
      en: `The parameter text \`${text.slice(0, 64)}\` is not correctly URL-encoded: each % must start an escape of two hex digits, and the escapes must spell UTF-8.`,
      zh: `参数文本\`${text.slice(0, 64)}\`不是正确的 URL 编码：每个 % 后应跟两位十六进制数字，且转义后的字节应为 UTF-8 编码。`,
    });
  }
}

/** Decodes `a=1&b.0=x` into pairs, in order. `+` is a space. */
export function decodeForm(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeComponent(eq >= 0 ? part.slice(0, eq) : part);
    pairs.push([key, eq >= 0 ? decodeComponent(part.slice(eq + 1)) : ""]);
  }
  return pairs;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function parseLanguage(value: string | undefined): Language {
  if (value === undefined || value === "" || value === "en-US") return "en-US";
  if (value === "zh-CN") return "zh-CN";
  throw apiError("InvalidParameterValue", {
    en: `The language \`${value.slice(0, 32)}\` is not supported; use en-US or zh-CN.`,
    zh: `不支持语言\`${value.slice(0, 32)}\`，可选值为 en-US、zh-CN。`,
  });
}

function sizeLimitExceeded(limit: number, what: { en: string; zh: string }) {
  return apiError("RequestSizeLimitExceeded", {
    en: `The ${what.en} is larger than the limit of ${limit} bytes.`,
    zh: `${what.zh}超过限制大小 ${limit} 字节。`,
  });
}

/** Reads the language before anything else can fail, so that every error speaks it. */
export function requestLanguage(raw: RawRequest): Language {
  const header = raw.headers["x-tc-language"];
  if (header !== undefined) return header === "zh-CN" ? "zh-CN" : "en-US";
  const source = raw.method === "GET" ? splitTarget(raw.target).rawQuery : raw.body.toString("latin1");
  return /(^|&)Language=zh-CN(&|$)/.test(source) ? "zh-CN" : "en-US";
}

export function recognise(raw: RawRequest): RecognisedRequest {
  const method = raw.method.toUpperCase();
  if (method !== "GET" && method !== "POST") {
    throw apiError("UnsupportedProtocol", {
      en: `The HTTP method ${raw.method.slice(0, 16)} is not supported; use GET or POST.`,
      zh: `不支持 HTTP 方法 ${raw.method.slice(0, 16)}，只支持 GET 和 POST 请求。`,
    });
  }
  const target = splitTarget(raw.target);
  const headers = raw.headers;
  const host = headers["host"] ?? target.host ?? "";
  const productHost = target.host ?? host;
  const authorization = headers["authorization"];

  if (method === "GET" && Buffer.byteLength(raw.target) > SIZE_LIMITS.get) throw sizeLimitExceeded(SIZE_LIMITS.get, { en: "GET request", zh: "GET 请求" });
  if (method === "POST" && (raw.bodyTruncated || raw.body.length > SIZE_LIMITS.tc3Post)) {
    throw sizeLimitExceeded(SIZE_LIMITS.tc3Post, { en: "request body", zh: "请求 body" });
  }

  const isJsonPost = method === "POST" && mediaType(headers["content-type"]) === "application/json";
  if ((authorization !== undefined && authorization !== "") || isJsonPost) {
    // `SKIP` (the SDKs' skipSign) goes on to authentication: refused there, accepted when signatures are not checked.
    if (authorization && !authorization.startsWith("TC3-HMAC-SHA256") && authorization !== "SKIP") {
      const algorithm = authorization.split(/[\s,]/)[0]!.slice(0, 32);
      throw apiError("AuthFailure.InvalidAuthorization", {
        en: `The Authorization header uses the algorithm \`${algorithm}\`; it must use TC3-HMAC-SHA256.`,
        zh: `请求头部 Authorization 使用的签名算法\`${algorithm}\`不受支持，应为 TC3-HMAC-SHA256。`,
      });
    }
    let params: ApiParams;
    const type = mediaType(headers["content-type"]);
    if (method === "GET") {
      params = { kind: "flat", pairs: decodeForm(target.rawQuery) };
    } else if (type === "application/json") {
      params = { kind: "json", body: raw.body };
    } else if (type === "multipart/form-data") {
      throw apiError("InvalidRequest", {
        en: "multipart/form-data requests are not supported by this product; send application/json.",
        zh: "该产品不支持 Content-Type 为 multipart/form-data 的请求，请使用 application/json。",
      });
    } else if (type === "application/x-www-form-urlencoded") {
      throw apiError("AuthFailure.SignatureFailure", {
        en: "A form-encoded POST must be signed with HmacSHA1 or HmacSHA256; TC3-HMAC-SHA256 POST requests carry a JSON body.",
        zh: "Content-Type 为 application/x-www-form-urlencoded 的 POST 请求应使用 HmacSHA1 或 HmacSHA256 签名；TC3-HMAC-SHA256 签名的 POST 请求 body 应为 JSON。",
      });
    } else {
      throw apiError(
        "InvalidRequest",
        unsupportedContentTypeText(type, {
          en: "TC3-HMAC-SHA256 POST requests must be application/json",
          zh: "TC3-HMAC-SHA256 签名的 POST 请求应为 application/json",
        }),
      );
    }
    const credentialService = /Credential=[^/]*\/[^/]*\/([^/]+)\//.exec(authorization ?? "")?.[1];
    return {
      common: {
        action: headers["x-tc-action"],
        version: headers["x-tc-version"],
        region: headers["x-tc-region"],
        language: parseLanguage(headers["x-tc-language"]),
      },
      signed: {
        kind: "TC3",
        method,
        path: target.path,
        rawQuery: target.rawQuery,
        headers,
        body: raw.body,
        authorization: authorization ?? "",
        timestamp: headers["x-tc-timestamp"],
        token: headers["x-tc-token"],
      },
      params,
      host: productHost,
      credentialService,
    };
  }

  let pairs: Array<[string, string]>;
  if (method === "GET") {
    pairs = decodeForm(target.rawQuery);
  } else {
    const type = mediaType(headers["content-type"]);
    if (type !== "application/x-www-form-urlencoded") {
      throw apiError(
        "InvalidRequest",
        unsupportedContentTypeText(type, {
          en: "use application/json (TC3-HMAC-SHA256) or application/x-www-form-urlencoded (HmacSHA1/HmacSHA256)",
          zh: "请使用 application/json（TC3-HMAC-SHA256 签名）或 application/x-www-form-urlencoded（HmacSHA1/HmacSHA256 签名）",
        }),
      );
    }
    if (raw.body.length > SIZE_LIMITS.v1Post) throw sizeLimitExceeded(SIZE_LIMITS.v1Post, { en: "form-encoded request body", zh: "表单编码（application/x-www-form-urlencoded）的请求 body" });
    pairs = decodeForm(raw.body.toString("utf8"));
  }
  const common = new Map<string, string>();
  const apiPairs: Array<[string, string]> = [];
  for (const [k, v] of pairs) {
    if (V1_COMMON.has(k)) common.set(k, v);
    else apiPairs.push([k, v]);
  }
  return {
    common: {
      action: common.get("Action"),
      version: common.get("Version"),
      region: common.get("Region"),
      language: parseLanguage(common.get("Language")),
    },
    signed: {
      kind: "V1",
      method,
      host,
      pairs,
      secretId: common.get("SecretId"),
      signature: common.get("Signature"),
      signatureMethod: common.get("SignatureMethod"),
      timestamp: common.get("Timestamp"),
      nonce: common.get("Nonce"),
      token: common.get("Token"),
    },
    params: { kind: "flat", pairs: apiPairs },
    host: productHost,
    credentialService: undefined,
  };
}
