// `tclocal/testing`: tclocal inside a user's own tests. One call starts a real server in this process, on
// a free port, with in-memory state; the handle gives what an official SDK client needs, and resets,
// moves the clock and stops. It works from any test runner (vitest, jest, node:test): it is plain async
// functions, with no runner hooks of its own.
import { callAdmin, type AdminCredentials } from "./admin-client.js";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { loadConfig } from "./config.js";
import type { Language } from "./protocol/errors.js";
import { startServer, type RunningServer, type ServerOptions } from "./server.js";

export interface StartTclocalOptions {
  /** How long transitions take: "instant", "fast" (about 1–2 s, the default) or "realistic". */
  timing?: "instant" | "fast" | "realistic";
  /** "off", or overrides such as "DescribeZones=5,*=100"; default: the documented per-action limits. */
  rateLimits?: string;
  /** Accept unsigned requests (the SecretId alone picks the account). Default false: signatures are verified. */
  skipSignatureCheck?: boolean;
  /** "allow" (default, as the real service) or "refuse" (see the README). */
  signatureReuse?: "allow" | "refuse";
  /** Instances each account may hold per zone and charge type (default 500). */
  instanceQuota?: number;
  /** The default account's key pair (default: the public development key). */
  secretId?: string;
  secretKey?: string;
  /** The region of clientConfig() unless it is given one (default ap-guangzhou). */
  region?: string;
  /** Default "silent"; "info" logs one JSON line per request to stdout. */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** Server options past the ones above (tclocal's own tests use them), applied last. */
  serverOptions?: Partial<ServerOptions>;
}

/** What an official SDK client's constructor takes, e.g. `new cvm.v20170312.Client(tclocal.clientConfig())`. */
export interface SdkClientConfig {
  credential: { secretId: string; secretKey: string; token?: string };
  region: string;
  profile: {
    language?: Language;
    signMethod?: SignMethod;
    httpProfile: { endpoint: string; protocol: string; reqMethod?: "POST" | "GET"; headers?: Record<string, string> };
  };
}

export type SignMethod = "TC3-HMAC-SHA256" | "HmacSHA256" | "HmacSHA1";

export interface ClientConfigOptions {
  region?: string;
  /** Another key pair, e.g. one from createAccount(), or temporary credentials with their token. */
  credential?: { secretId: string; secretKey: string; token?: string };
  language?: Language;
  /** Default: the SDK's own (TC3-HMAC-SHA256, POST). */
  signMethod?: SignMethod;
  reqMethod?: "POST" | "GET";
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** The constructor options of an official SDK client for the tclocal at `address` (host:port). */
export function sdkClientConfig(address: string, defaults: { credential: { secretId: string; secretKey: string; token?: string }; region: string }, options: ClientConfigOptions = {}): SdkClientConfig {
  return {
    credential: { ...(options.credential ?? defaults.credential) },
    region: options.region ?? defaults.region,
    profile: {
      ...(options.language !== undefined ? { language: options.language } : {}),
      ...(options.signMethod !== undefined ? { signMethod: options.signMethod } : {}),
      httpProfile: {
        // The Node SDK joins protocol and endpoint as they are: the "://" is needed.
        endpoint: address,
        protocol: "http://",
        ...(options.reqMethod !== undefined ? { reqMethod: options.reqMethod } : {}),
        ...(options.headers !== undefined ? { headers: { ...options.headers } } : {}),
      },
    },
  };
}

export interface CreatedAccount {
  uin: string;
  appId: number;
  name: string;
  secretId: string;
  secretKey: string;
}

export interface ClockState {
  now: Date;
  frozen: boolean;
}

export interface TclocalClock {
  /** The resource clock's time and whether it is frozen. */
  state(): Promise<ClockState>;
  /** Stops the clock: transitions wait until it is advanced or unfrozen. */
  freeze(): Promise<ClockState>;
  unfreeze(): Promise<ClockState>;
  /** Moves the clock forward: transitions due by then have happened at the next read. */
  advance(seconds: number): Promise<ClockState>;
  /** Sets the clock to a time (a Date or an ISO 8601 string). */
  set(time: Date | string): Promise<ClockState>;
}

export interface Tclocal {
  /** e.g. http://127.0.0.1:38111 */
  endpoint: string;
  host: string;
  port: number;
  /** The default account's key pair. */
  credentials: { secretId: string; secretKey: string };
  region: string;
  /** Constructor options for an official SDK client (CVM, STS, …) pointed at this server. */
  clientConfig(options?: ClientConfigOptions): SdkClientConfig;
  /** Environment variables that point tclocal's CLI and wrappers (`tclocal admin`, `tclocal tccli`) at this server. */
  env: Record<string, string>;
  /** Deletes every account, key and resource, restores the default account and sets the clock back to real time, running. */
  reset(): Promise<void>;
  clock: TclocalClock;
  /** A new account with its own key pair. */
  createAccount(name?: string): Promise<CreatedAccount>;
  /** Stops the server; its state is gone. */
  stop(): Promise<void>;
  /** The running server, for what the handle does not cover. */
  server: RunningServer;
}

/** The options as tclocal's command-line flags, so that they are checked exactly as the command checks them. */
function asFlags(options: StartTclocalOptions): string[] {
  const flags = ["--in-memory", "--host", "127.0.0.1", "--port", "0", "--log-level", options.logLevel ?? "silent"];
  if (options.timing !== undefined) flags.push("--timing", options.timing);
  if (options.rateLimits !== undefined) flags.push("--rate-limits", options.rateLimits);
  if (options.skipSignatureCheck === true) flags.push("--skip-signature-check");
  if (options.signatureReuse !== undefined) flags.push("--signature-reuse", options.signatureReuse);
  if (options.instanceQuota !== undefined) flags.push("--instance-quota", String(options.instanceQuota));
  return flags;
}

export async function startTclocal(options: StartTclocalOptions = {}): Promise<Tclocal> {
  const credentials: AdminCredentials = { secretId: options.secretId ?? DEFAULT_SECRET_ID, secretKey: options.secretKey ?? DEFAULT_SECRET_KEY };
  let config;
  try {
    config = loadConfig(asFlags(options), { TCLOCAL_SECRET_ID: credentials.secretId, TCLOCAL_SECRET_KEY: credentials.secretKey });
  } catch (error) {
    throw new Error(`startTclocal: ${(error as Error).message}`);
  }
  if (typeof config === "string") throw new Error("startTclocal: unreachable"); // no --help or --version among the flags
  const server = await startServer({ ...config, ...options.serverOptions });
  const endpoint = server.url;
  const address = new URL(endpoint);
  const region = options.region ?? "ap-guangzhou";

  async function admin(method: "GET" | "POST", path: string, body?: object): Promise<Record<string, unknown>> {
    const response = await callAdmin(endpoint, method, path, body, credentials);
    if (response.Error !== undefined) throw new Error(`tclocal ${method} ${path}: ${response.Error.Code}: ${response.Error.Message}`);
    return response;
  }
  async function changeClock(change: { Freeze?: boolean; AdvanceSeconds?: number; Set?: string }): Promise<ClockState> {
    return clockState(await admin("POST", "/_tclocal/clock", change));
  }

  return {
    endpoint,
    host: address.hostname,
    port: server.port,
    credentials: { ...credentials },
    region,
    clientConfig: (clientOptions) => sdkClientConfig(address.host, { credential: credentials, region }, clientOptions),
    env: { TCLOCAL_ENDPOINT: endpoint, TCLOCAL_SECRET_ID: credentials.secretId, TCLOCAL_SECRET_KEY: credentials.secretKey },
    async reset() {
      await admin("POST", "/_tclocal/reset", {});
    },
    clock: {
      state: async () => clockState(await admin("GET", "/_tclocal/clock")),
      freeze: () => changeClock({ Freeze: true }),
      unfreeze: () => changeClock({ Freeze: false }),
      advance: (seconds) => changeClock({ AdvanceSeconds: seconds }),
      set: (time) => changeClock({ Set: time instanceof Date ? time.toISOString() : time }),
    },
    async createAccount(name) {
      const answer = await admin("POST", "/_tclocal/accounts", name === undefined ? {} : { Name: name });
      return { uin: String(answer.Uin), appId: Number(answer.AppId), name: String(answer.Name), secretId: String(answer.SecretId), secretKey: String(answer.SecretKey) };
    },
    stop: () => server.close(),
    server,
  };
}

function clockState(answer: Record<string, unknown>): ClockState {
  return { now: new Date(String(answer.Now)), frozen: answer.Frozen === true };
}
