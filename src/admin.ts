// The /_tclocal/ admin endpoints: health, accounts, the resource clock and reset. They answer as the API
// does: HTTP 200, the API 3.0 envelope (`Response`, `RequestId`, `Error.Code`/`Error.Message` from the one
// error catalog), in the caller's language, never a stack trace. Every body is read by one rule set
// (admin-fields.ts). All but GET /_tclocal/health need proof that the caller holds the default account's
// SecretKey (auth/admin-auth.ts). Temporary credentials come from the STS API (GetFederationToken), not here.
import { randomUUID } from "node:crypto";
import { ADMIN_BODY_LIMIT, booleanField, numberField, readFields, shownValue, textField, type FieldRule } from "./admin-fields.js";
import { authenticateAdmin, type AdminKey } from "./auth/admin-auth.js";
import { newSecretId, newSecretKey } from "./auth/keys.js";
import type { Clock, ControllableClock } from "./clock.js";
import type { Product } from "./gateway/product.js";
import { errorBody, successBody, type ErrorBody, type SuccessBody } from "./protocol/envelope.js";
import { apiError, ApiError, type Language } from "./protocol/errors.js";
import { own } from "./protocol/own.js";
import { AccountRepository, type Account } from "./store/accounts.js";
import { changeStoredClock, loadClock } from "./clock-store.js";
import { ACCOUNTS_LOCK, type Store } from "./store/store.js";
import { VERSION } from "./version.js";

export interface AdminDeps {
  products: readonly Product[];
  store: Store;
  wallClock: Clock;
  /** The resource clock, which tests freeze and move. */
  clock: ControllableClock;
  ensureDefaultAccount: () => Promise<Account>;
  adminKey: AdminKey;
}

export interface AdminCall {
  method: string;
  path: string;
  rawQuery: string;
  /** Header name (lower case) → value. */
  headers: Record<string, string>;
  body: Buffer;
  /** The body was longer than the server reads; what was read is not the body. */
  bodyTruncated: boolean;
  language: Language;
}

export interface AdminAnswer {
  requestId: string;
  /** Written with HTTP 200, as every API answer is. */
  body: SuccessBody | ErrorBody;
  /** For the log line: the endpoint, who called (never a secret) and the outcome. */
  log: { endpoint: string; caller: string; code: string };
}

/** The resource clock stays within years 1970 to 9999: dates past them do not print as ISO 8601. */
export const CLOCK_MIN_MS = Date.UTC(1970, 0, 1);
export const CLOCK_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const RANGE_TEXT = "1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

/** Account names: what the README documents. Longer ones are refused, not cut. */
export const ACCOUNT_NAME_MAX = 64;
const DEFAULT_ACCOUNT_NAME = "account";

export function isClockInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= CLOCK_MIN_MS && ms <= CLOCK_MAX_MS;
}

/** What each endpoint's body may hold. */
const NO_FIELDS = {};
const ACCOUNT_FIELDS = { Name: textField(1, ACCOUNT_NAME_MAX) };
/** An ISO 8601 time, read as milliseconds; longer text is no time, and is not parsed. */
const timeField: FieldRule<number> = {
  expected: { en: "an ISO 8601 time, such as 2026-01-01T00:00:00Z", zh: "ISO 8601 时间（如 2026-01-01T00:00:00Z）" },
  read: (value) => {
    const ms = typeof value === "string" && value.length <= 64 ? Date.parse(value) : NaN;
    return Number.isNaN(ms) ? undefined : ms;
  },
  range: { text: { en: RANGE_TEXT, zh: RANGE_TEXT }, contains: isClockInRange },
};
const CLOCK_FIELDS = {
  Freeze: booleanField,
  AdvanceSeconds: numberField(
    { en: "a number of seconds", zh: "秒数" },
    { text: { en: "0 or more, finite", zh: "大于等于 0 的有限数" }, contains: (seconds) => Number.isFinite(seconds) && seconds >= 0 },
  ),
  Set: timeField,
};

const ENDPOINTS = ["GET /_tclocal/health", "POST /_tclocal/accounts", "GET /_tclocal/clock", "POST /_tclocal/clock", "POST /_tclocal/reset"];

