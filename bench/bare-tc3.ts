// The floor a signed read is measured against (bench case `signed-read`): a bare node:http server that reads
// the body, verifies its TC3 signature with the key it knows (the same verifier tclocal uses) and answers one
// fixed DescribeInstancesStatus envelope with a fresh RequestId. No routing, no validation, no storage.
//
//   node --import tsx bench/bare-tc3.ts <port> <secretKey>     prints "bare ready on http://127.0.0.1:PORT"
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseTc3Authorization, sha256Hex, verifyTc3 } from "../src/protocol/tc3.js";

const [portText = "0", secretKey = ""] = process.argv.slice(2);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
    const auth = parseTc3Authorization(headers["authorization"] ?? "");
    const requestId = randomUUID();
    let answer: object;
    const verified =
      auth !== undefined &&
      verifyTc3(
        {
          method: req.method ?? "POST",
          canonicalQuery: "",
          headers,
          signedHeaders: auth.signedHeaders,
          hashedPayload: sha256Hex(body),
          timestamp: headers["x-tc-timestamp"] ?? "",
          date: auth.date,
          service: auth.service,
        },
        req.url ?? "/",
        secretKey,
        auth.signature,
      ).ok;
    if (verified) answer = { Response: { TotalCount: 0, InstanceStatusSet: [], RequestId: requestId } };
    else answer = { Response: { Error: { Code: "AuthFailure.SignatureFailure", Message: "The signature is wrong." }, RequestId: requestId } };
    const payload = JSON.stringify(answer);
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload), "X-TC-RequestId": requestId });
    res.end(payload);
  });
});

server.listen(Number(portText), "127.0.0.1", () => {
  process.stdout.write(`bare ready on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => server.close(() => process.exit(0)));
