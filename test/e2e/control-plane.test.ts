// The control plane, attacked as an attacker would: the admin endpoints without proof of the default
// key, from another account, from a web page (form posts, foreign Hosts as DNS rebinding makes them), the
// clock pushed out of range, and names off the wire that are Object.prototype's.
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAdminRequest } from "../../src/admin-client.js";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { createLogger } from "../../src/log.js";
import { BASIC_RUN } from "../helpers/instances.js";
import {
  adminRequest,
  codeOf,
  createAccount,
  cvmClient,
  errorOf,
  logLines,
  okOf,
  rawRequest,
  sdkError,
  signedTc3Request,
  Sign,
  startTestServer,
  type RawResponse,
  type TestServer,
} from "../helpers/server.js";

let server: TestServer;
const log: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ logger: createLogger("info", logLines(log)) });
});
afterAll(() => server.close());

/** An admin request put together by hand: `headers` replace the signed ones. */
function admin(
  target: TestServer,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; sign?: { secretId: string; secretKey: string } | false; signedPath?: string; signedBody?: string } = {},
): Promise<RawResponse> {
  const body = options.body ?? (method === "GET" ? "" : "{}");
  const signed =
    options.sign === false
      ? { "Content-Type": "application/json" }
      : signAdminRequest({ method, host: `127.0.0.1:${target.port}`, path: options.signedPath ?? path, body: options.signedBody ?? body }, options.sign || undefined);
  return rawRequest(target, { method, target: path, headers: { ...signed, ...options.headers }, ...(body === "" ? {} : { body }) });
}

