// The rules of GetFederationToken (STS 2018-08-13), apart from the action that applies them:
// who may call it, the federated user's name, the CAM policy and the lifetime of the credentials.
//
// From the API page "GetFederationToken" (获取联合身份临时访问凭证) and the STS error codes:
// - callable with permanent keys only (temporary ones are refused: UnsupportedOperation);
// - Name: "consisting of letters"; the page gives no length, so the rule of the sibling AssumeRole's
//   RoleSessionName applies: 2-128 letters, digits and =,.@_-+ (InvalidParameter.ParamError); real clients
//   send names such as `cos-sts-nodejs`;
// - Policy: URL-encoded CAM policy, decoded by the server; CAM syntax (version "2.0", one statement element
//   of effect/action/resource[/condition]); no principal element
//   (InvalidParameter.StrategyFormatError for syntax, InvalidParameter.StrategyInvalid for a principal);
// - DurationSeconds: default 1800, at most 7200 for a root account (every tclocal account is one)
//   (InvalidParameter.OverTimeError).
import type { Caller } from "../../auth/authenticate.js";
import { apiError, type LocalizedText } from "../../protocol/errors.js";

export const DEFAULT_DURATION_SECONDS = 1800;
/** The documented maximum for a root account; sub-accounts (not emulated) may ask for 129600. */
export const ROOT_MAX_DURATION_SECONDS = 7200;
export const MIN_DURATION_SECONDS = 1;

const NAME_RE = /^[A-Za-z0-9_+=,.@-]{2,128}$/;

/** What a valid GetFederationToken request grants. */
export interface FederationGrant {
  name: string;
  /** The decoded policy document, as the caller wrote it. */
  policy: string;
  durationSeconds: number;
}

function shown(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** GetFederationToken serves permanent keys only. */
export function requirePermanentKey(caller: Caller): void {
  if (caller.temporary) {
    throw apiError("UnsupportedOperation", {
      en: `GetFederationToken accepts permanent keys only, but the request was signed with the temporary SecretId \`${caller.secretId}\`: call it with an account's permanent SecretId.`,
      zh: `GetFederationToken 仅支持永久密钥调用，本次请求使用的是临时密钥 SecretId\`${caller.secretId}\`，请使用账号的永久密钥调用。`,
    });
  }
}

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw apiError("InvalidParameter.ParamError", {
      en: `The parameter \`Name\`=${shown(name)} is not a valid federated user name: it must be 2 to 128 letters, digits or the characters =,.@_-+.`,
      zh: `参数\`Name\`的取值 ${shown(name)} 不是合法的联合身份名称，应为 2 到 128 个字母、数字或 =,.@_-+ 字符。`,
    });
  }
  return name;
}

export function checkDuration(durationSeconds: number | undefined): number {
  const duration = durationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (!Number.isInteger(duration)) {
    throw apiError("InvalidParameter.ParamError", {
      en: `The parameter \`DurationSeconds\`=${duration} is not a whole number of seconds: give an integer from ${MIN_DURATION_SECONDS} to ${ROOT_MAX_DURATION_SECONDS}.`,
      zh: `参数\`DurationSeconds\`的取值 ${duration} 不是整数秒，应为 ${MIN_DURATION_SECONDS} 到 ${ROOT_MAX_DURATION_SECONDS} 之间的整数。`,
    });
  }
  if (duration < MIN_DURATION_SECONDS || duration > ROOT_MAX_DURATION_SECONDS) {
    throw apiError("InvalidParameter.OverTimeError", {
      en: `The parameter \`DurationSeconds\`=${duration} is out of range: a root account's temporary credentials last from ${MIN_DURATION_SECONDS} to ${ROOT_MAX_DURATION_SECONDS} seconds (default ${DEFAULT_DURATION_SECONDS}).`,
      zh: `参数\`DurationSeconds\`的取值 ${duration} 超出范围：主账号临时证书的有效期为 ${MIN_DURATION_SECONDS} 到 ${ROOT_MAX_DURATION_SECONDS} 秒（默认 ${DEFAULT_DURATION_SECONDS} 秒）。`,
    });
  }
  return duration;
}

