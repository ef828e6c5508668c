// Starts the real tclocal server in-process on a free port, and makes official SDK clients for it.
import { request } from "node:http";
import * as tencentcloud from "tencentcloud-sdk-nodejs-cvm";
import * as tencentcloudSts from "tencentcloud-sdk-nodejs-sts";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { callAdmin, type AdminResponse } from "../../src/admin-client.js";
import type { RunningServer, ServerOptions } from "../../src/server.js";
import { sdkClientConfig, startTclocal } from "../../src/testing.js";

export const CvmClient = tencentcloud.cvm.v20170312.Client;
export type CvmClientType = InstanceType<typeof CvmClient>;
export const StsClient = tencentcloudSts.sts.v20180813.Client;
export type StsClientType = InstanceType<typeof StsClient>;

/** The official SDK's signer (a CommonJS default export). */
export const Sign = (createRequire(import.meta.url)("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js") as { default: SignClass }).default;

/** The Sign class: under NodeNext a CommonJS module is typed as `{ default: module.exports }`. */
type SignClass = (typeof import("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js"))["default"];

export type TestServer = RunningServer;

/** What a client needs of a server: its port on 127.0.0.1 (an in-process server, or a node in another process). */
export type Reachable = Pick<RunningServer, "port">;

/**
 * The engine this test run stores with: the vitest project "postgres" sets TCLOCAL_TEST_ENGINE=postgres
 * (vitest.config.ts), and its servers each get a new database on the run's PostgreSQL server.
 */
export const TEST_ENGINE: "sqlite" | "postgres" = process.env["TCLOCAL_TEST_ENGINE"] === "postgres" ? "postgres" : "sqlite";

/**
 * The server of `tclocal/testing` (in memory, a free port, silent), with rate limits off and `overrides`
 * applied last. Under the postgres engine it keeps its state in a new PostgreSQL database instead, unless
 * the overrides name a data dir (a test of SQLite's own files).
 */
export async function startTestServer(overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const onPostgres = TEST_ENGINE === "postgres" && overrides.inMemory !== false && overrides.databaseUrl === undefined;
  // Imported here: it reads vitest's state, which the CLIs built on these helpers (fuzz, crash) do not have.
  const serverOptions = onPostgres ? { ...overrides, inMemory: false, databaseUrl: await (await import("./postgres.js")).testDatabaseUrl() } : overrides;
  return (await startTclocal({ rateLimits: "off", serverOptions })).server;
}

export interface ClientOptions {
  signMethod?: "TC3-HMAC-SHA256" | "HmacSHA256" | "HmacSHA1";
  reqMethod?: "POST" | "GET";
  secretId?: string;
  secretKey?: string;
  token?: string;
  region?: string;
  language?: "zh-CN" | "en-US";
  /** Extra request headers (httpProfile.headers), e.g. X-TC-TraceId. */
  headers?: Record<string, string>;
}

/** The constructor options of an official SDK client pointed at the server, signing as `options` says. */
function clientConfig(server: Reachable, options: ClientOptions) {
  const { secretId = DEFAULT_SECRET_ID, secretKey = DEFAULT_SECRET_KEY, token, region = "ap-guangzhou", signMethod = "TC3-HMAC-SHA256", reqMethod = "POST", ...rest } = options;
  return sdkClientConfig(`127.0.0.1:${server.port}`, { credential: { secretId, secretKey }, region }, { ...rest, credential: { secretId, secretKey, ...(token !== undefined ? { token } : {}) }, signMethod, reqMethod });
}

export function cvmClient(server: Reachable, options: ClientOptions = {}): CvmClientType {
  return new CvmClient(clientConfig(server, options));
}

/** The official STS client (sts.v20180813.Client) pointed at the server, signing as `options` says. */
export function stsClient(server: Reachable, options: ClientOptions = {}): StsClientType {
  return new StsClient(clientConfig(server, options));
}

/** Temporary credentials as GetFederationToken answers them. */
export interface FederationToken {
  TmpSecretId: string;
  TmpSecretKey: string;
  Token: string;
  ExpiredTime: number;
  Expiration: string;
}

/** An allow-everything CAM policy, URL-encoded as GetFederationToken's Policy must be. */
export const ALLOW_ALL_POLICY = encodeURIComponent(JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] }));

/**
 * Temporary credentials from GetFederationToken, called through the official STS client with a permanent
 * key (the default one unless `options` names another); fails unless all documented fields came back.
 */
