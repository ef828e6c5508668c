// The HTTP listener: reads each request (bounded), hands API requests to the gateway pipeline and
// /_tclocal/ requests to the admin endpoints, and writes the answer. Nothing here knows a product.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { handleAdmin } from "./admin.js";
import { DEFAULT_ACCOUNT } from "./auth/keys.js";
import { ControllableClock, systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import { Gateway } from "./gateway/pipeline.js";
import type { Product } from "./gateway/product.js";
import type { RawRequest } from "./gateway/raw-request.js";
import { splitTarget } from "./gateway/raw-request.js";
import { SIZE_LIMITS } from "./gateway/shape.js";
import { Throttle } from "./gateway/throttle.js";
import { createLogger, type Logger } from "./log.js";
import { errorBody, sendJson } from "./protocol/envelope.js";
import { createCvm } from "./products/cvm/index.js";
import type { Account } from "./store/accounts.js";
import { openStore, type Store } from "./store/store.js";

/** The largest request head (request line and headers) accepted. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** A client that has not sent its whole request by then is dropped. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Past the largest body limit, a body is read and discarded up to this size, so that the client can read its answer. */
const DRAIN_LIMIT = SIZE_LIMITS.tc3Post * 4;

export interface ServerOptions extends Config {
  /** Overrides for tests: the products served, the clocks, the log destination. */
  products?: readonly Product[];
  wallClock?: Clock;
  clock?: ControllableClock;
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  clock: ControllableClock;
  defaultAccount: Account;
  close(): Promise<void>;
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > DRAIN_LIMIT) {
      resolve({ body: Buffer.alloc(0), truncated: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        req.destroy();
        return;
      }
      if (size > limit) {
        truncated = true;
        chunks.length = 0;
      } else if (!truncated) chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: truncated ? Buffer.alloc(0) : Buffer.concat(chunks), truncated }));
    req.on("error", reject);
  });
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const wallClock = options.wallClock ?? systemClock;
  const clock = options.clock ?? new ControllableClock();
  const products = options.products ?? [createCvm({ timing: options.timing, instanceQuota: options.instanceQuota })];
  const store = openStore({ dataDir: options.dataDir, inMemory: options.inMemory }, products.flatMap((p) => p.migrations));

  const ensureDefaultAccount = (): Account =>
    store.transaction(() => {
      const now = wallClock.now();
      const account = store.accounts.ensureAccount(DEFAULT_ACCOUNT, now);
      store.accounts.putCredential({ secretId: options.secretId, secretKey: options.secretKey, accountUin: account.uin }, now);
      return account;
    });
  const defaultAccount = ensureDefaultAccount();

  const gateway = new Gateway({
    products,
    store,
    clock,
    wallClock,
    throttle: new Throttle(options.throttle, wallClock),
    verifySignatures: options.verifySignatures,
    defaultAccount,
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const target = splitTarget(req.url ?? "/");
    const { body, truncated } = await readBody(req, SIZE_LIMITS.tc3Post);
    if (truncated) res.setHeader("Connection", "close");

    if (target.path.startsWith("/_tclocal/")) {
      const answer = handleAdmin(req, target.path, body, { products, store, wallClock, clock, defaultAccount, ensureDefaultAccount });
      sendJson(res, answer.body, {}, answer.status);
      return;
    }

    const raw: RawRequest = {
      method: req.method ?? "",
      target: req.url ?? "/",
      headers: headerRecord(req),
      body,
      bodyTruncated: truncated,
      remoteAddress: req.socket.remoteAddress ?? "",
    };
    const answer = gateway.handle(raw);
    sendJson(res, answer.body, answer.headers);
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = { requestId: answer.requestId, ...answer.log, latencyMs: Math.round(latencyMs * 1000) / 1000 };
    if (answer.log.error !== undefined) logger.error({ ...line, error: answer.log.error }, "request failed");
    else logger.info(line, "request");
  }

  const server: Server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
    (req, res) => {
      onRequest(req, res).catch((error: unknown) => {
        const requestId = randomUUID();
        logger.error({ requestId, error }, "request failed outside the gateway");
        if (!res.headersSent) sendJson(res, errorBody(requestId, "InternalError", `An internal error occurred. Quote RequestId ${requestId} when reporting it.`), { "X-TC-RequestId": requestId });
        else res.destroy();
      });
    },
  );
  // A request the HTTP parser rejects (oversized head, garbage) still gets an envelope when the socket allows.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const code = error.code === "HPE_HEADER_OVERFLOW" ? "RequestSizeLimitExceeded" : "InvalidRequest";
    const message = code === "RequestSizeLimitExceeded" ? `The request head is larger than ${MAX_HEADER_BYTES} bytes.` : "The HTTP request is malformed.";
    const payload = JSON.stringify(errorBody(requestId, code, message));
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nX-TC-RequestId: ${requestId}\r\nConnection: close\r\n\r\n${payload}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    store,
    clock,
    defaultAccount,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
