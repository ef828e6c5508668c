// The API 3.0 response envelope. Every answer, success or error, is HTTP 200 with exactly
// `Content-Type: application/json` (the Python SDK only parses errors under that exact value).
import type { ServerResponse } from "node:http";
import { serializeJsonChunks } from "./raw-json.js";

export interface ErrorBody {
  Response: { Error: { Code: string; Message: string }; RequestId: string };
}

export interface SuccessBody {
  Response: Record<string, unknown> & { RequestId: string };
}

export function successBody(requestId: string, data: object): SuccessBody {
  return { Response: { ...data, RequestId: requestId } };
}

export function errorBody(requestId: string, code: string, message: string): ErrorBody {
  return { Response: { Error: { Code: code, Message: message }, RequestId: requestId } };
}

export function sendJson(res: ServerResponse, body: object, extraHeaders: Record<string, string> = {}): void {
  const chunks = serializeJsonChunks(body);
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": String(length),
    ...extraHeaders,
  });
  if (chunks.length === 1) {
    res.end(chunks[0]);
    return;
  }
  // Corked, the chunks leave in one writev.
  res.cork();
  for (const chunk of chunks) res.write(chunk);
  res.end();
  res.uncork();
}
