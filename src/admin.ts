// The /_tclocal/ admin endpoints: health, accounts, the resource clock and reset. They speak JSON and,
// like the API, never answer with a stack trace. All but GET /_tclocal/health need proof that the caller
// holds the default account's SecretKey (auth/admin-auth.ts). Temporary credentials come from the STS
// API (GetFederationToken), not from here.
import { authenticateAdmin, type AdminKey } from "./auth/admin-auth.js";
import { newSecretId, newSecretKey } from "./auth/keys.js";
import type { Clock, ControllableClock } from "./clock.js";
import type { Product } from "./gateway/product.js";
import { ApiError, type Language, type LocalizedText } from "./protocol/errors.js";
import { own } from "./protocol/own.js";
import type { Account } from "./store/accounts.js";
import type { Store } from "./store/store.js";
import { VERSION } from "./version.js";

export interface AdminDeps {
  products: readonly Product[];
  store: Store;
  wallClock: Clock;
  /** The resource clock, which tests freeze and move. */
  clock: ControllableClock;
  ensureDefaultAccount: () => Account;
  adminKey: AdminKey;
}

export interface AdminCall {
  method: string;
  path: string;
  rawQuery: string;
  /** Header name (lower case) → value. */
  headers: Record<string, string>;
  body: Buffer;
  language: Language;
}

export interface AdminAnswer {
  status: number;
  body: object;
  /** For the log line: the endpoint, who called (never a secret) and the outcome. */
  log: { endpoint: string; caller: string; code: string };
}

export const CLOCK_SETTING = "clock";
/** The resource clock stays within years 1970 to 9999: dates past them do not print as ISO 8601. */
export const CLOCK_MIN_MS = Date.UTC(1970, 0, 1);
export const CLOCK_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

class AdminFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: LocalizedText,
  ) {
    super(text.en);
  }
}

function parseBody(body: Buffer): Record<string, unknown> {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AdminFailure(400, "InvalidParameter", { en: "The body must be a JSON object.", zh: "请求 body 必须是 JSON 对象。" });
}

export function isClockInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= CLOCK_MIN_MS && ms <= CLOCK_MAX_MS;
}

export function handleAdmin(call: AdminCall, deps: AdminDeps): AdminAnswer {
  const endpoint = `${call.method} ${call.path.replace(/\/+$/, "")}`.slice(0, 128);
  let caller = "anonymous";
  try {
    if (endpoint === "GET /_tclocal/health") return answer(health(deps));
    // A browser may send a form post or text/plain cross-site without asking first; JSON it may not.
    if (call.method !== "GET" && !/^application\/json\s*(;|$)/i.test(own(call.headers, "content-type") ?? "")) {
      throw new AdminFailure(415, "InvalidRequest", {
        en: `Admin requests other than GET must send Content-Type: application/json, not \`${(own(call.headers, "content-type") ?? "").slice(0, 64)}\`.`,
        zh: `除 GET 外的管理请求必须使用 Content-Type: application/json，而不是\`${(own(call.headers, "content-type") ?? "").slice(0, 64)}\`。`,
      });
    }
    caller = authenticateAdmin(call, deps.adminKey, deps.wallClock.now());
    switch (endpoint) {
      case "POST /_tclocal/accounts":
        return answer(createAccount(deps, parseBody(call.body)));
      case "GET /_tclocal/clock":
        return answer(clockState(deps.clock));
      case "POST /_tclocal/clock": {
        const state = changeClock(deps.clock, parseBody(call.body));
        // The clock is state: a restart keeps the time the tests moved it to.
        deps.store.putSetting(CLOCK_SETTING, deps.clock.snapshot());
        return answer(state);
      }
      case "POST /_tclocal/reset":
        deps.store.reset();
        deps.ensureDefaultAccount();
        deps.clock.reset();
        return answer({ reset: true, ...clockState(deps.clock) });
      default:
        throw new AdminFailure(404, "ResourceNotFound", { en: `There is no admin endpoint ${endpoint}. See the README.`, zh: `管理接口 ${endpoint} 不存在，请参阅 README。` });
    }
  } catch (error) {
    if (error instanceof AdminFailure) return failure(error.status, error.code, call.language === "zh-CN" ? error.text.zh : error.text.en);
    if (error instanceof ApiError) return failure(401, error.code, error.messageIn(call.language));
    throw error;
  }

  function answer(body: object): AdminAnswer {
    return { status: 200, body, log: { endpoint, caller, code: "Success" } };
  }
  function failure(status: number, code: string, message: string): AdminAnswer {
    return { status, body: { Error: { Code: code, Message: message } }, log: { endpoint, caller, code } };
  }
}