export async function mintFederationToken(
  server: TestServer,
  request: { Name?: string; Policy?: string; DurationSeconds?: number } = {},
  options: ClientOptions = {},
): Promise<FederationToken> {
  const answer = await stsClient(server, options).GetFederationToken({ Name: "tclocal-test", Policy: ALLOW_ALL_POLICY, ...request });
  const c = answer.Credentials;
  if (!c?.TmpSecretId || !c.TmpSecretKey || !c.Token || typeof answer.ExpiredTime !== "number" || typeof answer.Expiration !== "string") {
    throw new Error(`GetFederationToken answered ${JSON.stringify(answer)}`);
  }
  return { TmpSecretId: c.TmpSecretId, TmpSecretKey: c.TmpSecretKey, Token: c.Token, ExpiredTime: answer.ExpiredTime, Expiration: answer.Expiration };
}

/** What the SDK throws for an API error. */
export interface SdkError {
  code?: string;
  message: string;
  requestId?: string;
  traceId?: string;
}

/** Runs an SDK call that must fail, and returns the error it threw. */
export async function sdkError(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error("the call was expected to fail, but it succeeded");
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: { Response: Record<string, unknown> & { RequestId: string; Error?: { Code: string; Message: string } } };
}

/** One raw HTTP request, for the shapes the SDK cannot produce. `target` may be absolute-form. */
export function rawRequest(
  server: Reachable,
  options: { method?: string; target?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: server.port, method: options.method ?? "POST", path: options.target ?? "/", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: RawResponse["json"];
          try {
            json = JSON.parse(text) as RawResponse["json"];
          } catch {
            json = { Response: { RequestId: "", Error: { Code: "(not JSON)", Message: text } } };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface Tc3RawOptions {
  /** HTTP method; default POST. */
  method?: string;
  /** X-TC-Action; null leaves the header out. */
  action: string | null;
  /** X-TC-Version; default 2017-03-12, null leaves the header out. */
  version?: string | null;
  /** X-TC-Region; default ap-guangzhou, null leaves the header out. */
  region?: string | null;
  /** The body sent (POST). */
  body?: string | Buffer;
  /** The raw query string, sent and signed exactly as given (GET). */
  query?: string;
  /** The request target; default `/` plus `?query`. May be absolute-form. */
  target?: string;
  /** The URL handed to the signer (its hostname is the signed host); default http://127.0.0.1:PORT/ plus `?query`. */
  signUrl?: string;
  /** The bytes the signer hashes, when they differ from the body sent. */
  signedPayload?: string | Buffer;
  secretId?: string;
  secretKey?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** The credential-scope service; default cvm. */
  service?: string;
  /** Content-Type sent and signed; default application/json (POST) or application/x-www-form-urlencoded (GET); null sends none. */
  contentType?: string | null;
  /** Extra headers, applied last (they can replace Authorization or Host). */
  headers?: Record<string, string>;
  /** Rewrites the Authorization header the signer produced. */
  transformAuthorization?: (authorization: string) => string;
}

/** Any TC3 request, signed by the official SDK signer and sent raw. */
export function signedTc3Request(server: TestServer, options: Tc3RawOptions): Promise<RawResponse> {
  const method = options.method ?? "POST";
  const query = options.query ?? "";
  const suffix = query === "" ? "" : `?${query}`;
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const contentType =
    options.contentType === undefined ? (method === "GET" ? "application/x-www-form-urlencoded" : "application/json") : options.contentType;
  const signedPayload = Buffer.from(options.signedPayload ?? body ?? "");
  let authorization = Sign.sign3({
    method: method === "GET" ? "GET" : "POST",
    url: options.signUrl ?? `http://127.0.0.1:${server.port}/${suffix}`,
    payload: signedPayload,
    timestamp,
    service: options.service ?? "cvm",
    secretId: options.secretId ?? DEFAULT_SECRET_ID,
    secretKey: options.secretKey ?? DEFAULT_SECRET_KEY,
    multipart: false,
    boundary: "",
    headers: contentType === null ? {} : { "Content-Type": contentType },
  });
  if (options.transformAuthorization) authorization = options.transformAuthorization(authorization);
  const headers: Record<string, string> = { Authorization: authorization, "X-TC-Timestamp": String(timestamp) };
  // Node sends no length for a DELETE body by default: the server would read the body as the next request.
  if (body !== undefined) headers["Content-Length"] = String(body.length);
  if (contentType !== null) headers["Content-Type"] = contentType;
  if (options.action !== null) headers["X-TC-Action"] = options.action;
  const version = options.version === undefined ? "2017-03-12" : options.version;
  if (version !== null) headers["X-TC-Version"] = version;
  const region = options.region === undefined ? "ap-guangzhou" : options.region;
  if (region !== null) headers["X-TC-Region"] = region;
  return rawRequest(server, {
    method,
    target: options.target ?? `/${suffix}`,
    headers: { ...headers, ...options.headers },
    ...(body !== undefined ? { body } : {}),
  });
}

/**
 * A call to a /_tclocal/ admin endpoint, signed with the default development key as `tclocal admin` signs
 * it: the answer's Response (an Error in it included). Fails unless the answer was HTTP 200 with an envelope.
 */
export function adminRequest(server: Reachable, method: string, path: string, body?: unknown): Promise<AdminResponse> {
  return callAdmin(`http://127.0.0.1:${server.port}`, method, path, body);
}

/** A new account with its own permanent key, made through POST /_tclocal/accounts. */
export async function createAccount(server: Reachable, name?: string): Promise<{ SecretId: string; SecretKey: string; Uin: string }> {
  const response = await adminRequest(server, "POST", "/_tclocal/accounts", name === undefined ? {} : { Name: name });
  const { SecretId, SecretKey, Uin } = response;
  if (response.Error !== undefined || typeof SecretId !== "string" || typeof SecretKey !== "string" || typeof Uin !== "string") {
    throw new Error(`POST /_tclocal/accounts answered ${JSON.stringify(response)}`);
  }
  return { SecretId, SecretKey, Uin };
}

/** A RequestId as the real service writes it: a lowercase UUID. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts the envelope rules every API answer follows, and returns the error (if any). */
export function envelopeOf(response: RawResponse): { requestId: string; error: { Code: string; Message: string } | undefined } {
  if (response.status !== 200) throw new Error(`HTTP ${response.status}, expected 200: ${response.text.slice(0, 200)}`);
  if (response.headers["content-type"] !== "application/json") {
    throw new Error(`content-type ${String(response.headers["content-type"])}, expected exactly application/json`);
  }
  const requestId = response.json.Response.RequestId;
  if (typeof requestId !== "string" || !UUID_RE.test(requestId)) throw new Error(`RequestId ${String(requestId)} is not a UUID`);
  if (response.headers["x-tc-requestid"] !== requestId) {
    throw new Error(`x-tc-requestid ${String(response.headers["x-tc-requestid"])} differs from the body's RequestId ${requestId}`);
  }
  return { requestId, error: response.json.Response.Error };
}

/** The error an API answer carries; fails when the envelope rules are broken or the call succeeded. */
export function errorOf(response: RawResponse): { Code: string; Message: string } {
  const { error } = envelopeOf(response);
  if (!error) throw new Error(`expected an error, got ${response.text.slice(0, 300)}`);
  return error;
}

/** The error code an API answer carries (see errorOf). */
export function codeOf(response: RawResponse): string {
  return errorOf(response).Code;
}

/** Asserts the envelope rules and success, and returns the answer's fields. */
export function okOf(response: RawResponse): Record<string, unknown> {
  const { error } = envelopeOf(response);
  if (error) throw new Error(`expected success, got ${error.Code}: ${error.Message.slice(0, 300)}`);
  return response.json.Response;
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The Authorization header the official signer makes for a CVM TC3 POST of `payload` (Content-Type
 * application/json) to 127.0.0.1 on the server's port, with the default key: for requests put together by hand.
 */
export function signTc3Post(server: Pick<TestServer, "port">, payload: string | Buffer, timestamp: number): string {
  return Sign.sign3({
    method: "POST",
    url: `http://127.0.0.1:${server.port}/`,
    payload: Buffer.from(payload),
    timestamp,
    service: "cvm",
    secretId: DEFAULT_SECRET_ID,
    secretKey: DEFAULT_SECRET_KEY,
    multipart: false,
    boundary: "",
    headers: { "Content-Type": "application/json" },
  });
}

/** A stream for `createLogger` that appends every complete line written to it to `lines`. */
export function logLines(lines: string[]): Writable {
  let partial = "";
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      partial += chunk.toString();
      let newline: number;
      while ((newline = partial.indexOf("\n")) >= 0) {
        lines.push(partial.slice(0, newline));
        partial = partial.slice(newline + 1);
      }
      callback();
    },
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
