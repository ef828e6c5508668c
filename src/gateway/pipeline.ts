// The path of every API request, in order. Each step is a small function in its own file.
//
//   read (server.ts) → recognise the shape, read common params (shape.ts) → resolve product, version,
//   action and region (route.ts) → the resource clock, when other nodes share the database → authenticate, TC3 or v1: the account and the calling credential
//   (auth/authenticate.ts) → authorise (CAM policies are not emulated yet: every authenticated request
//   is allowed) → throttle (throttle.ts) →
//   implemented? → parse and validate parameters against the official model (protocol/params.ts,
//   protocol/validate.ts) → handler in one transaction, DryRun honoured → envelope (protocol/envelope.ts)
import { randomUUID } from "node:crypto";
import { authenticate } from "../auth/authenticate.js";
import type { SignatureReuseGuard } from "../auth/signature-reuse.js";
import type { Clock } from "../clock.js";
import { errorBody, successBody } from "../protocol/envelope.js";
import { ApiError, apiError, type Language } from "../protocol/errors.js";
import { actionHasField } from "../protocol/model.js";
import { own } from "../protocol/own.js";
import { unflatten } from "../protocol/params.js";
import { ModelValidator } from "../protocol/validate.js";
import type { Account } from "../store/accounts.js";
import type { Store } from "../store/store.js";
import type { Product } from "./product.js";
import type { RawRequest } from "./raw-request.js";
import { resolveRoute } from "./route.js";
import { recognise, requestLanguage, type ApiParams } from "./shape.js";
import type { Throttle } from "./throttle.js";

export interface GatewayDeps {
  products: readonly Product[];
  store: Store;
  /** Resource time: controllable; temporary credentials expire on it. */
  clock: Clock;
  /** Real time: signature windows and rate limits. */
  wallClock: Clock;
  throttle: Throttle;
  verifySignatures: boolean;
  /** Present when a TC3 signature may serve only one action, region and version (--signature-reuse refuse). */
  reuseGuard?: SignatureReuseGuard;
  defaultAccount: Account;
  /** Present when other nodes share the database: reads the resource clock, which one of them may have moved. */
  syncClock?: () => Promise<unknown>;
}

export interface ApiAnswer {
  requestId: string;
  body: object;
  headers: Record<string, string>;
  /** For the request log line. */
  log: { account?: string; action?: string; region?: string; code: string; error?: unknown };
}

class DryRunRollback extends Error {}

export class Gateway {
  private readonly validators = new Map<Product, ModelValidator>();

  constructor(private readonly deps: GatewayDeps) {}

  async handle(raw: RawRequest): Promise<ApiAnswer> {
    const requestId = randomUUID();
    const headers: Record<string, string> = { "X-TC-RequestId": requestId };
    const traceId = raw.headers["x-tc-traceid"];
    if (traceId !== undefined) headers["X-TC-TraceId"] = traceId.slice(0, 256);
    const log: ApiAnswer["log"] = { code: "Success" };
    let language: Language = requestLanguage(raw);
    try {
      const request = recognise(raw);
      language = request.common.language;
      log.action = request.common.action?.slice(0, 64);
      log.region = request.common.region?.slice(0, 64);

      const route = resolveRoute(this.deps.products, request.common, request);
      if (this.deps.syncClock) await this.deps.syncClock();
      // Signature windows follow the wall clock; temporary credentials expire on the resource clock.
      const { account, caller } = await authenticate(
        request.signed,
        this.deps.store,
        { verifySignatures: this.deps.verifySignatures, now: this.deps.wallClock.now(), resourceNow: this.deps.clock.now(), reuseGuard: this.deps.reuseGuard },
        this.deps.defaultAccount,
      );
      log.account = account.uin;
      const { product, action, region } = route;

      if (!(await this.deps.throttle.take(account.uin, product.service, action, product.rateLimit(action)))) {
        const limit = this.deps.throttle.limitFor(action, product.rateLimit(action));
        throw apiError("RequestLimitExceeded", {
          en: `Requests to ${action} exceeded the limit of ${limit} per second for this account.`,
          zh: `${action} 请求的次数超过了频率限制：每个账号每秒最多 ${limit} 次。`,
        });
      }
      const handler = own(product.handlers, action);
      if (!handler) {
        throw apiError("UnsupportedOperation", {
          en: `tclocal does not implement ${product.service} ${action} yet.`,
          zh: `tclocal 尚未实现 ${product.service} ${action}。`,
        });
      }
      const params = this.parseParams(product, action, request.params);
      this.validator(product).validate(action, params);

      const dryRun = params["DryRun"] === true && actionHasField(product.model, action, "DryRun");
      // Writers of one account and region run one at a time, on every node: each decides from the state
      // the one before it left.
      const mode = product.readsOnly(action) ? "read" : "write";
      const data = await this.deps.store.transaction(
        async (sql) => {
          const result = await handler({ requestId, account, caller, region, language, clock: this.deps.clock, sql }, params);
          if (dryRun) throw new DryRunRollback();
          return result;
        },
        { mode, lockKey: `${account.uin}/${region}` },
      );
      return { requestId, body: successBody(requestId, data), headers, log };
    } catch (caught) {
      let error: ApiError;
      if (caught instanceof ApiError) error = caught;
      else if (caught instanceof DryRunRollback) error = apiError("DryRunOperation", { en: "The request would have succeeded, but DryRun was set: nothing was changed.", zh: "DryRun 操作，请求将会是成功的，未做任何修改。" });
      else {
        error = apiError("InternalError", { en: `An internal error occurred. Quote RequestId ${requestId} when reporting it.`, zh: `内部错误，请提供 RequestId ${requestId}。` });
        log.error = caught;
      }
      log.code = error.code;
      return { requestId, body: errorBody(requestId, error.code, error.messageIn(language)), headers, log };
    }
  }

  private parseParams(product: Product, action: string, params: ApiParams): Record<string, unknown> {
    if (params.kind === "flat") return unflatten(product.model, own(product.model.actions, action)!.request, params.pairs);
    const text = params.body.toString("utf8").trim();
    if (text === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw apiError("InvalidParameter", {
        en: `The request body is not valid JSON: ${(e as Error).message.slice(0, 200)}`,
        zh: `请求 body 不是合法的 JSON：${(e as Error).message.slice(0, 200)}`,
      });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      const given = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
      throw apiError("InvalidParameter", {
        en: `The request body must be a JSON object, but ${given} was given.`,
        zh: `请求 body 必须是 JSON 对象，实际传入 ${given}。`,
      });
    }
    return parsed as Record<string, unknown>;
  }

  private validator(product: Product): ModelValidator {
    let v = this.validators.get(product);
    if (!v) {
      v = new ModelValidator(product.model);
      this.validators.set(product, v);
    }
    return v;
  }
}
