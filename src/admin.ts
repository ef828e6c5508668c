// The /_tclocal/ admin endpoints: health, accounts and temporary credentials. They speak JSON and,
// like the API, never answer with a stack trace.
import type { IncomingMessage } from "node:http";
import { newSecretId, newSecretKey, newToken } from "./auth/keys.js";
import type { Clock, ControllableClock } from "./clock.js";
import type { Product } from "./gateway/product.js";
import type { Account } from "./store/accounts.js";
import type { Store } from "./store/store.js";
import { VERSION } from "./version.js";

export interface AdminDeps {
  products: readonly Product[];
  store: Store;
  wallClock: Clock;
  /** The resource clock, which tests freeze and move. */
  clock: ControllableClock;
  defaultAccount: Account;
  ensureDefaultAccount: () => Account;
}

export interface AdminAnswer {
  status: number;
  body: object;
}

export const CLOCK_SETTING = "clock";
const MAX_TEMPORARY_SECONDS = 43200;
const DEFAULT_TEMPORARY_SECONDS = 1800;

function failure(status: number, code: string, message: string): AdminAnswer {
  return { status, body: { Error: { Code: code, Message: message } } };
}

function parseBody(body: Buffer): Record<string, unknown> | AdminAnswer {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  return failure(400, "InvalidParameter", "The body must be a JSON object.");
}

function accountOf(deps: AdminDeps, secretId: unknown): Account | AdminAnswer {
  if (secretId === undefined) return deps.defaultAccount;
  if (typeof secretId !== "string") return failure(400, "InvalidParameter", "SecretId must be a string.");
  const credential = deps.store.accounts.findCredential(secretId);
  if (!credential || credential.token !== undefined) {
    return failure(404, "AuthFailure.SecretIdNotFound", `No permanent key has the SecretId \`${secretId.slice(0, 64)}\`.`);
  }
  return credential.account;
}

function isAnswer(value: object): value is AdminAnswer {
  return "status" in value && "body" in value;
}

export function handleAdmin(req: IncomingMessage, path: string, body: Buffer, deps: AdminDeps): AdminAnswer {
  const route = `${req.method} ${path.replace(/\/+$/, "")}`;
  const now = deps.wallClock.now();
  switch (route) {
    case "GET /_tclocal/health":
      return {
        status: 200,
        body: {
          status: "ok",
          version: VERSION,
          services: deps.products.map((p) => ({ service: p.service, version: p.version, actions: Object.keys(p.handlers).length })),
        },
      };
    case "POST /_tclocal/accounts": {
      const input = parseBody(body);
      if (isAnswer(input)) return input;
      const name = typeof input.Name === "string" ? input.Name.slice(0, 64) : "account";
      const secretId = newSecretId();
      const secretKey = newSecretKey();
      const account = deps.store.transaction(() => {
        const created = deps.store.accounts.ensureAccount({ ...deps.store.accounts.nextAccountNumbers(), name }, now);
        deps.store.accounts.putCredential({ secretId, secretKey, accountUin: created.uin }, now);
        return created;
      });
      return { status: 200, body: { Uin: account.uin, AppId: account.appId, Name: account.name, SecretId: secretId, SecretKey: secretKey } };
    }
    case "POST /_tclocal/credentials": {
      const input = parseBody(body);
      if (isAnswer(input)) return input;
      const account = accountOf(deps, input.SecretId);
      if (isAnswer(account)) return account;
      const duration = input.DurationSeconds ?? DEFAULT_TEMPORARY_SECONDS;
      if (typeof duration !== "number" || !Number.isInteger(duration) || duration < 1 || duration > MAX_TEMPORARY_SECONDS) {
        return failure(400, "InvalidParameterValue", `DurationSeconds must be an integer from 1 to ${MAX_TEMPORARY_SECONDS}.`);
      }
      const expiresAt = now + duration * 1000;
      const credentials = { TmpSecretId: newSecretId(), TmpSecretKey: newSecretKey(), Token: newToken() };
      deps.store.transaction(() => {
        deps.store.accounts.deleteExpiredCredentials(now - 3600_000);
        deps.store.accounts.putCredential(
          { secretId: credentials.TmpSecretId, secretKey: credentials.TmpSecretKey, accountUin: account.uin, token: credentials.Token, expiresAt },
          now,
        );
      });
      return {
        status: 200,
        body: { Credentials: credentials, ExpiredTime: Math.floor(expiresAt / 1000), Expiration: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z") },
      };
    }
    case "GET /_tclocal/clock":
      return { status: 200, body: clockState(deps.clock) };
    case "POST /_tclocal/clock": {
      const input = parseBody(body);
      if (isAnswer(input)) return input;
      const answer = changeClock(deps.clock, input);
      // The clock is state: a restart keeps the time the tests moved it to.
      if (answer.status === 200) deps.store.putSetting(CLOCK_SETTING, deps.clock.snapshot());
      return answer;
    }
    case "POST /_tclocal/reset":
      deps.store.reset();
      deps.ensureDefaultAccount();
      deps.clock.reset();
      return { status: 200, body: { reset: true, ...clockState(deps.clock) } };
    default:
      return failure(404, "ResourceNotFound", `There is no admin endpoint ${route.slice(0, 128)}. See GET /_tclocal/health.`);
  }
}

function clockState(clock: ControllableClock): object {
  const now = clock.now();
  return { Now: new Date(now).toISOString(), NowMs: now, Frozen: clock.frozen };
}

/** `{"Freeze": true|false, "AdvanceSeconds": n, "Set": "<ISO time>"}`, applied in that order: Set, Freeze, Advance. */
function changeClock(clock: ControllableClock, input: Record<string, unknown>): AdminAnswer {
  const { Freeze, AdvanceSeconds, Set: setTo } = input;
  const unknown = Object.keys(input).filter((k) => !["Freeze", "AdvanceSeconds", "Set"].includes(k));
  if (unknown.length > 0) return failure(400, "UnknownParameter", `Unknown field ${unknown[0]!.slice(0, 64)}; use Freeze, AdvanceSeconds and Set.`);
  if (Freeze !== undefined && typeof Freeze !== "boolean") return failure(400, "InvalidParameter", "Freeze must be true or false.");
  if (AdvanceSeconds !== undefined && (typeof AdvanceSeconds !== "number" || !Number.isFinite(AdvanceSeconds) || AdvanceSeconds < 0)) {
    return failure(400, "InvalidParameter", "AdvanceSeconds must be a number of seconds, 0 or more.");
  }
  let target: number | undefined;
  if (setTo !== undefined) {
    target = typeof setTo === "string" ? Date.parse(setTo) : NaN;
    if (Number.isNaN(target)) return failure(400, "InvalidParameter", "Set must be an ISO 8601 time, such as 2026-01-01T00:00:00Z.");
  }
  if (target !== undefined) clock.set(target);
  if (Freeze === true) clock.freeze();
  if (Freeze === false) clock.unfreeze();
  if (typeof AdvanceSeconds === "number") clock.advance(AdvanceSeconds * 1000);
  return { status: 200, body: clockState(clock) };
}
