// What a product (CVM, later VPC, CBS, …) registers with the gateway. The gateway knows products only
// through this interface.
import type { Caller } from "../auth/authenticate.js";
import type { Clock } from "../clock.js";
import type { Language } from "../protocol/errors.js";
import type { ApiModel } from "../protocol/model.js";
import type { Account } from "../store/accounts.js";
import type { Migration } from "../store/migrations.js";
import type { Sql } from "../store/sql.js";

export interface ActionContext {
  requestId: string;
  account: Account;
  /** The credential that signed the request (its SecretId, whether it is temporary, what it was issued for). */
  caller: Caller;
  /** The request's region; "" only for actions the product marks region-free. */
  region: string;
  language: Language;
  /** The resource clock (controllable). */
  clock: Clock;
  /** The request's transaction: repositories read and write through it. */
  sql: Sql;
}

export type ActionHandler = (ctx: ActionContext, params: Record<string, unknown>) => object | Promise<object>;

/** A handler typed with the official SDK's request and response types; RequestId is added by the envelope. */
export type TypedHandler<Req, Res> = (
  ctx: ActionContext,
  req: Req extends null ? Record<string, never> : Req,
) => Omit<Res, "RequestId"> | Promise<Omit<Res, "RequestId">>;

/**
 * Erases a handler's request type for the registry. Sound because the gateway validates every request
 * against the same official model the types come from before calling the handler.
 */
export function typedHandler<Req, Res>(handler: TypedHandler<Req, Res>): ActionHandler {
  return handler as unknown as ActionHandler;
}

/** The usual rule: Describe and Inquiry actions only read. */
export function readsOnlyByName(action: string): boolean {
  return action.startsWith("Describe") || action.startsWith("Inquiry");
}

export interface Product {
  /** The service name as it appears in domains and credential scopes: "cvm". */
  service: string;
  version: string;
  model: ApiModel;
  handlers: Record<string, ActionHandler>;
  isRegion(region: string): boolean;
  /** Actions that may be called without a Region. */
  regionFree: ReadonlySet<string>;
  /** Documented requests per second for an action. */
  rateLimit(action: string): number;
  /** The product's tables. */
  migrations: readonly Migration[];
  /**
   * Whether an action only reads: it then runs beside other requests of its account on engines that allow
   * it, and takes no writer's lock (its lazy transitions still land, idempotently).
   */
  readsOnly(action: string): boolean;
}
