// The HTTP listener: reads each request (bounded), hands API requests to the gateway pipeline and
// /_tclocal/ requests to the admin endpoints, and writes the answer. Nothing here knows a product.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { handleAdmin, isClockInRange } from "./admin.js";
import { loadClock } from "./clock-store.js";
import { SIGNATURE_WINDOW_SECONDS } from "./auth/authenticate.js";
import { DEFAULT_ACCOUNT, DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { SignatureReuseGuard } from "./auth/signature-reuse.js";
import { ControllableClock, systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import { Gateway } from "./gateway/pipeline.js";
import type { Product } from "./gateway/product.js";
import type { RawRequest } from "./gateway/raw-request.js";
import { splitTarget } from "./gateway/raw-request.js";
import { requestLanguage, SIZE_LIMITS } from "./gateway/shape.js";
import { Throttle } from "./gateway/throttle.js";
import { BodyBudget, type BodyHolder } from "./http/body-budget.js";
import { hostAllowed, isLoopbackAddress, sentByWebPage } from "./http/request-guard.js";
import { createLogger, type Logger } from "./log.js";
import { errorBody, sendJson } from "./protocol/envelope.js";
import { apiError } from "./protocol/errors.js";
import { createCvm } from "./products/cvm/index.js";
import { createSts } from "./products/sts/index.js";
import { AccountRepository, type Account } from "./store/accounts.js";
import { RateBucketRepository } from "./store/rate-buckets.js";
import { SignatureUseRepository } from "./store/signature-uses.js";
import { ACCOUNTS_LOCK, openStore, type Store } from "./store/store.js";

/** The largest request head (request line and headers) accepted. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** A client that has not sent its whole request by then is dropped. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long a socket that got a client-error answer stays open for the client to read it. */
const CLIENT_ERROR_LINGER_MS = 1_000;
/** Past the largest body limit, a body is read and discarded up to this size, so that the client can read its answer. */
const DRAIN_LIMIT = SIZE_LIMITS.tc3Post * 4;

export interface ServerOptions extends Config {
  /** Overrides for tests: the products served, the clocks, the log destination. */
  products?: readonly Product[];
  wallClock?: Clock;
  clock?: ControllableClock;
  logger?: Logger;
  /** How long a client may take to send a whole request (head and body) before it is dropped; default REQUEST_TIMEOUT_MS, 0 for no limit. */
  requestTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  clock: ControllableClock;
  defaultAccount: Account;
  /** The products served. */
  products: readonly Product[];
  close(): Promise<void>;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  // A plain object keeps V8's fast properties (a prototype-less one is a dictionary, and cost ~15% of
  // DescribeInstances throughput); so a header named `constructor` is told from Object.prototype's by an
  // own-property check, and one named `__proto__` is dropped (assigning a string to it does nothing).
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/** The body was dropped to keep the memory that unfinished bodies hold within its bound. */
class BodyDropped extends Error {}

interface ReadBody {
  body: Buffer;
  truncated: boolean;
  /** Gives the body's bytes back to the budget, once the request has been answered. */
  release(): void;
}

/** Reads a body up to `limit` bytes (past it, drains and discards), counting the bytes kept against `budget`. */
function readBody(req: IncomingMessage, limit: number, budget: BodyBudget): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > DRAIN_LIMIT) {
      resolve({ body: Buffer.alloc(0), truncated: true, release: () => {} });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let settled = false;
    const holder: BodyHolder = { evict: () => stop(new BodyDropped()) };
    const stop = (error: Error): void => {
      if (settled) return;
      settled = true;
      // Read no more of it: the rest waits in the kernel (TCP backpressure) until the connection is dropped.
      req.pause();
      req.removeListener("data", onData);
      chunks.length = 0;
      budget.release(holder);
      reject(error);
    };
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        // Not worth draining: cut the connection. Settle the promise too (destroy() emits neither `end` nor
        // `error`, which left one pending promise, and its request, behind for every such body).
        req.destroy();
        stop(new Error(`the request body is larger than ${DRAIN_LIMIT} bytes`));
        return;
      }
      if (size > limit) {
        truncated = true;
        chunks.length = 0;
        budget.release(holder);
      } else if (!truncated) {
        if (!budget.take(holder, chunk.length)) {
          stop(new BodyDropped());
          return;
        }
        chunks.push(chunk);
      }
    }
    req.on("data", onData);
    req.on("end", () => {
      if (settled) return;
      settled = true;
      resolve({ body: truncated ? Buffer.alloc(0) : Buffer.concat(chunks), truncated, release: () => budget.release(holder) });
    });
    req.on("error", stop);
    req.on("close", () => stop(new Error("the connection closed before the body was complete")));
  });
}

