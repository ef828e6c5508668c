// Authentication and isolation, attacked through the real server: every tampered, replayed, expired or
// misattributed request fails with its exact code, and one account never sees, changes or learns of
// another account's resources.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { ControllableClock } from "../../src/clock.js";
import type { Product } from "../../src/gateway/product.js";
import { cvm } from "../../src/products/cvm/index.js";
import { signaturesEqual } from "../../src/protocol/tc3.js";
import { instanceActionRequest, networkOf, type InstanceNetwork } from "../helpers/instance-actions.js";
import { BASIC_RUN, launchInstances } from "../helpers/instances.js";
import {
  codeOf,
  createAccount,
  cvmClient,
  errorOf,
  isRecord,
  okOf,
  rawRequest,
  sdkError,
  Sign,
  signedTc3Request,
  signTc3Post,
  startTestServer,
  type CvmClientType,
  type RawResponse,
  type TestServer,
} from "../helpers/server.js";
import { countRows } from "../helpers/store.js";

// ---------------------------------------------------------------------------------------------------
// An independent TC3 and v1 signer (protocol sheet §4.3–4.4 and §5), so that any header can be signed.

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Buffer, message: string): Buffer {
  return createHmac("sha256", key).update(message, "utf8").digest();
}

interface Tc3Input {
  secretId: string;
  secretKey: string;
  timestamp: number;
  service: string;
  method: "GET" | "POST";
  query: string;
  payload: string | Buffer;
  /** Header name (lower case) → value as sent. */
  headers: Record<string, string>;
  /** The header names to sign. */
  signed: readonly string[];
}

