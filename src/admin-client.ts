// A client for the /_tclocal/ admin endpoints: signs each request with TC3-HMAC-SHA256 for the service
// `tclocal` (the request path is the canonical URI), as src/auth/admin-auth.ts verifies it. Used by
// `tclocal admin …` and by tests.
import { request } from "node:http";
import { ADMIN_SERVICE } from "./auth/admin-auth.js";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { sha256Hex, TC3_ALGORITHM, tc3Compute } from "./protocol/tc3.js";

export interface AdminCredentials {
  secretId: string;
  secretKey: string;
}

/**
 * What an admin endpoint answered: the `Response` object of the API 3.0 envelope, that is the endpoint's
 * fields and RequestId on success, `Error` ({Code, Message}) and RequestId on failure.
 */
export type AdminResponse = Record<string, unknown> & { RequestId: string; Error?: { Code: string; Message: string } };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The envelope's Response, or undefined when `body` is not an API 3.0 envelope. */
function responseOf(body: unknown): AdminResponse | undefined {
  if (!isRecord(body) || !Object.hasOwn(body, "Response")) return undefined;
  const response = body.Response;
  if (!isRecord(response) || typeof response.RequestId !== "string") return undefined;
  const error = response.Error;
  if (error !== undefined && !(isRecord(error) && typeof error.Code === "string" && typeof error.Message === "string")) return undefined;
  return response as AdminResponse;
}

/** The headers that authenticate an admin request (Content-Type, Host, X-TC-Timestamp and Authorization). */
export function signAdminRequest(
  input: { method: string; host: string; path: string; body: string; timestampSeconds?: number },
  credentials: AdminCredentials = { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY },
): Record<string, string> {
  const timestamp = String(input.timestampSeconds ?? Math.floor(Date.now() / 1000));
  const date = new Date(Number(timestamp) * 1000).toISOString().slice(0, 10);
  const [path, query = ""] = input.path.split("?", 2) as [string, string?];
  const headers = { "content-type": "application/json", host: input.host };
  const { signature } = tc3Compute(
    {
      method: input.method,
      canonicalUri: path,
      canonicalQuery: query,
      headers,
      signedHeaders: "content-type;host",
      hashedPayload: sha256Hex(input.body),
      timestamp,
      date,
      service: ADMIN_SERVICE,
    },
    credentials.secretKey,
  );
  return {
    "Content-Type": "application/json",
    Host: input.host,
    "X-TC-Timestamp": timestamp,
    Authorization: `${TC3_ALGORITHM} Credential=${credentials.secretId}/${date}/${ADMIN_SERVICE}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
  };
}

/**
 * Calls an admin endpoint of the tclocal at `endpoint` (e.g. http://127.0.0.1:4577), signed with
 * `credentials`, and resolves to the answer's Response, an Error in it included. Rejects when the server
 * cannot be reached or does not answer HTTP 200 with an API 3.0 envelope (it is not tclocal).
 */
export function callAdmin(endpoint: string, method: string, path: string, body?: unknown, credentials?: AdminCredentials): Promise<AdminResponse> {
  const url = new URL(endpoint);
  const payload = body === undefined ? "" : JSON.stringify(body);
  const headers = signAdminRequest({ method, host: url.host, path, body: payload }, credentials);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port, method, path, headers: { ...headers, "Content-Length": String(Buffer.byteLength(payload)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const response = res.statusCode === 200 ? responseOf(parsed) : undefined;
        if (response === undefined) reject(new Error(`${method} ${path} answered HTTP ${res.statusCode} with a body that is not an API 3.0 envelope: ${text.slice(0, 200)}`));
        else resolve(response);
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}