/** A v1 (HmacSHA256) request signed with the development key, as a form body or query string. */
function v1Form(method: "GET" | "POST", params: Record<string, string>): string {
  const pairs = Object.entries({
    Version: "2017-03-12", Region: "ap-guangzhou", SecretId: DEFAULT_SECRET_ID,
    Timestamp: String(Math.floor(Date.now() / 1000)), Nonce: "1234", SignatureMethod: "HmacSHA256", ...params,
  }).sort(([a], [b]) => (a < b ? -1 : 1));
  const signature = createHmac("sha256", DEFAULT_SECRET_KEY).update(`${method}127.0.0.1:${server.port}/?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`).digest("base64");
  return [...pairs, ["Signature", signature]].map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`).join("&");
}

/** The admin answer's error code (admin answers are `{Error: {Code, Message}}`). */
function adminCode(response: RawResponse): string | undefined {
  return (response.json as unknown as { Error?: { Code: string } }).Error?.Code;
}

async function instanceCount(): Promise<number> {
  return (await cvmClient(server).DescribeInstances({})).TotalCount ?? -1;
}

describe("admin endpoints need the default account's key", () => {
  it("answers GET /_tclocal/health to anyone", async () => {
    const health = await rawRequest(server, { method: "GET", target: "/_tclocal/health" });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: "ok" });
  });

  it("refuses every other endpoint without an Authorization header, and changes nothing", async () => {
    await cvmClient(server).RunInstances({ ...BASIC_RUN });
    for (const [method, path] of [["POST", "/_tclocal/reset"], ["POST", "/_tclocal/accounts"], ["POST", "/_tclocal/clock"], ["GET", "/_tclocal/clock"]] as const) {
      const answer = await admin(server, method, path, { sign: false, ...(method === "POST" ? { body: '{"AdvanceSeconds": 86400}' } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(adminCode(answer), `${method} ${path}`).toBe("AuthFailure");
    }
    expect(await instanceCount()).toBe(1);
    expect(Math.abs(server.clock.now() - Date.now())).toBeLessThan(5_000);
  });

  it("accepts a TC3 signature made with the default key for the service tclocal", async () => {
    const answer = await admin(server, "GET", "/_tclocal/clock");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ Frozen: false });
  });

  it("refuses another account's key, the SecretId alone, a signature for another service, path or body", async () => {
    const other = await createAccount(server, "attacker");
    const cases: Array<[string, RawResponse, string]> = [
      ["another account's key", await admin(server, "POST", "/_tclocal/reset", { sign: { secretId: other.SecretId, secretKey: other.SecretKey } }), "AuthFailure.UnauthorizedOperation"],
      ["the default SecretId with a guessed key", await admin(server, "POST", "/_tclocal/reset", { sign: { secretId: DEFAULT_SECRET_ID, secretKey: "guessedSecretKey0000000000000000" } }), "AuthFailure.SignatureFailure"],
      ["a signature for /_tclocal/clock replayed on /_tclocal/reset", await admin(server, "POST", "/_tclocal/reset", { signedPath: "/_tclocal/clock" }), "AuthFailure.SignatureFailure"],
      ["a signed body swapped", await admin(server, "POST", "/_tclocal/accounts", { body: '{"Name":"x"}', signedBody: "{}" }), "AuthFailure.SignatureFailure"],
      ["a bearer token when none was configured", await admin(server, "POST", "/_tclocal/reset", { sign: false, headers: { Authorization: `Bearer ${DEFAULT_SECRET_KEY}` } }), "AuthFailure.TokenFailure"],
    ];
    // A CVM signature (service cvm, path /) made with the default key is not an admin signature either.
    const cvmSigned = Sign.sign3({
      method: "POST", url: `http://127.0.0.1:${server.port}/`, payload: Buffer.from("{}"), timestamp: Math.floor(Date.now() / 1000), service: "cvm",
      secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY, multipart: false, boundary: "", headers: { "Content-Type": "application/json" },
    });
    cases.push(["a CVM signature", await admin(server, "POST", "/_tclocal/reset", { sign: false, headers: { Authorization: cvmSigned, "X-TC-Timestamp": String(Math.floor(Date.now() / 1000)) } }), "AuthFailure.SignatureFailure"]);
    for (const [what, answer, code] of cases) {
      expect(answer.status, what).toBe(401);
      expect(adminCode(answer), what).toBe(code);
    }
    expect(await instanceCount()).toBe(1);
    // The SignatureFailure names what the server signed, so that a signing bug can be found.
    const failure = cases[1]![1].json as unknown as { Error: { Message: string } };
    expect(failure.Error.Message).toContain("/_tclocal/reset");
    expect(failure.Error.Message).toContain("tclocal/tc3_request");
  });

  it("refuses an old signature with AuthFailure.SignatureExpire", async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    const headers = signAdminRequest({ method: "POST", host: `127.0.0.1:${server.port}`, path: "/_tclocal/reset", body: "{}", timestampSeconds: old });
    const answer = await rawRequest(server, { method: "POST", target: "/_tclocal/reset", headers, body: "{}" });
    expect(answer.status).toBe(401);
    expect(adminCode(answer)).toBe("AuthFailure.SignatureExpire");
  });

  it("with a private key, the development key opens nothing; with --admin-token, the bearer token does", async () => {
    const locked = await startTestServer({ secretId: "AKIDprivateOperatorKey000000000000", secretKey: "privateOperatorSecretKey00000000", adminToken: "operator-token-0123456789" });
    try {
      const dev = await admin(locked, "POST", "/_tclocal/reset");
      expect(adminCode(dev)).toBe("AuthFailure.UnauthorizedOperation");
      const own = await admin(locked, "GET", "/_tclocal/clock", { sign: { secretId: "AKIDprivateOperatorKey000000000000", secretKey: "privateOperatorSecretKey00000000" } });
      expect(own.status).toBe(200);
      const wrongBearer = await admin(locked, "GET", "/_tclocal/clock", { sign: false, headers: { Authorization: "Bearer operator-token-9999999999" } });
      expect(adminCode(wrongBearer)).toBe("AuthFailure.TokenFailure");
      const bearer = await admin(locked, "POST", "/_tclocal/clock", { sign: false, body: '{"Freeze": true}', headers: { Authorization: "Bearer operator-token-0123456789" } });
      expect(bearer.status).toBe(200);
      expect(locked.clock.frozen).toBe(true);
    } finally {
      await locked.close();
    }
  });

  it("logs one line per admin call with the endpoint and the caller, and never a secret", async () => {
    log.length = 0;
    const created = await adminRequest(server, "POST", "/_tclocal/accounts", { Name: "logged" });
    const secretKey = (created.body as { SecretKey: string }).SecretKey;
    await admin(server, "POST", "/_tclocal/reset", { sign: false });
    const lines = log.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "admin");
    expect(lines).toEqual([
      expect.objectContaining({ admin: "POST /_tclocal/accounts", caller: DEFAULT_SECRET_ID, code: "Success", status: 200 }),
      expect.objectContaining({ admin: "POST /_tclocal/reset", caller: "anonymous", code: "AuthFailure", status: 401 }),
    ]);
    const text = log.join("\n");
    expect(text).not.toContain(secretKey);
    expect(text).not.toContain(DEFAULT_SECRET_KEY);
  });
});