function policySyntax(detail: LocalizedText): never {
  throw apiError("InvalidParameter.StrategyFormatError", {
    en: `The parameter \`Policy\` is not a CAM policy: ${detail.en} It must be a URL-encoded JSON document such as {"version":"2.0","statement":[{"effect":"allow","action":["name/cos:GetObject"],"resource":["*"]}]}.`,
    zh: `参数\`Policy\`不是合法的 CAM 策略：${detail.zh}应为经过 URL 编码的 JSON 策略文档，例如 {"version":"2.0","statement":[{"effect":"allow","action":["name/cos:GetObject"],"resource":["*"]}]}。`,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string, or a non-empty list of strings: how action and resource are written. */
function isStringOrStrings(value: unknown): boolean {
  if (typeof value === "string") return value !== "";
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "");
}

function noPrincipal(where: string): never {
  throw apiError("InvalidParameter.StrategyInvalid", {
    en: `The parameter \`Policy\` has a principal element (${where}): a policy passed to GetFederationToken cannot name a principal. Remove it.`,
    zh: `参数\`Policy\`包含 principal 元素（${where}）：GetFederationToken 的策略中不能包含 principal 元素，请删除。`,
  });
}

function checkStatement(statement: unknown, index: number): void {
  const where = `statement[${index}]`;
  if (!isRecord(statement)) {
    policySyntax({ en: `${where} is not a JSON object.`, zh: `${where} 不是 JSON 对象。` });
  }
  if ("principal" in statement) noPrincipal(`${where}.principal`);
  const effect = statement["effect"];
  if (effect !== "allow" && effect !== "deny") {
    const given = effect === undefined ? "missing" : JSON.stringify(effect).slice(0, 64);
    policySyntax({
      en: `${where}.effect is ${given}; it must be "allow" or "deny".`,
      zh: `${where}.effect 的取值为 ${given === "missing" ? "空" : given}，应为 "allow" 或 "deny"。`,
    });
  }
  for (const element of ["action", "resource"] as const) {
    if (!isStringOrStrings(statement[element])) {
      policySyntax({
        en: `${where}.${element} is missing or empty; it must be a string or a non-empty list of strings.`,
        zh: `${where}.${element} 缺失或为空，应为字符串或非空的字符串列表。`,
      });
    }
  }
  if ("condition" in statement && !isRecord(statement["condition"])) {
    policySyntax({ en: `${where}.condition is not a JSON object.`, zh: `${where}.condition 不是 JSON 对象。` });
  }
}

/** Decodes the URL-encoded Policy and checks that it is a CAM policy without a principal. */
export function checkPolicy(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    policySyntax({
      en: `its URL encoding is broken (a % not followed by two hexadecimal digits of UTF-8) in ${shown(encoded)}.`,
      zh: `${shown(encoded)} 的 URL 编码有误（% 后不是 UTF-8 的两位十六进制数）。`,
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(decoded);
  } catch {
    policySyntax({ en: `the decoded text ${shown(decoded)} is not JSON.`, zh: `解码后的文本 ${shown(decoded)} 不是 JSON。` });
  }
  if (!isRecord(document)) {
    policySyntax({ en: `the decoded text ${shown(decoded)} is not a JSON object.`, zh: `解码后的文本 ${shown(decoded)} 不是 JSON 对象。` });
  }
  if ("principal" in document) noPrincipal("principal");
  if (document["version"] !== "2.0") {
    const given = document["version"] === undefined ? undefined : JSON.stringify(document["version"]).slice(0, 32);
    policySyntax({
      en: `version is ${given ?? "missing"}; it must be "2.0".`,
      zh: `version ${given === undefined ? "缺失" : `的取值为 ${given}`}，应为 "2.0"。`,
    });
  }
  const statement = document["statement"];
  const statements = Array.isArray(statement) ? statement : isRecord(statement) ? [statement] : undefined;
  if (statements === undefined || statements.length === 0) {
    policySyntax({
      en: "statement is missing or empty; it must list at least one statement.",
      zh: "statement 缺失或为空，应至少包含一条语句。",
    });
  }
  statements.forEach(checkStatement);
  return decoded;
}

/** Checks a whole GetFederationToken request; throws the documented code for the first rule broken. */
export function checkFederationRequest(
  caller: Caller,
  req: { Name: string; Policy: string; DurationSeconds?: number },
): FederationGrant {
  requirePermanentKey(caller);
  return { name: checkName(req.Name), policy: checkPolicy(req.Policy), durationSeconds: checkDuration(req.DurationSeconds) };
}

/** When credentials issued at `now` (ms) for `durationSeconds` expire: a whole second, so that ExpiredTime is exact. */
export function expiryOf(now: number, durationSeconds: number): number {
  return (Math.floor(now / 1000) + durationSeconds) * 1000;
}

/** ISO 8601 in UTC without milliseconds, as the Expiration field is written: 2023-06-13T13:55:53Z. */
export function iso8601Seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
