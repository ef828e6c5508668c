// The control plane, attacked as an attacker would: the admin endpoints without proof of the default
// key, from another account, from a web page (form posts, foreign Hosts as DNS rebinding makes them), the
// clock pushed out of range, and names off the wire that are Object.prototype's. Then what every admin
// endpoint shares: the API's answer format (HTTP 200, the envelope) and one set of body rules; and reset.
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_NAME_MAX } from "../../src/admin.js";
import { ADMIN_BODY_LIMIT } from "../../src/admin-fields.js";
import { signAdminRequest } from "../../src/admin-client.js";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { createLogger } from "../../src/log.js";
import { BASIC_RUN } from "../helpers/instances.js";
import {
  adminRequest,
  codeOf,
  createAccount,
  cvmClient,
  envelopeOf,
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
  UUID_RE,
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
  // A GET body needs its length: without it, Node's client sends a GET body unframed.
  const length: Record<string, string> = body === "" ? {} : { "Content-Length": String(Buffer.byteLength(body)) };
  return rawRequest(target, { method, target: path, headers: { ...signed, ...length, ...options.headers }, ...(body === "" ? {} : { body }) });
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

async function instanceCount(): Promise<number> {
  return (await cvmClient(server).DescribeInstances({})).TotalCount ?? -1;
}

describe("admin endpoints need the default account's key", () => {
  it("answers GET /_tclocal/health to anyone", async () => {
    const health = await rawRequest(server, { method: "GET", target: "/_tclocal/health" });
    expect(okOf(health)).toMatchObject({ Status: "ok" });
  });

  it("refuses every other endpoint without an Authorization header, and changes nothing", async () => {
    await cvmClient(server).RunInstances({ ...BASIC_RUN });
    for (const [method, path] of [["POST", "/_tclocal/reset"], ["POST", "/_tclocal/accounts"], ["POST", "/_tclocal/clock"], ["GET", "/_tclocal/clock"]] as const) {
      const answer = await admin(server, method, path, { sign: false, ...(method === "POST" ? { body: '{"AdvanceSeconds": 86400}' } : {}) });
      expect(codeOf(answer), `${method} ${path}`).toBe("AuthFailure");
    }
    expect(await instanceCount()).toBe(1);
    expect(Math.abs(server.clock.now() - Date.now())).toBeLessThan(5_000);
  });

  it("accepts a TC3 signature made with the default key for the service tclocal", async () => {
    const answer = await admin(server, "GET", "/_tclocal/clock");
    expect(okOf(answer)).toMatchObject({ Frozen: false });
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
      expect(codeOf(answer), what).toBe(code);
    }
    expect(await instanceCount()).toBe(1);
    // The SignatureFailure names what the server signed, so that a signing bug can be found.
    const failure = errorOf(cases[1]![1]);
    expect(failure.Message).toContain("/_tclocal/reset");
    expect(failure.Message).toContain("tclocal/tc3_request");
  });

  it("refuses an old signature with AuthFailure.SignatureExpire", async () => {
    const old = Math.floor(Date.now() / 1000) - 600;
    const headers = signAdminRequest({ method: "POST", host: `127.0.0.1:${server.port}`, path: "/_tclocal/reset", body: "{}", timestampSeconds: old });
    const answer = await rawRequest(server, { method: "POST", target: "/_tclocal/reset", headers, body: "{}" });
    expect(codeOf(answer)).toBe("AuthFailure.SignatureExpire");
  });

  it("with a private key, the development key opens nothing; with --admin-token, the bearer token does", async () => {
    const locked = await startTestServer({ secretId: "AKIDprivateOperatorKey000000000000", secretKey: "privateOperatorSecretKey00000000", adminToken: "operator-token-0123456789" });
    try {
      const dev = await admin(locked, "POST", "/_tclocal/reset");
      expect(codeOf(dev)).toBe("AuthFailure.UnauthorizedOperation");
      const own = await admin(locked, "GET", "/_tclocal/clock", { sign: { secretId: "AKIDprivateOperatorKey000000000000", secretKey: "privateOperatorSecretKey00000000" } });
      expect(okOf(own)).toHaveProperty("NowMs");
      const wrongBearer = await admin(locked, "GET", "/_tclocal/clock", { sign: false, headers: { Authorization: "Bearer operator-token-9999999999" } });
      expect(codeOf(wrongBearer)).toBe("AuthFailure.TokenFailure");
      const bearer = await admin(locked, "POST", "/_tclocal/clock", { sign: false, body: '{"Freeze": true}', headers: { Authorization: "Bearer operator-token-0123456789" } });
      expect(okOf(bearer)).toMatchObject({ Frozen: true });
      expect(locked.clock.frozen).toBe(true);
    } finally {
      await locked.close();
    }
  });

  it("logs one line per admin call with the endpoint and the caller, and never a secret", async () => {
    log.length = 0;
    const created = await adminRequest(server, "POST", "/_tclocal/accounts", { Name: "logged" });
    const secretKey = String(created.SecretKey);
    await admin(server, "POST", "/_tclocal/reset", { sign: false });
    const lines = log.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "admin");
    expect(lines).toEqual([
      expect.objectContaining({ admin: "POST /_tclocal/accounts", caller: DEFAULT_SECRET_ID, code: "Success", requestId: created.RequestId }),
      expect.objectContaining({ admin: "POST /_tclocal/reset", caller: "anonymous", code: "AuthFailure", requestId: expect.stringMatching(UUID_RE) }),
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
    expect(codeOf(plain)).toBe("InvalidRequest");
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
      expect(answer.Error, JSON.stringify(body)).toMatchObject({ Code: "InvalidParameterValue", Message: expect.stringContaining("9999-12-31T23:59:59Z") });
    }
    const zh = await admin(server, "POST", "/_tclocal/clock", { body: '{"AdvanceSeconds": 1e300}', headers: { "X-TC-Language": "zh-CN" } });
    expect(errorOf(zh).Message).toMatch(/AdvanceSeconds 1e\+300 会使时钟/);
    expect(Math.abs(server.clock.now() - Date.now())).toBeLessThan(5_000);
    const run = await cvmClient(server).RunInstances({ ...BASIC_RUN });
    expect(run.InstanceIdSet).toHaveLength(1);
  });

  it("answers no InternalError at the edges of the range", async () => {
    const client = cvmClient(server);
    for (const edge of ["9999-12-31T23:00:00Z", "1970-01-01T00:00:00Z"]) {
      expect((await adminRequest(server, "POST", "/_tclocal/clock", { Set: edge, Freeze: true })).Error).toBeUndefined();
      const [id] = (await client.RunInstances({ ...BASIC_RUN, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 36, RenewFlag: "NOTIFY_AND_AUTO_RENEW" } })).InstanceIdSet!;
      expect((await adminRequest(server, "POST", "/_tclocal/clock", { AdvanceSeconds: 30 })).Error).toBeUndefined();
      const described = await client.DescribeInstances({ InstanceIds: [id!] });
      expect(described.InstanceSet![0]!.InstanceState, edge).toBe("RUNNING");
      await client.StopInstances({ InstanceIds: [id!] });
      await client.DescribeInstancesStatus({});
      expect((await sdkError(client.RenewInstances({ InstanceIds: ["ins-00000000"], InstanceChargePrepaid: { Period: 1 } }))).code).not.toBe("InternalError");
    }
    expect((await adminRequest(server, "POST", "/_tclocal/reset")).Error).toBeUndefined();
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

describe("every admin answer is the API's: HTTP 200 and the envelope", () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer();
  });
  afterAll(() => fresh.close());

  it("answers success on each endpoint with the endpoint's fields and a RequestId (okOf checks 200, the Content-Type and X-TC-RequestId)", async () => {
    expect(okOf(await rawRequest(fresh, { method: "GET", target: "/_tclocal/health" }))).toMatchObject({ Status: "ok", Services: expect.arrayContaining([expect.objectContaining({ Service: "cvm" })]) });
    expect(okOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: '{"Name": "envelope"}' }))).toMatchObject({ Name: "envelope", SecretId: expect.stringMatching(/^AKID/) });
    expect(okOf(await admin(fresh, "GET", "/_tclocal/clock"))).toMatchObject({ Frozen: false, NowMs: expect.any(Number) });
    expect(okOf(await admin(fresh, "POST", "/_tclocal/clock", { body: '{"Freeze": true}' }))).toMatchObject({ Frozen: true });
    expect(okOf(await admin(fresh, "POST", "/_tclocal/reset"))).toMatchObject({ Deleted: ["accounts", "keys", "resources"], Clock: { Frozen: false } });
  });

  it("accepts an empty body (or whitespace) wherever a JSON object is taken", async () => {
    for (const [method, path] of [["POST", "/_tclocal/accounts"], ["POST", "/_tclocal/clock"], ["POST", "/_tclocal/reset"], ["GET", "/_tclocal/clock"]] as const) {
      for (const body of ["", " \n"]) {
        const answer = await admin(fresh, method, path, { body });
        expect(envelopeOf(answer).error, `${method} ${path} ${JSON.stringify(body)}`).toBeUndefined();
      }
    }
    const unnamed = okOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: "" }));
    expect(unnamed.Name).toBe("account");
  });

  it("answers each failure class with HTTP 200 and its code, on each endpoint", async () => {
    const post = ["/_tclocal/accounts", "/_tclocal/clock", "/_tclocal/reset"];
    for (const path of post) {
      expect(codeOf(await admin(fresh, "POST", path, { sign: false })), `unsigned ${path}`).toBe("AuthFailure");
      expect(codeOf(await admin(fresh, "POST", path, { headers: { "Content-Type": "text/plain" } })), `text/plain ${path}`).toBe("InvalidRequest");
      expect(codeOf(await admin(fresh, "POST", path, { body: '{"Bogus": 1}' })), `unknown field ${path}`).toBe("UnknownParameter");
      expect(codeOf(await admin(fresh, "POST", path, { body: "[]" })), `array body ${path}`).toBe("InvalidParameter");
      expect(codeOf(await admin(fresh, "POST", path, { body: " ".repeat(ADMIN_BODY_LIMIT) + "{}" })), `large body ${path}`).toBe("RequestSizeLimitExceeded");
    }
    expect(codeOf(await admin(fresh, "GET", "/_tclocal/clock", { sign: false }))).toBe("AuthFailure");
    expect(codeOf(await admin(fresh, "GET", "/_tclocal/clock", { body: '{"Freeze": true}' }))).toBe("UnknownParameter");
    expect(codeOf(await admin(fresh, "GET", "/_tclocal/health", { sign: false, body: '{"Verbose": true}' }))).toBe("UnknownParameter");
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: '{"Name": 5}' }))).toBe("InvalidParameter");
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: '{"Name": ""}' }))).toBe("InvalidParameterValue");
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/clock", { body: '{"Freeze": "yes"}' }))).toBe("InvalidParameter");
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/clock", { body: '{"AdvanceSeconds": -1}' }))).toBe("InvalidParameterValue");
    for (const [method, path] of [["GET", "/_tclocal/nothing"], ["POST", "/_tclocal/nothing"], ["GET", "/_tclocal/reset"], ["GET", "/_tclocal/accounts"]] as const) {
      const error = errorOf(await admin(fresh, method, path));
      expect(error.Code, `${method} ${path}`).toBe("ResourceNotFound");
      expect(error.Message, `${method} ${path}`).toBe(
        `There is no admin endpoint ${method} ${path}; the endpoints are GET /_tclocal/health, POST /_tclocal/accounts, GET /_tclocal/clock, POST /_tclocal/clock, POST /_tclocal/reset.`,
      );
    }
    // A web page's request is refused before anything else, in the same envelope.
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/reset", { headers: { Origin: "http://evil.example" } }))).toBe("UnauthorizedOperation");
  });

  it("refuses an unknown field the same way on all three POST endpoints, naming it and the fields allowed", async () => {
    const allowed: Array<[string, string, string]> = [
      ["/_tclocal/accounts", "its fields are Name", "可用字段为 Name"],
      ["/_tclocal/clock", "its fields are Freeze, AdvanceSeconds, Set", "可用字段为 Freeze、AdvanceSeconds、Set"],
      ["/_tclocal/reset", "it takes no fields", "该接口不接受任何字段"],
    ];
    for (const [path, en, zh] of allowed) {
      // A known field beside it does not help: nothing is applied when one field is unknown.
      const body = path === "/_tclocal/clock" ? '{"Freeze": true, "Speed": 2}' : '{"Speed": 2}';
      expect(errorOf(await admin(fresh, "POST", path, { body }))).toEqual({ Code: "UnknownParameter", Message: `The field "Speed" is unknown to POST ${path}: ${en}.` });
      const chinese = errorOf(await admin(fresh, "POST", path, { body, headers: { "X-TC-Language": "zh-CN" } }));
      expect(chinese).toEqual({ Code: "UnknownParameter", Message: `POST ${path} 不接受字段 "Speed"：${zh}。` });
    }
    expect(fresh.clock.frozen).toBe(false);
    // Names that Object.prototype has are fields like any other (own properties only), and a long name is cut.
    for (const name of ["constructor", "__proto__", "toString", "x".repeat(500)]) {
      const error = errorOf(await admin(fresh, "POST", "/_tclocal/reset", { body: JSON.stringify({ [name]: 1 }) }));
      expect(error.Code, name).toBe("UnknownParameter");
      expect(error.Message.length, name).toBeLessThan(200);
    }
  });

  it("names the field, the value and what is expected for a value of the wrong type", async () => {
    const cases: Array<[string, string, string]> = [
      ["/_tclocal/accounts", '{"Name": 5}', "The field Name of POST /_tclocal/accounts must be a string, not 5."],
      ["/_tclocal/accounts", '{"Name": null}', "The field Name of POST /_tclocal/accounts must be a string, not null."],
      ["/_tclocal/clock", '{"Freeze": "yes"}', 'The field Freeze of POST /_tclocal/clock must be true or false, not "yes".'],
      ["/_tclocal/clock", '{"AdvanceSeconds": "60"}', 'The field AdvanceSeconds of POST /_tclocal/clock must be a number of seconds, not "60".'],
      ["/_tclocal/clock", '{"Set": "tomorrow"}', 'The field Set of POST /_tclocal/clock must be an ISO 8601 time, such as 2026-01-01T00:00:00Z, not "tomorrow".'],
      ["/_tclocal/clock", '{"Set": 1767225600000}', "The field Set of POST /_tclocal/clock must be an ISO 8601 time, such as 2026-01-01T00:00:00Z, not 1767225600000."],
      ["/_tclocal/clock", "[1]", "The body of POST /_tclocal/clock must be a JSON object (or empty), not an array: [1]."],
      ["/_tclocal/reset", "{not json", 'The body of POST /_tclocal/reset must be a JSON object (or empty), not text that does not parse as JSON: "{not json".'],
      ["/_tclocal/reset", "null", "The body of POST /_tclocal/reset must be a JSON object (or empty), not null: null."],
    ];
    for (const [path, body, message] of cases) {
      expect(errorOf(await admin(fresh, "POST", path, { body })), body).toEqual({ Code: "InvalidParameter", Message: message });
    }
    const chinese = errorOf(await admin(fresh, "POST", "/_tclocal/clock", { body: '{"Freeze": "yes"}', headers: { "X-TC-Language": "zh-CN" } }));
    expect(chinese.Message).toBe('POST /_tclocal/clock 的字段 Freeze 必须是布尔值（true 或 false），而不是 "yes"。');
    expect(fresh.clock.frozen).toBe(false);
  });

  it("refuses a value of the right type outside its range with InvalidParameterValue, and applies nothing", async () => {
    const nameRule = `1 to ${ACCOUNT_NAME_MAX} characters, none of them a control character`;
    const cases: Array<[string, string, string]> = [
      ["/_tclocal/accounts", '{"Name": ""}', `The field Name of POST /_tclocal/accounts is "", outside its range: ${nameRule}.`],
      ["/_tclocal/accounts", JSON.stringify({ Name: "n".repeat(ACCOUNT_NAME_MAX + 1) }), `The field Name of POST /_tclocal/accounts is "${"n".repeat(63)}…, outside its range: ${nameRule}.`],
      ["/_tclocal/accounts", '{"Name": "two\\nlines"}', `The field Name of POST /_tclocal/accounts is "two\\nlines", outside its range: ${nameRule}.`],
      ["/_tclocal/clock", '{"Freeze": true, "AdvanceSeconds": -1}', "The field AdvanceSeconds of POST /_tclocal/clock is -1, outside its range: 0 or more, finite."],
      ["/_tclocal/clock", '{"AdvanceSeconds": 1e400}', "The field AdvanceSeconds of POST /_tclocal/clock is Infinity, outside its range: 0 or more, finite."],
      ["/_tclocal/clock", '{"Set": "1969-12-31T23:59:59Z"}', 'The field Set of POST /_tclocal/clock is "1969-12-31T23:59:59Z", outside its range: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.'],
    ];
    for (const [path, body, message] of cases) {
      expect(errorOf(await admin(fresh, "POST", path, { body })), body).toEqual({ Code: "InvalidParameterValue", Message: message });
    }
    const chinese = errorOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: '{"Name": ""}', headers: { "X-TC-Language": "zh-CN" } }));
    expect(chinese.Message).toBe(`POST /_tclocal/accounts 的字段 Name 的值 "" 超出范围：1 到 ${ACCOUNT_NAME_MAX} 个字符，且不含控制字符。`);
    expect(fresh.clock.frozen).toBe(false);
    // The longest name is kept whole, counted in characters, not UTF-16 units or bytes.
    for (const name of ["n".repeat(ACCOUNT_NAME_MAX), "名".repeat(ACCOUNT_NAME_MAX), "🙂".repeat(ACCOUNT_NAME_MAX)]) {
      expect(okOf(await admin(fresh, "POST", "/_tclocal/accounts", { body: JSON.stringify({ Name: name }) })).Name).toBe(name);
    }
  });

  it("speaks the caller's language for authentication, media type and endpoint failures too", async () => {
    const zh = { "X-TC-Language": "zh-CN" };
    const answers = [
      await admin(fresh, "POST", "/_tclocal/reset", { sign: false, headers: zh }),
      await admin(fresh, "POST", "/_tclocal/reset", { headers: { ...zh, "Content-Type": "text/plain" } }),
      await admin(fresh, "GET", "/_tclocal/nothing", { headers: zh }),
      await admin(fresh, "POST", "/_tclocal/reset", { body: " ".repeat(ADMIN_BODY_LIMIT + 1), headers: zh }),
    ];
    expect(answers.map((a) => codeOf(a))).toEqual(["AuthFailure", "InvalidRequest", "ResourceNotFound", "RequestSizeLimitExceeded"]);
    for (const answer of answers) expect(errorOf(answer).Message).toMatch(/[\u4e00-\u9fff]/);
    expect(errorOf(answers[2]!).Message).toBe("管理接口 GET /_tclocal/nothing 不存在；可用接口为 GET /_tclocal/health、POST /_tclocal/accounts、GET /_tclocal/clock、POST /_tclocal/clock、POST /_tclocal/reset。");
  });
});