/** What start-up must say when tclocal listens beyond loopback: who can then use it. */
export function exposureWarnings(options: Pick<Config, "host" | "secretKey" | "adminToken">): string[] {
  if (isLoopbackAddress(options.host)) return [];
  const warnings = [
    `tclocal listens on ${options.host}, not on loopback: every machine that can reach this port can call its API${options.adminToken === undefined ? "" : " and, with the admin token, its admin endpoints"}.`,
  ];
  if (options.secretKey === DEFAULT_SECRET_KEY) {
    warnings.push(
      "The default account uses the public development key pair: anyone who can reach this port can use the default account and its admin endpoints (reset, clock, accounts). Set TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY to a private key pair, or listen on 127.0.0.1.",
    );
  }
  return warnings;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const wallClock = options.wallClock ?? systemClock;
  const clock = options.clock ?? new ControllableClock();
  const products = options.products ?? [createCvm({ timing: options.timing, instanceQuota: options.instanceQuota }), createSts()];
  const store = await openStore({ dataDir: options.dataDir, inMemory: options.inMemory, databaseUrl: options.databaseUrl }, products.flatMap((p) => p.migrations));
  for (const warning of store.warnings) logger.warn({ dataDir: options.dataDir }, warning);
  const savedClock = await store.read((sql) => loadClock(sql, clock, true));
  if (!isClockInRange(clock.now())) {
    // Saved by an older tclocal that took any value: an instant outside 1970–9999 would break every answer.
    logger.warn({ clock: savedClock }, "the saved resource clock was outside years 1970-9999; it follows real time again");
    clock.reset();
  }

  const ensureDefaultAccount = (): Promise<Account> =>
    store.transaction(
      async (sql) => {
        const now = wallClock.now();
        const accounts = new AccountRepository(sql);
        const account = await accounts.ensureAccount(DEFAULT_ACCOUNT, now);
        await accounts.putCredential({ secretId: options.secretId, secretKey: options.secretKey, accountUin: account.uin }, now);
        return account;
      },
      { mode: "write", lockKey: ACCOUNTS_LOCK },
    );
  const defaultAccount = await ensureDefaultAccount();

  const gateway = new Gateway({
    products,
    store,
    clock,
    wallClock,
    throttle: new Throttle(
      options.throttle,
      wallClock,
      store.shared ? (key, rate, now) => store.read((sql) => new RateBucketRepository(sql).take(key, rate, now)) : undefined,
    ),
    ...(store.shared ? { syncClock: () => store.read((sql) => loadClock(sql, clock)) } : {}),
    verifySignatures: options.verifySignatures,
    ...(options.signatureReuse === "refuse"
      ? {
          reuseGuard: new SignatureReuseGuard(
            SIGNATURE_WINDOW_SECONDS,
            store.shared ? (signature, use, expiresAt, now) => store.read((sql) => new SignatureUseRepository(sql).firstUse(signature, use, expiresAt, now)) : undefined,
          ),
        }
      : {}),
    defaultAccount,
  });

  const bodyBudget = new BodyBudget(options.bodyMemoryLimit);
  const adminKey = { secretId: options.secretId, secretKey: options.secretKey, bearerToken: options.adminToken };
  const hostPolicy = { allowedHosts: options.allowedHosts };

  /** The refusal of a request that a web page sent, or that names a Host tclocal does not answer to; undefined when neither. */
  function refusal(raw: RawRequest): { requestId: string; body: object } | undefined {
    const host = raw.headers["host"];
    let reason: { en: string; zh: string } | undefined;
    if (!hostAllowed(host, hostPolicy)) {
      const shown = (host ?? "").slice(0, 128);
      reason = {
        en: `The Host \`${shown}\` is not one tclocal answers to (a web page may have pointed its own name at this address). tclocal answers IP addresses, localhost, *.tencentcloudapi.com and the names given with --allowed-hosts; start it with --allowed-hosts to add this one.`,
        zh: `tclocal 不响应 Host \`${shown}\`（可能是网页把自己的域名解析到了本地址）。tclocal 只响应 IP 地址、localhost、*.tencentcloudapi.com 以及 --allowed-hosts 指定的域名；如需放行，请用 --allowed-hosts 启动。`,
      };
    } else if (sentByWebPage(raw.headers)) {
      reason = {
        en: "The request carries Origin or Sec-Fetch-Site: a web browser sent it for a page. tclocal answers no web page: call it from an SDK, tccli or Terraform.",
        zh: "请求带有 Origin 或 Sec-Fetch-Site 头部，说明是浏览器代网页发出的。tclocal 不响应网页请求，请使用 SDK、tccli 或 Terraform 调用。",
      };
    }
    if (reason === undefined) return undefined;
    const requestId = randomUUID();
    return { requestId, body: errorBody(requestId, "UnauthorizedOperation", apiError("UnauthorizedOperation", reason).messageIn(requestLanguage(raw))) };
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const target = splitTarget(req.url ?? "/");
    const headers = headerRecord(req);
    const refused = refusal({ method: req.method ?? "", target: req.url ?? "/", headers, body: Buffer.alloc(0), bodyTruncated: false, remoteAddress: req.socket.remoteAddress ?? "" });
    if (refused) {
      // Answered before the body is read: a refused request holds no memory.
      sendJson(res, refused.body, { "X-TC-RequestId": refused.requestId, Connection: "close" });
      logger.warn({ requestId: refused.requestId, host: headers["host"]?.slice(0, 128), origin: headers["origin"]?.slice(0, 128), path: target.path.slice(0, 128), code: "UnauthorizedOperation" }, "request refused: foreign Host or web page");
      return;
    }
    let read: ReadBody;
    try {
      read = await readBody(req, SIZE_LIMITS.tc3Post, bodyBudget);
    } catch (error) {
      if (error instanceof BodyDropped && !res.headersSent && res.writable) {
        const requestId = randomUUID();
        const message = apiError("ServiceUnavailable", {
          en: `tclocal holds ${options.bodyMemoryLimit} bytes of unfinished request bodies at most (--body-memory-limit), and this body did not fit: send it again.`,
          zh: `tclocal 最多缓存 ${options.bodyMemoryLimit} 字节未接收完的请求 body（--body-memory-limit），本请求的 body 未能放下，请重新发送。`,
        }).messageIn(requestLanguage({ method: req.method ?? "", target: req.url ?? "/", headers, body: Buffer.alloc(0), bodyTruncated: false, remoteAddress: "" }));
        sendJson(res, errorBody(requestId, "ServiceUnavailable", message), { "X-TC-RequestId": requestId, Connection: "close" });
        logger.warn({ requestId, path: target.path.slice(0, 128), code: "ServiceUnavailable", heldBytes: bodyBudget.heldBytes }, "request body dropped: body memory limit");
        // The client may still be sending: give it a moment to read the answer, then drop the connection.
        setTimeout(() => req.socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
      }
      // Otherwise the client closed the connection mid-body, or sent a body past DRAIN_LIMIT (the connection
      // is cut): there is nobody left to answer, and it is not a server failure.
      return;
    }
    try {
      await answer(req, res, target, headers, read, started);
    } finally {
      read.release();
    }
  }

  async function answer(req: IncomingMessage, res: ServerResponse, target: ReturnType<typeof splitTarget>, headers: Record<string, string>, read: ReadBody, started: bigint): Promise<void> {
    const { body, truncated } = read;
    if (truncated) res.setHeader("Connection", "close");

    if (target.path.startsWith("/_tclocal/")) {
      const call = { method: req.method ?? "", path: target.path, rawQuery: target.rawQuery, headers, body, bodyTruncated: truncated, language: requestLanguage({ method: req.method ?? "", target: req.url ?? "/", headers, body, bodyTruncated: truncated, remoteAddress: "" }) };
      const answer = await handleAdmin(call, { products, store, wallClock, clock, ensureDefaultAccount, adminKey });
      sendJson(res, answer.body, { "X-TC-RequestId": answer.requestId });
      // One line per admin call: the endpoint and who called (a SecretId or "bearer token"), never a secret.
      logger.info({ requestId: answer.requestId, admin: answer.log.endpoint, caller: answer.log.caller, code: answer.log.code }, "admin");
      return;
    }

    const raw: RawRequest = {
      method: req.method ?? "",
      target: req.url ?? "/",
      headers,
      body,
      bodyTruncated: truncated,
      remoteAddress: req.socket.remoteAddress ?? "",
    };
    const answer = await gateway.handle(raw);
    sendJson(res, answer.body, answer.headers);
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = { requestId: answer.requestId, ...answer.log, latencyMs: Math.round(latencyMs * 1000) / 1000 };
    if (answer.log.error !== undefined) logger.error({ ...line, error: answer.log.error }, "request failed");
    else logger.info(line, "request");
  }

  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server: Server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node answers an HTTP/1.1 request without Host with a bare 400; the API answers everything with an
      // envelope (the Host only takes part in the signature, §1), so let the request through.
      requireHostHeader: false,
      // Node checks the timeouts only this often (its default is 30 s): check often enough for a short timeout to hold.
      connectionsCheckingInterval: requestTimeoutMs > 0 ? Math.max(10, Math.min(30_000, Math.floor(requestTimeoutMs / 4))) : 30_000,
    },
    (req, res) => {
      onRequest(req, res).catch((error: unknown) => {
        const requestId = randomUUID();
        logger.error({ requestId, error }, "request failed outside the gateway");
        const message = req.headers["x-tc-language"] === "zh-CN" ? `内部错误，请提供 RequestId ${requestId}。` : `An internal error occurred. Quote RequestId ${requestId} when reporting it.`;
        if (!res.headersSent) sendJson(res, errorBody(requestId, "InternalError", message), { "X-TC-RequestId": requestId });
        else res.destroy();
      });
    },
  );
  // An `Expect` other than 100-continue: Node would answer a bare 417. Serve the request as if it had none.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => server.emit("request", req, res));
  // CONNECT never reaches the request handler (Node drops the socket unanswered): answer it through the
  // gateway like any other method the API refuses (UnsupportedProtocol), then close.
  server.on("connect", (req: IncomingMessage, socket: Socket) => {
    answerConnect(req, socket).catch(() => socket.destroy());
  });
  async function answerConnect(req: IncomingMessage, socket: Socket): Promise<void> {
    const answer = await gateway.handle({
      method: req.method ?? "CONNECT",
      target: req.url ?? "/",
      headers: headerRecord(req),
      body: Buffer.alloc(0),
      bodyTruncated: false,
      remoteAddress: socket.remoteAddress ?? "",
    });
    const payload = Buffer.from(JSON.stringify(answer.body), "utf8");
    const head = Object.entries({ "Content-Type": "application/json", "Content-Length": String(payload.length), ...answer.headers, Connection: "close" })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.on("error", () => socket.destroy());
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${head}\r\n`, "latin1"), payload]));
    const linger = setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS);
    linger.unref();
    socket.once("close", () => clearTimeout(linger));
    logger.info({ requestId: answer.requestId, ...answer.log }, "request");
  }
  // A request the HTTP parser rejects (oversized head, garbage) still gets an envelope when the socket allows.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const code = error.code === "HPE_HEADER_OVERFLOW" ? "RequestSizeLimitExceeded" : "InvalidRequest";
    const message =
      code === "RequestSizeLimitExceeded"
        ? `The request head is larger than ${MAX_HEADER_BYTES} bytes.`
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? `The request was not received in full within ${requestTimeoutMs} ms.`
          : "The HTTP request is malformed.";
    const payload = JSON.stringify(errorBody(requestId, code, message));
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nX-TC-RequestId: ${requestId}\r\nConnection: close\r\n\r\n${payload}`,
    );
    // end() only half-closes (HTTP sockets allow half-open): a client that never closes its side would hold the
    // socket for ever. Give it a moment to read the answer, then drop it.
    const linger = setTimeout(() => socket.destroy(), requestTimeoutMs > 0 ? Math.min(CLIENT_ERROR_LINGER_MS, requestTimeoutMs) : CLIENT_ERROR_LINGER_MS);
    linger.unref();
    socket.once("close", () => clearTimeout(linger));
  });

  server.maxConnections = options.maxConnections;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    // The port is taken, say: give the data dir back, so that a caller that goes on can open it again.
    await store.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  for (const warning of exposureWarnings(options)) logger.warn({ host: options.host, port }, warning);
  const hostForUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    store,
    clock,
    defaultAccount,
    products,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          store.close().then(resolve, resolve);
        });
        server.closeAllConnections();
      }),
  };
}