export async function handleAdmin(call: AdminCall, deps: AdminDeps): Promise<AdminAnswer> {
  const requestId = randomUUID();
  const endpoint = `${call.method} ${call.path.replace(/\/+$/, "")}`.slice(0, 128);
  let caller = "anonymous";
  try {
    // Bounded before anything reads it (the signature check hashes it, readFields parses it).
    if (call.bodyTruncated || call.body.length > ADMIN_BODY_LIMIT) {
      throw apiError("RequestSizeLimitExceeded", {
        en: `The body of ${endpoint} is larger than the admin endpoints' limit of ${ADMIN_BODY_LIMIT} bytes.`,
        zh: `${endpoint} 的请求 body 超过管理接口的限制 ${ADMIN_BODY_LIMIT} 字节。`,
      });
    }
    if (endpoint === "GET /_tclocal/health") {
      readFields(call.body, endpoint, NO_FIELDS);
      return success(health(deps));
    }
    // A browser may send a form post or text/plain cross-site without asking first; JSON it may not.
    const contentType = own(call.headers, "content-type") ?? "";
    if (call.method !== "GET" && !/^application\/json\s*(;|$)/i.test(contentType)) {
      throw apiError("InvalidRequest", {
        en: `Admin requests other than GET must send Content-Type: application/json, not \`${contentType.slice(0, 64)}\`.`,
        zh: `除 GET 外的管理请求必须使用 Content-Type: application/json，而不是\`${contentType.slice(0, 64)}\`。`,
      });
    }
    caller = authenticateAdmin(call, deps.adminKey, deps.wallClock.now());
    switch (endpoint) {
      case "POST /_tclocal/accounts":
        return success(await createAccount(deps, readFields(call.body, endpoint, ACCOUNT_FIELDS).Name));
      case "GET /_tclocal/clock":
        readFields(call.body, endpoint, NO_FIELDS);
        // Another node sharing the database may have moved it.
        if (deps.store.shared) await deps.store.read((sql) => loadClock(sql, deps.clock));
        return success(clockState(deps.clock));
      case "POST /_tclocal/clock": {
        const change = readFields(call.body, endpoint, CLOCK_FIELDS);
        // The clock is state: a restart keeps the time the tests moved it to, and every node sees it.
        return success(await changeStoredClock(deps.store, deps.clock, () => changeClock(deps.clock, change)));
      }
      case "POST /_tclocal/reset":
        readFields(call.body, endpoint, NO_FIELDS);
        return success(await reset(deps));
      default:
        throw apiError("ResourceNotFound", {
          en: `There is no admin endpoint ${endpoint}; the endpoints are ${ENDPOINTS.join(", ")}.`,
          zh: `管理接口 ${endpoint} 不存在；可用接口为 ${ENDPOINTS.join("、")}。`,
        });
    }
  } catch (error) {
    if (error instanceof ApiError) {
      return { requestId, body: errorBody(requestId, error.code, error.messageIn(call.language)), log: { endpoint, caller, code: error.code } };
    }
    throw error;
  }

  function success(fields: object): AdminAnswer {
    return { requestId, body: successBody(requestId, fields), log: { endpoint, caller, code: "Success" } };
  }
}

function health(deps: AdminDeps): object {
  return {
    Status: "ok",
    Version: VERSION,
    Services: deps.products.map((p) => ({ Service: p.service, Version: p.version, Actions: Object.keys(p.handlers).length })),
  };
}

async function createAccount(deps: AdminDeps, name: string | undefined): Promise<object> {
  const secretId = newSecretId();
  const secretKey = newSecretKey();
  const now = deps.wallClock.now();
  const account = await deps.store.transaction(
    async (sql) => {
      const accounts = new AccountRepository(sql);
      const created = await accounts.ensureAccount({ ...(await accounts.nextAccountNumbers()), name: name ?? DEFAULT_ACCOUNT_NAME }, now);
      await accounts.putCredential({ secretId, secretKey, accountUin: created.uin }, now);
      return created;
    },
    { mode: "write", lockKey: ACCOUNTS_LOCK },
  );
  return { Uin: account.uin, AppId: account.appId, Name: account.name, SecretId: secretId, SecretKey: secretKey };
}

/** Its three effects, each stated in the answer: state deleted, default account restored, clock back to real time. */
async function reset(deps: AdminDeps): Promise<object> {
  await deps.store.reset();
  const account = await deps.ensureDefaultAccount();
  deps.clock.reset();
  return {
    Deleted: ["accounts", "keys", "resources"],
    // The SecretId only: the caller proved it holds the key, and a SecretKey is never echoed.
    DefaultAccount: { Uin: account.uin, AppId: account.appId, Name: account.name, SecretId: deps.adminKey.secretId },
    Clock: clockState(deps.clock),
  };
}

function clockState(clock: ControllableClock): { Now: string; NowMs: number; Frozen: boolean } {
  const now = clock.now();
  return { Now: new Date(now).toISOString(), NowMs: now, Frozen: clock.frozen };
}

/** `{"Freeze": true|false, "AdvanceSeconds": n, "Set": "<ISO time>"}`, applied in that order: Set, Freeze, Advance. */
function changeClock(clock: ControllableClock, change: { Freeze?: boolean; AdvanceSeconds?: number; Set?: number }): object {
  const { Freeze, AdvanceSeconds, Set: target } = change;
  // Each field is in range on its own (readFields); moved by AdvanceSeconds, the clock must stay in range too.
  const from = target ?? clock.now();
  if (AdvanceSeconds !== undefined && !isClockInRange(from + AdvanceSeconds * 1000)) {
    const start = new Date(from).toISOString();
    const shown = shownValue(AdvanceSeconds);
    throw apiError("InvalidParameterValue", {
      en: `AdvanceSeconds ${shown} would move the clock from ${start} past 9999-12-31T23:59:59Z; the clock's range is ${RANGE_TEXT}.`,
      zh: `AdvanceSeconds ${shown} 会使时钟从 ${start} 越过 9999-12-31T23:59:59Z；时钟范围为 ${RANGE_TEXT}。`,
    });
  }
  if (target !== undefined) clock.set(target);
  if (Freeze === true) clock.freeze();
  if (Freeze === false) clock.unfreeze();
  if (AdvanceSeconds !== undefined) clock.advance(AdvanceSeconds * 1000);
  return clockState(clock);
}