function health(deps: AdminDeps): object {
  return {
    status: "ok",
    version: VERSION,
    services: deps.products.map((p) => ({ service: p.service, version: p.version, actions: Object.keys(p.handlers).length })),
  };
}

function createAccount(deps: AdminDeps, input: Record<string, unknown>): object {
  const name = typeof input.Name === "string" ? input.Name.slice(0, 64) : "account";
  const secretId = newSecretId();
  const secretKey = newSecretKey();
  const now = deps.wallClock.now();
  const account = deps.store.transaction(() => {
    const created = deps.store.accounts.ensureAccount({ ...deps.store.accounts.nextAccountNumbers(), name }, now);
    deps.store.accounts.putCredential({ secretId, secretKey, accountUin: created.uin }, now);
    return created;
  });
  return { Uin: account.uin, AppId: account.appId, Name: account.name, SecretId: secretId, SecretKey: secretKey };
}

function clockState(clock: ControllableClock): object {
  const now = clock.now();
  return { Now: new Date(now).toISOString(), NowMs: now, Frozen: clock.frozen };
}

const RANGE_TEXT = "1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

/** `{"Freeze": true|false, "AdvanceSeconds": n, "Set": "<ISO time>"}`, applied in that order: Set, Freeze, Advance. */
function changeClock(clock: ControllableClock, input: Record<string, unknown>): object {
  const { Freeze, AdvanceSeconds, Set: setTo } = input;
  const unknown = Object.keys(input).filter((k) => !["Freeze", "AdvanceSeconds", "Set"].includes(k));
  if (unknown.length > 0) throw new AdminFailure(400, "UnknownParameter", { en: `Unknown field \`${unknown[0]!.slice(0, 64)}\`; use Freeze, AdvanceSeconds and Set.`, zh: `未知字段\`${unknown[0]!.slice(0, 64)}\`，可用字段为 Freeze、AdvanceSeconds 和 Set。` });
  if (Freeze !== undefined && typeof Freeze !== "boolean") throw new AdminFailure(400, "InvalidParameter", { en: `Freeze must be true or false, not ${JSON.stringify(Freeze).slice(0, 64)}.`, zh: `Freeze 必须为 true 或 false，而不是 ${JSON.stringify(Freeze).slice(0, 64)}。` });
  if (AdvanceSeconds !== undefined && (typeof AdvanceSeconds !== "number" || !Number.isFinite(AdvanceSeconds) || AdvanceSeconds < 0)) {
    const shown = String(JSON.stringify(AdvanceSeconds)).slice(0, 64);
    throw new AdminFailure(400, "InvalidParameter", { en: `AdvanceSeconds must be a number of seconds, 0 or more, not ${shown}.`, zh: `AdvanceSeconds 必须是大于等于 0 的秒数，而不是 ${shown}。` });
  }
  let target: number | undefined;
  if (setTo !== undefined) {
    target = typeof setTo === "string" ? Date.parse(setTo) : NaN;
    if (Number.isNaN(target)) {
      const shown = String(JSON.stringify(setTo)).slice(0, 64);
      throw new AdminFailure(400, "InvalidParameter", { en: `Set must be an ISO 8601 time, such as 2026-01-01T00:00:00Z, not ${shown}.`, zh: `Set 必须是 ISO 8601 时间（如 2026-01-01T00:00:00Z），而不是 ${shown}。` });
    }
    if (!isClockInRange(target)) {
      const shown = JSON.stringify(String(setTo).slice(0, 64));
      throw new AdminFailure(400, "InvalidParameterValue", { en: `Set ${shown} is outside the clock's range, ${RANGE_TEXT}.`, zh: `Set ${shown} 超出时钟范围（${RANGE_TEXT}）。` });
    }
  }
  const from = target ?? clock.now();
  if (typeof AdvanceSeconds === "number" && !isClockInRange(from + AdvanceSeconds * 1000)) {
    const start = new Date(from).toISOString();
    throw new AdminFailure(400, "InvalidParameterValue", {
      en: `AdvanceSeconds ${AdvanceSeconds} would move the clock from ${start} past 9999-12-31T23:59:59Z; the clock's range is ${RANGE_TEXT}.`,
      zh: `AdvanceSeconds ${AdvanceSeconds} 会使时钟从 ${start} 越过 9999-12-31T23:59:59Z；时钟范围为 ${RANGE_TEXT}。`,
    });
  }
  if (target !== undefined) clock.set(target);
  if (Freeze === true) clock.freeze();
  if (Freeze === false) clock.unfreeze();
  if (typeof AdvanceSeconds === "number") clock.advance(AdvanceSeconds * 1000);
  return clockState(clock);
}