describe("no web page can drive tclocal", () => {
  it("refuses a cross-site form post and a text/plain post to the admin endpoints, and changes nothing", async () => {
    await cvmClient(server).RunInstances({ ...BASIC_RUN });
    const before = await instanceCount();
    const form = await rawRequest(server, { method: "POST", target: "/_tclocal/reset", headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://evil.example" }, body: "x=1" });
    expect(codeOf(form)).toBe("UnauthorizedOperation");
    // Without an Origin (an old browser, or a sandboxed frame's request stripped of it), the media type alone refuses it.
    const plain = await admin(server, "POST", "/_tclocal/reset", { headers: { "Content-Type": "text/plain" } });
    expect(plain.status).toBe(415);
    expect(await instanceCount()).toBe(before);
  });

  it("refuses an API request a page makes with the public development key (v1 form post, Sec-Fetch-Site)", async () => {
    const before = await instanceCount();
    const ids = (await cvmClient(server).DescribeInstances({})).InstanceSet!.map((i) => i.InstanceId!);
    const body = v1Form("POST", { Action: "TerminateInstances", "InstanceIds.0": ids[0]! });
    const marks: Array<Record<string, string>> = [{ Origin: "http://evil.example" }, { Origin: "null" }, { "Sec-Fetch-Site": "cross-site" }];
    for (const browser of marks) {
      const answer = await rawRequest(server, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...browser }, body });
      expect(codeOf(answer), JSON.stringify(browser)).toBe("UnauthorizedOperation");
    }
    expect(await instanceCount()).toBe(before);
    // The same request from a client is served: only the browser's marks refused it.
    const served = await rawRequest(server, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
    expect(["Success", "UnsupportedOperation.InstanceStatePending"]).toContain(envelopeCode(served));
  });

  it("refuses a Host that DNS rebinding would send, for the API and the admin endpoints, in the caller's language", async () => {
    const api = await signedTc3Request(server, { action: "DescribeInstances", body: "{}", headers: { Host: "rebind.evil.example:4577" } });
    expect(api.status).toBe(200);
    const error = errorOf(api);
    expect(error.Code).toBe("UnauthorizedOperation");
    expect(error.Message).toContain("rebind.evil.example:4577");
    expect(error.Message).toContain("--allowed-hosts");
    const zh = await signedTc3Request(server, { action: "DescribeInstances", body: "{}", headers: { Host: "rebind.evil.example", "X-TC-Language": "zh-CN" } });
    expect(errorOf(zh).Message).toMatch(/[\u4e00-\u9fff]/);
    expect(errorOf(zh).Message).toContain("rebind.evil.example");
    const adminAnswer = await admin(server, "GET", "/_tclocal/clock", { headers: { Host: "rebind.evil.example:4577" } });
    expect(codeOf(adminAnswer)).toBe("UnauthorizedOperation");
    expect(adminAnswer.text).not.toContain("NowMs");
  });

  it("serves every Host an official client sends", async () => {
    const hosts = [`127.0.0.1:${server.port}`, `localhost:${server.port}`, "cvm.tencentcloudapi.com", `http://127.0.0.1:${server.port}`, `[::1]:${server.port}`, "cvm.ap-guangzhou.tencentcloudapi.com"];
    for (const host of hosts) {
      // The signer signs the URL's host; sign the Host as sent, as Python, Go and tccli do.
      const answer = await signedTc3Request(server, { action: "DescribeZones", body: "{}", headers: { Host: host }, signUrl: `http://${host.replace(/^http:\/\//, "")}/` });
      expect(envelopeCode(answer), host).not.toBe("UnauthorizedOperation");
    }
    // Absolute form through HTTP_PROXY, as Terraform sends it.
    const proxied = await signedTc3Request(server, { action: "DescribeZones", body: "{}", target: "http://cvm.tencentcloudapi.com/", headers: { Host: "cvm.tencentcloudapi.com" }, signUrl: "http://cvm.tencentcloudapi.com/" });
    expect(okOf(proxied)).toHaveProperty("ZoneSet");
  });

  it("serves a domain the operator allows, with its subdomains (Terraform's domain=)", async () => {
    const allowing = await startTestServer({ allowedHosts: ["tclocal.test"] });
    try {
      const host = `cvm.tclocal.test:${allowing.port}`;
      const answer = await signedTc3Request(allowing, { action: "DescribeZones", body: "{}", headers: { Host: host }, signUrl: `http://${host}/` });
      expect(okOf(answer)).toHaveProperty("ZoneSet");
      const other = await signedTc3Request(allowing, { action: "DescribeZones", body: "{}", headers: { Host: "cvm.tclocal.test.evil.example" } });
      expect(codeOf(other)).toBe("UnauthorizedOperation");
    } finally {
      await allowing.close();
    }
  });

  it("sends no CORS header, not even to a preflight", async () => {
    const preflight = await rawRequest(server, { method: "OPTIONS", target: "/_tclocal/reset", headers: { "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type" } });
    const answers = [preflight, await rawRequest(server, { method: "GET", target: "/_tclocal/health" }), await signedTc3Request(server, { action: "DescribeZones", body: "{}" })];
    for (const answer of answers) {
      expect(Object.keys(answer.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
  });
});

function envelopeCode(response: RawResponse): string {
  return response.json.Response.Error?.Code ?? "Success";
}

describe("names off the wire that Object.prototype has", () => {
  const NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "isPrototypeOf"];

  it("answers InvalidAction for them over TC3 and v1", async () => {
    for (const action of NAMES) {
      expect(codeOf(await signedTc3Request(server, { action, body: "{}" })), action).toBe("InvalidAction");
      const query = v1Form("GET", { Action: action });
      expect(codeOf(await rawRequest(server, { method: "GET", target: `/?${query}` })), `v1 ${action}`).toBe("InvalidAction");
    }
  });

  it("answers an AuthFailure code for SignedHeaders that name them, and serves headers of those names", async () => {
    for (const name of NAMES.filter((n) => /^[a-z]+$/.test(n))) {
      const answer = await signedTc3Request(server, { action: "DescribeZones", body: "{}", transformAuthorization: (a) => a.replace("SignedHeaders=content-type;host", `SignedHeaders=${name};content-type;host`) });
      expect(codeOf(answer), name).toMatch(/^AuthFailure\./);
    }
    const odd = await signedTc3Request(server, { action: "DescribeZones", body: "{}", headers: { constructor: "x", __proto__: "y", toString: "z" } });
    expect(okOf(odd)).toHaveProperty("ZoneSet");
  });
});

describe("the resource clock stays within years 1970 to 9999", () => {
  it("refuses values outside the range with a clear error, and the API keeps working", async () => {
    for (const body of [{ AdvanceSeconds: 1e300 }, { AdvanceSeconds: 400_000 * 365 * 86400 }, { Set: "+010000-01-01T00:00:00Z" }, { Set: "1969-12-31T23:59:59Z" }, { Set: "-000001-01-01T00:00:00Z" }]) {
      const answer = await adminRequest(server, "POST", "/_tclocal/clock", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body, JSON.stringify(body)).toMatchObject({ Error: { Code: "InvalidParameterValue", Message: expect.stringContaining("9999-12-31T23:59:59Z") } });
    }
    const zh = await admin(server, "POST", "/_tclocal/clock", { body: '{"AdvanceSeconds": 1e300}', headers: { "X-TC-Language": "zh-CN" } });
    expect((zh.json as unknown as { Error: { Message: string } }).Error.Message).toMatch(/AdvanceSeconds 1e\+300 会使时钟/);
    expect(Math.abs(server.clock.now() - Date.now())).toBeLessThan(5_000);
    const run = await cvmClient(server).RunInstances({ ...BASIC_RUN });
    expect(run.InstanceIdSet).toHaveLength(1);
  });

  it("answers no InternalError at the edges of the range", async () => {
    const client = cvmClient(server);
    for (const edge of ["9999-12-31T23:00:00Z", "1970-01-01T00:00:00Z"]) {
      expect((await adminRequest(server, "POST", "/_tclocal/clock", { Set: edge, Freeze: true })).status).toBe(200);
      const [id] = (await client.RunInstances({ ...BASIC_RUN, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 36, RenewFlag: "NOTIFY_AND_AUTO_RENEW" } })).InstanceIdSet!;
      expect((await adminRequest(server, "POST", "/_tclocal/clock", { AdvanceSeconds: 30 })).status).toBe(200);
      const described = await client.DescribeInstances({ InstanceIds: [id!] });
      expect(described.InstanceSet![0]!.InstanceState, edge).toBe("RUNNING");
      await client.StopInstances({ InstanceIds: [id!] });
      await client.DescribeInstancesStatus({});
      expect((await sdkError(client.RenewInstances({ InstanceIds: ["ins-00000000"], InstanceChargePrepaid: { Period: 1 } }))).code).not.toBe("InternalError");
    }
    expect((await adminRequest(server, "POST", "/_tclocal/reset")).status).toBe(200);
  });
});

describe("the admin client", () => {
  it("signs the Host as sent, the path, and the body's SHA-256", () => {
    const headers = signAdminRequest({ method: "POST", host: "127.0.0.1:4577", path: "/_tclocal/reset", body: "{}", timestampSeconds: 1_700_000_000 });
    const canonical = ["POST", "/_tclocal/reset", "", "content-type:application/json\nhost:127.0.0.1:4577\n", "content-type;host", createHash("sha256").update("{}").digest("hex")].join("\n");
    const stringToSign = ["TC3-HMAC-SHA256", "1700000000", "2023-11-14/tclocal/tc3_request", createHash("sha256").update(canonical).digest("hex")].join("\n");
    const kDate = createHmac("sha256", `TC3${DEFAULT_SECRET_KEY}`).update("2023-11-14").digest();
    const kService = createHmac("sha256", kDate).update("tclocal").digest();
    const kSigning = createHmac("sha256", kService).update("tc3_request").digest();
    const signature = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
    expect(headers.Authorization).toBe(`TC3-HMAC-SHA256 Credential=${DEFAULT_SECRET_ID}/2023-11-14/tclocal/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`);
    expect(headers["X-TC-Timestamp"]).toBe("1700000000");
  });
});