function tc3Authorization(input: Tc3Input): string {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const names = [...input.signed].sort();
  const canonicalHeaders = names.map((n) => `${n}:${(input.headers[n] ?? "").trim().toLowerCase()}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [input.method, "/", input.query, canonicalHeaders, signedHeaders, sha256Hex(input.payload)].join("\n");
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ["TC3-HMAC-SHA256", String(input.timestamp), scope, sha256Hex(canonicalRequest)].join("\n");
  const kSigning = hmac(hmac(hmac("TC3" + input.secretKey, date), input.service), "tc3_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign, "utf8").digest("hex");
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

interface Tc3Request {
  action: string;
  region?: string;
  version?: string;
  body?: string;
  /** Header names to sign; default content-type and host, as every SDK signs. */
  signed?: readonly string[];
  timestamp?: number;
  secretId?: string;
  secretKey?: string;
  service?: string;
  token?: string;
}

/** A TC3 POST as it would be sent, with the Authorization computed over it. Header names are lower case. */
function buildTc3(server: TestServer, request: Tc3Request): { headers: Record<string, string>; body: string } {
  const body = request.body ?? "{}";
  const timestamp = request.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    host: `127.0.0.1:${server.port}`,
    "content-type": "application/json",
    "x-tc-action": request.action,
    "x-tc-version": request.version ?? "2017-03-12",
    "x-tc-region": request.region ?? "ap-guangzhou",
    "x-tc-timestamp": String(timestamp),
  };
  if (request.token !== undefined) headers["x-tc-token"] = request.token;
  headers["authorization"] = tc3Authorization({
    secretId: request.secretId ?? DEFAULT_SECRET_ID,
    secretKey: request.secretKey ?? DEFAULT_SECRET_KEY,
    timestamp,
    service: request.service ?? "cvm",
    method: "POST",
    query: "",
    payload: body,
    headers,
    signed: request.signed ?? ["content-type", "host"],
  });
  return { headers, body };
}

function send(server: TestServer, built: { headers: Record<string, string>; body: string }): Promise<RawResponse> {
  return rawRequest(server, { method: "POST", headers: built.headers, body: built.body });
}

/** Sends the request as signed, or with some headers, the body or the Authorization changed after signing. */
function sendTc3(
  server: TestServer,
  request: Tc3Request,
  tamper: { headers?: Record<string, string>; body?: string; authorization?: (a: string) => string } = {},
): Promise<RawResponse> {
  const built = buildTc3(server, request);
  const headers = { ...built.headers, ...tamper.headers };
  if (tamper.authorization) headers["authorization"] = tamper.authorization(built.headers["authorization"]!);
  return send(server, { headers, body: tamper.body ?? built.body });
}

/** A v1 request's form body: the parameters, SecretId, Timestamp, Nonce, SignatureMethod and the Signature over them. */
function v1Form(
  server: TestServer,
  params: Record<string, string>,
  options: { secretId?: string; secretKey?: string; timestamp?: number; omit?: string[]; method?: "POST" | "GET" } = {},
): Array<[string, string]> {
  const all: Record<string, string> = {
    Action: "DescribeZones",
    Version: "2017-03-12",
    Region: "ap-guangzhou",
    SecretId: options.secretId ?? DEFAULT_SECRET_ID,
    Timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    Nonce: "9876543210123456789",
    SignatureMethod: "HmacSHA256",
    ...params,
  };
  for (const name of options.omit ?? []) delete all[name];
  const sorted = Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const stringToSign = `${options.method ?? "POST"}127.0.0.1:${server.port}/?${sorted.map(([k, v]) => `${k}=${v}`).join("&")}`;
  return [...sorted, ["Signature", Sign.sign(options.secretKey ?? DEFAULT_SECRET_KEY, stringToSign, "HmacSHA256")]];
}

function encodeForm(pairs: ReadonlyArray<[string, string]>): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

function sendV1(server: TestServer, pairs: ReadonlyArray<[string, string]>, method: "POST" | "GET" = "POST"): Promise<RawResponse> {
  if (method === "GET") return rawRequest(server, { method: "GET", target: `/?${encodeForm(pairs)}` });
  return rawRequest(server, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: encodeForm(pairs) });
}

/** Replaces one hex digit of the Signature by another. */
function flipSignatureDigit(authorization: string, index: number): string {
  const m = /Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) throw new Error(`no signature in ${authorization}`);
  const digits = m[1]!.split("");
  digits[index] = digits[index] === "0" ? "1" : "0";
  return authorization.slice(0, m.index) + `Signature=${digits.join("")}`;
}

interface Temporary {
  TmpSecretId: string;
  TmpSecretKey: string;
  Token: string;
}

/** Temporary credentials from STS GetFederationToken, signed with the default key at `timestamp` (default now). */
async function mintTemporary(server: TestServer, durationSeconds: number, timestamp?: number): Promise<Temporary> {
  const policy = encodeURIComponent(JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: "*", resource: "*" }] }));
  const answer = okOf(
    await sendTc3(server, {
      action: "GetFederationToken",
      version: "2018-08-13",
      service: "sts",
      body: JSON.stringify({ Name: "security-auth", Policy: policy, DurationSeconds: durationSeconds }),
      ...(timestamp !== undefined ? { timestamp } : {}),
    }),
  );
  const credentials = answer["Credentials"];
  if (!isRecord(credentials)) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  const { TmpSecretId, TmpSecretKey, Token } = credentials;
  if (typeof TmpSecretId !== "string" || typeof TmpSecretKey !== "string" || typeof Token !== "string") {
    throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  }
  return { TmpSecretId, TmpSecretKey, Token };
}

function instanceCount(server: TestServer): Promise<number> {
  return countRows(server, "cvm_instances");
}

// ---------------------------------------------------------------------------------------------------

/** CVM served a second time under another API version, so that a version swap reaches authentication. */
const cvmOtherVersion: Product = { ...cvm, version: "2099-01-01", migrations: [] };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ products: [cvm, cvmOtherVersion] });
});
afterAll(() => server.close());

describe("the test's own signer", () => {
  it("signs exactly as the official SDK signer (content-type;host, host without port as the Node SDK signs it)", () => {
    const timestamp = 1_700_000_000;
    const body = '{"Limit":1}';
    const ours = tc3Authorization({
      secretId: DEFAULT_SECRET_ID,
      secretKey: DEFAULT_SECRET_KEY,
      timestamp,
      service: "cvm",
      method: "POST",
      query: "",
      payload: body,
      headers: { "content-type": "application/json", host: "127.0.0.1" },
      signed: ["content-type", "host"],
    });
    const official = signTc3Post({ port: 9000 }, body, timestamp);
    expect(ours).toBe(official);
  });

  it.each([
    [["content-type", "host"]],
    [["content-type", "host", "x-tc-action"]],
    [["content-type", "host", "x-tc-action", "x-tc-region", "x-tc-timestamp", "x-tc-version"]],
  ])("its requests are accepted untampered (SignedHeaders %j)", async (signed) => {
    expect(okOf(await sendTc3(server, { action: "DescribeZones", signed })).TotalCount).toBe(6);
    expect(okOf(await sendV1(server, v1Form(server, {})))["TotalCount"]).toBe(6);
  });
});

describe("TC3: anything changed after signing → AuthFailure.SignatureFailure", () => {
  it.each([0, 31, 63])("one hex digit of the signature flipped (digit %d)", async (index) => {
    const response = await sendTc3(server, { action: "DescribeZones" }, { authorization: (a) => flipSignatureDigit(a, index) });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("the credential date", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
    const otherDay = new Date((timestamp - 86_400) * 1000).toISOString().slice(0, 10);
    const response = await sendTc3(server, { action: "DescribeZones", timestamp }, { authorization: (a) => a.replace(`/${date}/`, `/${otherDay}/`) });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain(otherDay);
  });

  it.each(["vpc", "127", "cvmx"])("the credential service (cvm → %s)", async (service) => {
    const response = await sendTc3(server, { action: "DescribeZones" }, { authorization: (a) => a.replace("/cvm/tc3_request", `/${service}/tc3_request`) });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it.each([
    ["content-type;host", "content-type;host;x-tc-action"],
    ["content-type;host", "content-type;host;x-tc-region"],
    ["content-type;host;x-tc-action", "content-type;host"],
    ["content-type;host", "host;content-type"],
  ])("SignedHeaders %s rewritten as %s", async (from, to) => {
    const signed = from.split(";");
    const response = await sendTc3(server, { action: "DescribeZones", signed }, { authorization: (a) => a.replace(`SignedHeaders=${from},`, `SignedHeaders=${to},`) });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it.each([
    ["content-type", "application/json; charset=utf-8"],
    ["content-type", "application/json;"],
    ["host", "localhost:PORT"],
    ["host", "127.0.0.2:PORT"],
    ["host", "127.0.0.1:1"],
  ])("the signed header %s changed to %j", async (name, value) => {
    const built = buildTc3(server, { action: "DescribeZones" });
    const response = await send(server, { headers: { ...built.headers, [name]: value.replace("PORT", String(server.port)) }, body: built.body });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("(canonical header values are lower-cased and trimmed, so a change of case alone is no change)", async () => {
    const built = buildTc3(server, { action: "DescribeZones" });
    const response = await send(server, { headers: { ...built.headers, "content-type": "Application/JSON" }, body: built.body });
    expect(okOf(response).TotalCount).toBe(6);
  });

  it("the signed X-TC-Action changed (DescribeZones → DescribeRegions, and → RunInstances)", async () => {
    const signed = ["content-type", "host", "x-tc-action"];
    for (const action of ["DescribeRegions", "RunInstances"]) {
      const response = await sendTc3(server, { action: "DescribeZones", signed }, { headers: { "x-tc-action": action } });
      expect(codeOf(response), action).toBe("AuthFailure.SignatureFailure");
    }
    expect(await instanceCount(server)).toBe(0);
  });

  it("the body changed by one character", async () => {
    const response = await sendTc3(server, { action: "DescribeInstances", body: '{"Limit":1}' }, { body: '{"Limit":2}' });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });
});

describe("TC3: a captured Authorization replayed with something else changed", () => {
  /** Sends the request once (it must succeed), replays it as is (it still does), then replays it changed. */
  async function replayChanged(
    request: Tc3Request,
    change: { headers?: Record<string, string>; body?: string },
  ): Promise<RawResponse> {
    const built = buildTc3(server, request);
    okOf(await send(server, built));
    okOf(await send(server, built));
    return send(server, { headers: { ...built.headers, ...change.headers }, body: change.body ?? built.body });
  }

  it("with another body → SignatureFailure", async () => {
    const response = await replayChanged({ action: "DescribeInstances", body: '{"Limit":1}' }, { body: '{"Limit":100}' });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("with another action and its body (DescribeInstances → RunInstances) → SignatureFailure, nothing created", async () => {
    const response = await replayChanged(
      { action: "DescribeInstances", body: '{"Limit":1}' },
      { headers: { "x-tc-action": "RunInstances" }, body: JSON.stringify(BASIC_RUN) },
    );
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
    expect(await instanceCount(server)).toBe(0);
  });

  it("with another action, when X-TC-Action is signed → SignatureFailure", async () => {
    const response = await replayChanged({ action: "DescribeZones", signed: ["content-type", "host", "x-tc-action"] }, { headers: { "x-tc-action": "DescribeRegions" } });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("with another region, when X-TC-Region is signed → SignatureFailure", async () => {
    const response = await replayChanged({ action: "DescribeZones", signed: ["content-type", "host", "x-tc-region"] }, { headers: { "x-tc-region": "ap-shanghai" } });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("with another version, when X-TC-Version is signed → SignatureFailure", async () => {
    const response = await replayChanged({ action: "DescribeZones", signed: ["content-type", "host", "x-tc-version"] }, { headers: { "x-tc-version": "2099-01-01" } });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("with another timestamp (the string to sign holds it) → SignatureFailure", async () => {
    const now = Math.floor(Date.now() / 1000);
    const response = await replayChanged({ action: "DescribeZones", timestamp: now }, { headers: { "x-tc-timestamp": String(now - 1) } });
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  // The limit of what a signature protects. Every SDK signs only content-type and host, so X-TC-Action,
  // X-TC-Region and X-TC-Version are outside the signature, on the real service too. Two calls of different
  // actions with the same body in the same second legitimately carry the same Authorization, so refusing a
  // "replay" under another action would break real clients. This pins that behaviour: the body hash is what
  // ties a captured signature to its parameters.
  it("unsigned X-TC-Action, X-TC-Region and X-TC-Version are not covered by content-type;host (as on the real service)", async () => {
    const built = buildTc3(server, { action: "DescribeZones" });
    expect(okOf(await send(server, built)).TotalCount).toBe(6);
    const asRegions = okOf(await send(server, { headers: { ...built.headers, "x-tc-action": "DescribeRegions" }, body: built.body }));
    expect(asRegions.RegionSet).toBeInstanceOf(Array);
    const inShanghai = okOf(await send(server, { headers: { ...built.headers, "x-tc-region": "ap-shanghai" }, body: built.body }));
    expect((inShanghai.ZoneSet as Array<{ Zone: string }>).every((z) => z.Zone.startsWith("ap-shanghai-"))).toBe(true);
    expect(okOf(await send(server, { headers: { ...built.headers, "x-tc-version": "2099-01-01" }, body: built.body })).TotalCount).toBe(6);
  });
});

describe("TC3 with --signature-reuse refuse: a signature serves one action, region and version", () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ products: [cvm, cvmOtherVersion], signatureReuse: "refuse" });
  });
  afterAll(() => strict.close());

  it.each([
    ["action", { "x-tc-action": "DescribeRegions" }],
    ["region", { "x-tc-region": "ap-shanghai" }],
    ["version", { "x-tc-version": "2099-01-01" }],
  ])("a captured DescribeZones replayed with another %s → SignatureFailure naming the first use", async (_what, changed) => {
    const built = buildTc3(strict, { action: "DescribeZones" });
    expect(okOf(await send(strict, built)).TotalCount).toBe(6);
    // The same request again is a retry, not a reuse.
    expect(okOf(await send(strict, built)).TotalCount).toBe(6);
    const error = errorOf(await send(strict, { headers: { ...built.headers, ...changed }, body: built.body }));
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("already used for DescribeZones in region `ap-guangzhou` (version 2017-03-12)");
  });

  it("still accepts the official SDK when bodies differ, and signatures that sign those headers", async () => {
    const c = cvmClient(strict);
    expect((await c.DescribeZones(null)).TotalCount).toBe(6);
    expect((await c.DescribeZones(null)).TotalCount).toBe(6);
    expect((await c.DescribeInstances({ Limit: 1 })).TotalCount).toBe(0);
    const signed = ["content-type", "host", "x-tc-action", "x-tc-region", "x-tc-version"];
    expect(okOf(await sendTc3(strict, { action: "DescribeRegions", signed })).TotalCount).toBeGreaterThan(0);
  });

  // The price of the option, and why it is off by default: two different actions with the same body in the
  // same second carry one signature, and the second is refused although nothing was replayed. The official
  // SDK does exactly that for DescribeZones({}) then DescribeRegions({}).
  it("refuses the second of two different actions sent with the same body in the same second", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    expect(okOf(await sendTc3(strict, { action: "DescribeZones", timestamp, body: "{}" })).TotalCount).toBe(6);
    expect(codeOf(await sendTc3(strict, { action: "DescribeRegions", timestamp, body: "{}" }))).toBe("AuthFailure.SignatureFailure");
  });

  // The same price for one action in a loop over regions, the usual shape of an inventory script: the region
  // is outside the signature, so DescribeInstances({}) sent to two regions in one second carries one signature.
  it("refuses the second region of a same-second loop over regions with the same body", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"Limit":100}';
    expect(okOf(await sendTc3(strict, { action: "DescribeInstances", region: "ap-guangzhou", timestamp, body })).TotalCount).toBe(0);
    const error = errorOf(await sendTc3(strict, { action: "DescribeInstances", region: "ap-shanghai", timestamp, body }));
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("already used for DescribeInstances in region `ap-guangzhou`");
  });
});

describe("TC3: SignedHeaders must include content-type and host, even when the signature over the rest is right", () => {
  it.each([
    [["host"], "without content-type"],
    [["content-type"], "without host"],
    [["host", "x-tc-action"], "without content-type (x-tc-action instead)"],
    [["content-type", "x-tc-action"], "without host (x-tc-action instead)"],
  ])("SignedHeaders %j (%s) → SignatureFailure", async (signed) => {
    const response = await sendTc3(server, { action: "DescribeZones", signed });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("must include content-type and host");
  });
});

describe("the signature window: ±300 s around a server clock that stands still", () => {
  const NOW_S = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000;
  let frozen: TestServer;
  beforeAll(async () => {
    frozen = await startTestServer({ wallClock: { now: () => NOW_S * 1000 + 250 } });
  });
  afterAll(() => frozen.close());

  it.each([-300, 0, 300])("TC3 timestamp now + (%i) s is accepted", async (delta) => {
    expect(okOf(await sendTc3(frozen, { action: "DescribeZones", timestamp: NOW_S + delta })).TotalCount).toBe(6);
  });

  it.each([-301, 301, -86_400, 86_400])("TC3 timestamp now + (%i) s → AuthFailure.SignatureExpire", async (delta) => {
    expect(codeOf(await sendTc3(frozen, { action: "DescribeZones", timestamp: NOW_S + delta }))).toBe("AuthFailure.SignatureExpire");
  });

  it.each([-300, 300])("v1 Timestamp now + (%i) s is accepted", async (delta) => {
    expect(okOf(await sendV1(frozen, v1Form(frozen, {}, { timestamp: NOW_S + delta }))).TotalCount).toBe(6);
  });

  it.each([-301, 301])("v1 Timestamp now + (%i) s → AuthFailure.SignatureExpire", async (delta) => {
    expect(codeOf(await sendV1(frozen, v1Form(frozen, {}, { timestamp: NOW_S + delta })))).toBe("AuthFailure.SignatureExpire");
  });
});

describe("keys of two accounts", () => {
  let other: { SecretId: string; SecretKey: string };
  beforeAll(async () => {
    other = await createAccount(server, "second");
  });

  it("each key works with its own SecretId", async () => {
    expect((await cvmClient(server).DescribeZones()).TotalCount).toBe(6);
    expect((await cvmClient(server, { secretId: other.SecretId, secretKey: other.SecretKey }).DescribeZones()).TotalCount).toBe(6);
  });

  it.each(["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"] as const)("another account's SecretId with the first account's key → SignatureFailure (%s)", async (signMethod) => {
    const error = await sdkError(cvmClient(server, { secretId: other.SecretId, secretKey: DEFAULT_SECRET_KEY, signMethod }).DescribeZones());
    expect(error.code).toBe("AuthFailure.SignatureFailure");
  });

  it.each(["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"] as const)("the first account's SecretId with the other account's key → SignatureFailure (%s)", async (signMethod) => {
    const error = await sdkError(cvmClient(server, { secretId: DEFAULT_SECRET_ID, secretKey: other.SecretKey, signMethod }).DescribeZones());
    expect(error.code).toBe("AuthFailure.SignatureFailure");
  });
});

describe("temporary keys (STS GetFederationToken)", () => {
  const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
  let t = T0;
  let timed: TestServer;
  beforeAll(async () => {
    // Both clocks follow t: signatures are checked on the wall clock, temporary keys expire on the resource clock.
    timed = await startTestServer({ wallClock: { now: () => t }, clock: new ControllableClock({ now: () => t }) });
  });
  afterAll(() => timed.close());

  function call(credentials: Temporary, token: string | undefined, action = "DescribeZones"): Promise<RawResponse> {
    return sendTc3(timed, {
      action,
      secretId: credentials.TmpSecretId,
      secretKey: credentials.TmpSecretKey,
      timestamp: Math.floor(t / 1000),
      ...(token !== undefined ? { token } : {}),
    });
  }

  it("work with their token, and fail without it or with a wrong one → AuthFailure.TokenFailure", async () => {
    t = T0;
    const minted = await mintTemporary(timed, 600, Math.floor(t / 1000));
    const another = await mintTemporary(timed, 600, Math.floor(t / 1000));
    expect(okOf(await call(minted, minted.Token)).TotalCount).toBe(6);
    expect(codeOf(await call(minted, undefined))).toBe("AuthFailure.TokenFailure");
    expect(codeOf(await call(minted, ""))).toBe("AuthFailure.TokenFailure");
    expect(codeOf(await call(minted, another.Token))).toBe("AuthFailure.TokenFailure");
    expect(codeOf(await call(minted, minted.Token.slice(0, -1)))).toBe("AuthFailure.TokenFailure");
    expect(codeOf(await call(minted, minted.Token + "x"))).toBe("AuthFailure.TokenFailure");
  });

  it("a token is not a key: the right token with another temporary key's secret → SignatureFailure", async () => {
    t = T0;
    const minted = await mintTemporary(timed, 600, Math.floor(t / 1000));
    const another = await mintTemporary(timed, 600, Math.floor(t / 1000));
    const response = await call({ ...minted, TmpSecretKey: another.TmpSecretKey }, minted.Token);
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("v1 with a missing or wrong Token → TokenFailure; with the right one it works", async () => {
    t = T0;
    const minted = await mintTemporary(timed, 600, Math.floor(t / 1000));
    const keys = { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, timestamp: Math.floor(t / 1000) };
    expect(okOf(await sendV1(timed, v1Form(timed, { Token: minted.Token }, keys))).TotalCount).toBe(6);
    expect(codeOf(await sendV1(timed, v1Form(timed, {}, keys)))).toBe("AuthFailure.TokenFailure");
    expect(codeOf(await sendV1(timed, v1Form(timed, { Token: "wrong" }, keys)))).toBe("AuthFailure.TokenFailure");
  });

  it("expire with their lifetime on the server's resource clock → TokenFailure, though the signature is fresh", async () => {
    t = T0;
    const minted = await mintTemporary(timed, 60, Math.floor(t / 1000));
    t = T0 + 59_000;
    expect(okOf(await call(minted, minted.Token)).TotalCount).toBe(6);
    t = T0 + 60_000;
    const error = errorOf(await call(minted, minted.Token));
    expect(error.Code).toBe("AuthFailure.TokenFailure");
    expect(error.Message).toContain("expired");
    t = T0 + 3_600_000;
    expect(codeOf(await call(minted, minted.Token))).toBe("AuthFailure.TokenFailure");
    t = T0;
  });
});

describe("the Action comes from X-TC-Action only", () => {
  it('body {"Action":"RunInstances"} with X-TC-Action DescribeZones → UnknownParameter, nothing created', async () => {
    const before = await instanceCount(server);
    const response = await signedTc3Request(server, { action: "DescribeZones", body: '{"Action":"RunInstances"}' });
    const error = errorOf(response);
    expect(error.Code).toBe("UnknownParameter");
    expect(error.Message).toContain("`Action`");
    expect(await instanceCount(server)).toBe(before);
  });

  it("a whole RunInstances request in the body of a DescribeZones call → UnknownParameter, nothing created", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", body: JSON.stringify({ Action: "RunInstances", ...BASIC_RUN }) });
    expect(codeOf(response)).toBe("UnknownParameter");
    expect(await instanceCount(server)).toBe(0);
  });

  it("Action, Version or Region in the body of RunInstances → UnknownParameter, nothing created", async () => {
    for (const extra of [{ Action: "DescribeZones" }, { Version: "2017-03-12" }, { Region: "ap-shanghai" }]) {
      const response = await signedTc3Request(server, { action: "RunInstances", body: JSON.stringify({ ...BASIC_RUN, ...extra }) });
      expect(codeOf(response), JSON.stringify(extra)).toBe("UnknownParameter");
    }
    expect(await instanceCount(server)).toBe(0);
  });

  it("Action=RunInstances in the query of a TC3 GET for DescribeZones → UnknownParameter", async () => {
    const response = await signedTc3Request(server, { method: "GET", action: "DescribeZones", query: "Action=RunInstances" });
    expect(codeOf(response)).toBe("UnknownParameter");
  });
});

describe("v1 (HmacSHA256 form POST and GET)", () => {
  it.each(["POST", "GET"] as const)("one character of the Signature changed → SignatureFailure (%s)", async (method) => {
    const pairs = v1Form(server, {}, { method });
    expect(okOf(await sendV1(server, pairs, method)).TotalCount).toBe(6);
    const [name, signature] = pairs[pairs.length - 1]!;
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    const response = await sendV1(server, [...pairs.slice(0, -1), [name, flipped]], method);
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("a parameter added after signing → SignatureFailure", async () => {
    const pairs = v1Form(server, { Action: "DescribeInstances" });
    expect(okOf(await sendV1(server, pairs)).TotalCount).toBe(0);
    const response = await sendV1(server, [...pairs, ["Limit", "1"]]);
    expect(codeOf(response)).toBe("AuthFailure.SignatureFailure");
  });

  it("a parameter changed after signing (Action, Region) → SignatureFailure", async () => {
    for (const [name, value] of [["Action", "DescribeRegions"], ["Region", "ap-shanghai"]] as const) {
      const pairs = v1Form(server, {}).map(([k, v]): [string, string] => [k, k === name ? value : v]);
      expect(codeOf(await sendV1(server, pairs)), name).toBe("AuthFailure.SignatureFailure");
    }
  });

  it("no Nonce → MissingParameter, even with a signature over the rest", async () => {
    const error = errorOf(await sendV1(server, v1Form(server, {}, { omit: ["Nonce"] })));
    expect(error.Code).toBe("MissingParameter");
    expect(error.Message).toContain("Nonce");
  });

  it("no Signature → MissingParameter", async () => {
    const error = errorOf(await sendV1(server, v1Form(server, {}).slice(0, -1)));
    expect(error.Code).toBe("MissingParameter");
    expect(error.Message).toContain("Signature");
  });
});

describe("signature comparison is constant time", () => {
  const source = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), "utf8");

  it("signaturesEqual in src/protocol/tc3.ts compares with crypto.timingSafeEqual", () => {
    const tc3 = source("protocol/tc3.ts");
    expect(tc3).toMatch(/import\s*\{[^}]*\btimingSafeEqual\b[^}]*\}\s*from\s*"node:crypto"/);
    const body = /export function signaturesEqual\(([^)]*)\)[^{]*\{([\s\S]*?)\n\}/.exec(tc3);
    expect(body, "signaturesEqual is defined in tc3.ts").not.toBeNull();
    const [, parameters, text] = body!;
    expect(text).toMatch(/return timingSafeEqual\(/);
    // No early exit on the text itself: the only comparison before timingSafeEqual is of the lengths.
    const [a, b] = parameters!.split(",").map((p) => p.split(":")[0]!.trim());
    expect(text).not.toMatch(new RegExp(`\\b${a}\\s*[!=]==?\\s*${b}\\b|\\b${b}\\s*[!=]==?\\s*${a}\\b`));
    expect(text).not.toMatch(/\.(startsWith|endsWith|includes|localeCompare)\(/);
  });

  it("every signature and token check goes through signaturesEqual", () => {
    const tc3 = source("protocol/tc3.ts");
    const v1 = source("protocol/v1.ts");
    const auth = source("auth/authenticate.ts");
    expect(tc3).toMatch(/signaturesEqual\(computed\.signature, expected\)/);
    expect(v1).toMatch(/signaturesEqual\(v1Sign\([^)]*\), expected\)/);
    expect(auth).toMatch(/signaturesEqual\(token, credential\.token\)/);
    // Secrets are compared with ===/!== only against undefined, null or "" (presence checks), never with each other.
    const secret = /^(expected|token|credential\.token|auth\.signature|req\.signature|computed\.signature)$/;
    const presence = /^(undefined|null|""|'')$/;
    for (const [name, text] of [["tc3.ts", tc3], ["v1.ts", v1], ["authenticate.ts", auth]] as const) {
      for (const m of text.matchAll(/([\w.$"']+)\s*[!=]==?\s*([\w.$"']+)/g)) {
        const [whole, left, right] = m;
        if (secret.test(left!) || secret.test(right!)) expect(presence.test(left!) || presence.test(right!), `${name}: ${whole}`).toBe(true);
      }
    }
  });

  it("answers true only for equal texts, and false without throwing for different lengths", () => {
    const sig = "d113967aa8ca9d1111d91e4068ab9cad6898a77020457535cb8855bbbf319743";
    expect(signaturesEqual(sig, sig)).toBe(true);
    expect(signaturesEqual(sig, flipSignatureDigit(`Signature=${sig}`, 10).slice(10))).toBe(false);
    expect(signaturesEqual("", "")).toBe(true);
    for (const [a, b] of [
      [sig, sig.slice(0, -1)],
      [sig, sig + "0"],
      ["", sig],
      [sig, ""],
      ["é", "e"],
      ["ab", "é"],
    ]) {
      expect(() => signaturesEqual(a!, b!)).not.toThrow();
      expect(signaturesEqual(a!, b!)).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Isolation between accounts.

const NOT_FOUND = "InvalidInstanceId.NotFound";

/** The instance actions: every implemented action whose request model has InstanceIds or InstanceId. */
const INSTANCE_ACTIONS = Object.keys(cvm.handlers).filter((action) => {
  const fields = cvm.model.types[cvm.model.actions[action]!.request] ?? {};
  return "InstanceIds" in fields || "InstanceId" in fields;
});

/** The code and message of a call, or "Success". */
async function outcome(client: CvmClientType, action: string, params: Record<string, unknown>): Promise<{ code: string; message: string; data?: Record<string, unknown> }> {
  try {
    const data = (await client.request(action, params)) as Record<string, unknown>;
    return { code: "Success", message: "", data };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? "(no code)", message: e.message };
  }
}

describe("isolation: an account never sees, changes or learns of another account's resources", () => {
  let iso: TestServer;
  let owner: CvmClientType;
  let intruder: CvmClientType;
  let ownerId: string;
  let intruderId: string;
  let ownerNet: InstanceNetwork;
  let intruderNet: InstanceNetwork;
  let ownerBefore: unknown;
  const NEVER = "ins-zz00zz00";

  async function networkOfInstance(client: CvmClientType, id: string): Promise<InstanceNetwork> {
    const { InstanceSet } = await client.DescribeInstances({ InstanceIds: [id] });
    return networkOf(InstanceSet![0]!);
  }

  /** The intruder's request of `action` naming `ids` (ModifyInstancesAttribute would name them "taken-over"). */
  const intruderRequest = (action: string, ids: string[]): Record<string, unknown> => instanceActionRequest(action, ids, intruderNet, "taken-over");

  beforeAll(async () => {
    iso = await startTestServer();
    const other = await createAccount(iso, "intruder");
    owner = cvmClient(iso);
    intruder = cvmClient(iso, { secretId: other.SecretId, secretKey: other.SecretKey });
    [ownerId] = await launchInstances(iso, owner, { InstanceName: "owned", ClientToken: "shared-token-1" });
    [intruderId] = await launchInstances(iso, intruder, { InstanceName: "intruders-own" });
    ownerNet = await networkOfInstance(owner, ownerId!);
    intruderNet = await networkOfInstance(intruder, intruderId!);
    ownerBefore = (await owner.DescribeInstances({ InstanceIds: [ownerId!] })).InstanceSet;
  });
  afterAll(() => iso.close());

  it("covers every implemented instance action", () => {
    expect(INSTANCE_ACTIONS.length).toBeGreaterThanOrEqual(20);
    for (const action of INSTANCE_ACTIONS) expect(() => intruderRequest(action, [NEVER]), action).not.toThrow();
  });

  it("every instance action answers another account's instance id exactly as an id that never existed", async () => {
    for (const action of INSTANCE_ACTIONS) {
      const foreign = await outcome(intruder, action, intruderRequest(action, [ownerId]));
      const never = await outcome(intruder, action, intruderRequest(action, [NEVER]));
      expect(foreign.code, action).toBe(never.code);
      expect(foreign.message.replaceAll(ownerId, "<id>"), action).toBe(never.message.replaceAll(NEVER, "<id>"));
      if (action === "DescribeInstances" || action === "DescribeInstancesStatus") {
        expect(foreign.code, action).toBe("Success");
        expect(foreign.data?.["TotalCount"], action).toBe(0);
      } else {
        // The request reached the instance lookup: nothing else was wrong with it.
        expect(foreign.code, action).toBe(NOT_FOUND);
        expect(foreign.message, action).not.toContain(iso.defaultAccount.uin);
      }
    }
  });

  it("a batch of the account's own instance and another account's answers as with an id that never existed", async () => {
    const batchActions = INSTANCE_ACTIONS.filter((action) => "InstanceIds" in cvm.model.types[cvm.model.actions[action]!.request]!);
    expect(batchActions.length).toBeGreaterThanOrEqual(17);
    for (const action of batchActions) {
      const foreign = await outcome(intruder, action, intruderRequest(action, [intruderId, ownerId]));
      const never = await outcome(intruder, action, intruderRequest(action, [intruderId, NEVER]));
      expect(foreign.code, action).toBe(never.code);
      expect(foreign.message.replaceAll(ownerId, "<id>"), action).toBe(never.message.replaceAll(NEVER, "<id>"));
      if (action === "DescribeInstances" || action === "DescribeInstancesStatus") {
        // Only the account's own instance is listed.
        expect(foreign.code, action).toBe("Success");
        expect(foreign.data?.["TotalCount"], action).toBe(1);
        expect(JSON.stringify(foreign.data), action).not.toContain(ownerId);
      } else {
        expect(foreign.code, action).not.toBe("Success");
      }
    }
  });

  it("left the owner's instance exactly as it was", async () => {
    const after = (await owner.DescribeInstances({ InstanceIds: [ownerId] })).InstanceSet;
    expect(after).toEqual(ownerBefore);
    expect((after ?? [])[0]?.InstanceState).toBe("RUNNING");
    expect((after ?? [])[0]?.InstanceName).toBe("owned");
  });

  it("DescribeInstances and DescribeInstancesStatus show only the account's own instances, by id, by filter or unfiltered", async () => {
    const byId = await intruder.DescribeInstances({ InstanceIds: [ownerId] });
    expect(byId.TotalCount).toBe(0);
    expect(byId.InstanceSet).toEqual([]);
    const byFilter = await intruder.DescribeInstances({ Filters: [{ Name: "instance-id", Values: [ownerId] }] });
    expect(byFilter.TotalCount).toBe(0);
    const byName = await intruder.DescribeInstances({ Filters: [{ Name: "instance-name", Values: ["owned"] }] });
    expect(byName.TotalCount).toBe(0);
    const byVpc = await intruder.DescribeInstances({ Filters: [{ Name: "vpc-id", Values: [ownerNet.vpcId] }] });
    expect(ownerNet.vpcId).not.toBe(intruderNet.vpcId);
    expect(byVpc.TotalCount).toBe(0);
    const all = await intruder.DescribeInstances({});
    expect(all.InstanceSet?.map((i) => i.InstanceId)).toEqual([intruderId]);
    const status = await intruder.DescribeInstancesStatus({ InstanceIds: [ownerId] });
    expect(status.TotalCount).toBe(0);
    expect(status.InstanceStatusSet).toEqual([]);
    const allStatus = await intruder.DescribeInstancesStatus({});
    expect(allStatus.InstanceStatusSet?.map((s) => s.InstanceId)).toEqual([intruderId]);
  });

  it("the quota shows only the account's own instances", async () => {
    const quota = await intruder.DescribeAccountQuota({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }] });
    const postPaid = quota.AccountQuotaOverview?.AccountQuota?.PostPaidQuotaSet ?? [];
    expect(postPaid.map((q) => q.UsedQuota)).toEqual([1]);
  });

  it("the same ClientToken in another account launches that account's own instance, not the owner's", async () => {
    const { InstanceIdSet } = await intruder.RunInstances({ ...BASIC_RUN, ClientToken: "shared-token-1" });
    expect(InstanceIdSet).toHaveLength(1);
    expect(InstanceIdSet).not.toContain(ownerId);
    const again = await intruder.RunInstances({ ...BASIC_RUN, ClientToken: "shared-token-1" });
    expect(again.InstanceIdSet).toEqual(InstanceIdSet);
    const ownerAgain = await owner.RunInstances({ ...BASIC_RUN, ClientToken: "shared-token-1" });
    expect(ownerAgain.InstanceIdSet).toEqual([ownerId]);
  });

  it("another account's VPC, subnet and security group are as unknown as ones that never existed", async () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      [
        "RunInstances VirtualPrivateCloud",
        { ...BASIC_RUN, VirtualPrivateCloud: { VpcId: ownerNet.vpcId, SubnetId: ownerNet.subnetId } },
        { ...BASIC_RUN, VirtualPrivateCloud: { VpcId: "vpc-zz00zz00", SubnetId: "subnet-zz00zz00" } },
      ],
      [
        "RunInstances SubnetId",
        { ...BASIC_RUN, VirtualPrivateCloud: { VpcId: intruderNet.vpcId, SubnetId: ownerNet.subnetId } },
        { ...BASIC_RUN, VirtualPrivateCloud: { VpcId: intruderNet.vpcId, SubnetId: "subnet-zz00zz00" } },
      ],
      ["RunInstances SecurityGroupIds", { ...BASIC_RUN, SecurityGroupIds: [ownerNet.securityGroupId] }, { ...BASIC_RUN, SecurityGroupIds: ["sg-zz00zz00"] }],
    ];
    const before = await instanceCount(iso);
    for (const [name, foreignParams, neverParams] of cases) {
      const foreign = await outcome(intruder, "RunInstances", foreignParams);
      const never = await outcome(intruder, "RunInstances", neverParams);
      expect(foreign.code, name).toBe(never.code);
      expect(foreign.code, name).toMatch(/NotExist|NotFound/);
      const scrub = (text: string, ids: string[]) => ids.reduce((t, id) => t.replaceAll(id, "<id>"), text);
      expect(scrub(foreign.message, [ownerNet.vpcId, ownerNet.subnetId, ownerNet.securityGroupId]), name).toBe(
        scrub(never.message, ["vpc-zz00zz00", "subnet-zz00zz00", "sg-zz00zz00"]),
      );
    }
    const sgForeign = await outcome(intruder, "AssociateSecurityGroups", { InstanceIds: [intruderId], SecurityGroupIds: [ownerNet.securityGroupId] });
    const sgNever = await outcome(intruder, "AssociateSecurityGroups", { InstanceIds: [intruderId], SecurityGroupIds: ["sg-zz00zz00"] });
    expect(sgForeign.code).toBe(sgNever.code);
    expect(sgForeign.code).toBe("InvalidSecurityGroupId.NotFound");
    expect(await instanceCount(iso)).toBe(before);
  });
});