describe("POST /_tclocal/reset", () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer();
  });
  afterAll(() => fresh.close());

  it("deletes accounts, keys and resources, restores the default account, and sets the clock back to real time, running", async () => {
    const other = await createAccount(fresh, "before-reset");
    const otherClient = cvmClient(fresh, { secretId: other.SecretId, secretKey: other.SecretKey });
    await otherClient.RunInstances({ ...BASIC_RUN });
    const defaultClient = cvmClient(fresh);
    const [instanceId] = (await defaultClient.RunInstances({ ...BASIC_RUN })).InstanceIdSet!;
    okOf(await admin(fresh, "POST", "/_tclocal/clock", { body: '{"Set": "2030-01-01T00:00:00Z", "Freeze": true, "AdvanceSeconds": 3600}' }));
    expect(fresh.clock.frozen).toBe(true);

    const answer = okOf(await admin(fresh, "POST", "/_tclocal/reset"));
    expect(answer).toEqual({
      Deleted: ["accounts", "keys", "resources"],
      DefaultAccount: { Uin: fresh.defaultAccount.uin, AppId: fresh.defaultAccount.appId, Name: fresh.defaultAccount.name, SecretId: DEFAULT_SECRET_ID },
      Clock: { Now: expect.any(String), NowMs: expect.any(Number), Frozen: false },
      RequestId: expect.stringMatching(UUID_RE),
    });
    expect(JSON.stringify(answer)).not.toContain(DEFAULT_SECRET_KEY);

    // 1. The other account's key is gone with its account.
    expect((await sdkError(otherClient.DescribeInstances({}))).code).toBe("AuthFailure.SecretIdNotFound");
    // 2. Resources are gone.
    expect((await defaultClient.DescribeInstances({})).TotalCount).toBe(0);
    expect((await defaultClient.DescribeInstances({ InstanceIds: [instanceId!] })).InstanceSet).toEqual([]);
    // 3. The default key still works, and the clock follows real time again, running.
    const clock = okOf(await admin(fresh, "GET", "/_tclocal/clock"));
    expect(clock.Frozen).toBe(false);
    expect(Math.abs((clock.NowMs as number) - Date.now())).toBeLessThan(5_000);
    expect(Math.abs((answer.Clock as { NowMs: number }).NowMs - Date.now())).toBeLessThan(5_000);
    const later = okOf(await admin(fresh, "GET", "/_tclocal/clock"));
    expect(later.NowMs as number).toBeGreaterThanOrEqual(clock.NowMs as number);
    const [fresher] = (await defaultClient.RunInstances({ ...BASIC_RUN })).InstanceIdSet!;
    expect(fresher).toMatch(/^ins-/);
  });

  it("does nothing when the body is refused", async () => {
    const kept = await createAccount(fresh, "kept");
    expect(codeOf(await admin(fresh, "POST", "/_tclocal/reset", { body: '{"Confirm": true}' }))).toBe("UnknownParameter");
    expect((await cvmClient(fresh, { secretId: kept.SecretId, secretKey: kept.SecretKey }).DescribeZones()).TotalCount).toBe(6);
  });

  it("leaves the clock at real time across a restart (the moved clock was state, and reset deletes it)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tclocal-reset-"));
    try {
      const first = await startTestServer({ inMemory: false, dataDir: dir });
      try {
        okOf(await admin(first, "POST", "/_tclocal/clock", { body: '{"Set": "2031-05-01T00:00:00Z", "Freeze": true}' }));
        okOf(await admin(first, "POST", "/_tclocal/reset"));
      } finally {
        await first.close();
      }
      const second = await startTestServer({ inMemory: false, dataDir: dir });
      try {
        expect(second.clock.frozen).toBe(false);
        expect(Math.abs(second.clock.now() - Date.now())).toBeLessThan(5_000);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
