// Every request shape the official clients produce, and the raw shapes they cannot, against the real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cvmClient,
  envelopeOf,
  errorOf,
  rawRequest,
  sdkError,
  signedTc3Request,
  signTc3Post,
  startTestServer,
  UUID_RE,
  type ClientOptions,
  type TestServer,
} from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CJK_RE = /[\u4e00-\u9fff]/;

/** A normal SDK call, to show the server still answers after an odd request. */
async function expectStillServing(): Promise<void> {
  const zones = await cvmClient(server).DescribeZones();
  expect(zones.TotalCount).toBe(6);
}

const SHAPES: Array<{ name: string; options: ClientOptions }> = [
  { name: "TC3-HMAC-SHA256 POST", options: { signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" } },
  { name: "TC3-HMAC-SHA256 GET", options: { signMethod: "TC3-HMAC-SHA256", reqMethod: "GET" } },
  { name: "HmacSHA256 POST", options: { signMethod: "HmacSHA256", reqMethod: "POST" } },
  { name: "HmacSHA256 GET", options: { signMethod: "HmacSHA256", reqMethod: "GET" } },
  { name: "HmacSHA1 GET", options: { signMethod: "HmacSHA1", reqMethod: "GET" } },
  { name: "HmacSHA1 POST", options: { signMethod: "HmacSHA1", reqMethod: "POST" } },
];

describe.each(SHAPES)("the official SDK, $name", ({ options }) => {
  it("DescribeZones lists the 6 Guangzhou zones", async () => {
    const answer = await cvmClient(server, options).DescribeZones();
    expect(answer.TotalCount).toBe(6);
    expect(answer.ZoneSet).toHaveLength(6);
    const zone3 = answer.ZoneSet?.find((z) => z.Zone === "ap-guangzhou-3");
    expect(zone3?.ZoneId).toBe("100003");
    expect(answer.RequestId).toMatch(UUID_RE);
  });

  it("DescribeInstancesStatus gets typed values from its parameters", async () => {
    const answer = await cvmClient(server, options).DescribeInstancesStatus({ InstanceIds: ["ins-abcd1234"], Limit: 10 });
    expect(answer.TotalCount).toBe(0);
    expect(answer.InstanceStatusSet).toEqual([]);
    expect(answer.RequestId).toMatch(UUID_RE);
  });

  it("the parameters reach the action (Limit 101, a malformed id)", async () => {
    const limit = await sdkError(cvmClient(server, options).DescribeInstancesStatus({ InstanceIds: ["ins-abcd1234"], Limit: 101 }));
    expect(limit.code).toBe("InvalidParameterValue");
    expect(limit.message).toContain("`Limit`");
    expect(limit.message).toContain("101");
    const malformed = await sdkError(cvmClient(server, options).DescribeInstancesStatus({ InstanceIds: ["ins-abcd1234", "ins-1122"] }));
    expect(malformed.code).toBe("InvalidInstanceId.Malformed");
    expect(malformed.message).toContain("`ins-1122`");
    expect(malformed.message).toContain("InstanceIds.1");
  });
});

describe("the envelope", () => {
  it("a success is HTTP 200, application/json, with a UUID RequestId that the X-TC-RequestId header repeats", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones" });
    const { requestId, error } = envelopeOf(response);
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(requestId).toMatch(UUID_RE);
    expect(response.headers["x-tc-requestid"]).toBe(requestId);
    expect(response.json.Response.TotalCount).toBe(6);
  });

  it("an error is HTTP 200, application/json, with a UUID RequestId that the X-TC-RequestId header repeats", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", region: "mars-central-1" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    const requestId = response.json.Response.RequestId;
    expect(requestId).toMatch(UUID_RE);
    expect(response.headers["x-tc-requestid"]).toBe(requestId);
    expect(response.json.Response.Error?.Code).toBe("UnsupportedRegion");
    expect(Object.keys(response.json.Response).sort()).toEqual(["Error", "RequestId"]);
  });

  it("every RequestId is new", async () => {
    const a = envelopeOf(await signedTc3Request(server, { action: "DescribeZones" })).requestId;
    const b = envelopeOf(await signedTc3Request(server, { action: "DescribeZones" })).requestId;
    expect(a).not.toBe(b);
  });

  it("echoes X-TC-TraceId, and sends none when none came", async () => {
    const traced = await signedTc3Request(server, { action: "DescribeZones", headers: { "X-TC-TraceId": "3f0e2c6a-trace-0001" } });
    envelopeOf(traced);
    expect(traced.headers["x-tc-traceid"]).toBe("3f0e2c6a-trace-0001");
    const failing = await signedTc3Request(server, { action: "DescribeZones", region: "nowhere-1", headers: { "X-TC-TraceId": "trace-of-an-error" } });
    expect(errorOf(failing).Code).toBe("UnsupportedRegion");
    expect(failing.headers["x-tc-traceid"]).toBe("trace-of-an-error");
    const untraced = await signedTc3Request(server, { action: "DescribeZones" });
    envelopeOf(untraced);
    expect(untraced.headers["x-tc-traceid"]).toBeUndefined();
  });

  it("the SDK's error carries the echoed trace id", async () => {
    const client = cvmClient(server, { region: "mars-central-1", headers: { "X-TC-TraceId": "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d" } });
    const error = await sdkError(client.DescribeZones());
    expect(error.code).toBe("UnsupportedRegion");
    expect(error.traceId).toBe("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
    expect(error.requestId).toMatch(UUID_RE);
  });
});

describe("X-TC-Language", () => {
  it("an error message is Chinese with zh-CN and English by default (and with en-US)", async () => {
    const zh = await sdkError(cvmClient(server, { region: "mars-central-1", language: "zh-CN" }).DescribeZones());
    expect(zh.code).toBe("UnsupportedRegion");
    expect(zh.message).toMatch(CJK_RE);
    expect(zh.message).toContain("mars-central-1");

    const byDefault = await sdkError(cvmClient(server, { region: "mars-central-1" }).DescribeZones());
    expect(byDefault.code).toBe("UnsupportedRegion");
    expect(byDefault.message).not.toMatch(CJK_RE);
    expect(byDefault.message).toContain("mars-central-1");

    const en = await sdkError(cvmClient(server, { region: "mars-central-1", language: "en-US" }).DescribeZones());
    expect(en.message).toBe(byDefault.message);
  });

  it("the v1 Language parameter selects Chinese too", async () => {
    const zh = await sdkError(cvmClient(server, { region: "", language: "zh-CN", signMethod: "HmacSHA256", reqMethod: "GET" }).DescribeZones());
    expect(zh.code).toBe("MissingParameter");
    expect(zh.message).toMatch(CJK_RE);
    expect(zh.message).toContain("Region");
  });

  it("DescribeRegions names the regions in the request's language", async () => {
    const zh = await cvmClient(server, { language: "zh-CN" }).DescribeRegions();
    expect(zh.RegionSet?.find((r) => r.Region === "ap-guangzhou")?.RegionName).toBe("华南地区(广州)");
    const en = await cvmClient(server).DescribeRegions();
    expect(en.RegionSet?.find((r) => r.Region === "ap-guangzhou")?.RegionName).toBe("South China (Guangzhou)");
    expect(en.TotalCount).toBe(zh.TotalCount);
  });
});

describe("raw requests the real clients send", () => {
  it("an absolute-form target (Go through HTTP_PROXY) with Host cvm.tencentcloudapi.com", async () => {
    const response = await signedTc3Request(server, {
      action: "DescribeZones",
      target: "http://cvm.tencentcloudapi.com/",
      signUrl: "http://cvm.tencentcloudapi.com/",
      headers: { Host: "cvm.tencentcloudapi.com" },
    });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(6);
  });

  it("header names in any case (Go sends X-Tc-Action)", async () => {
    const body = Buffer.from('{"InstanceIds":["ins-abcd1234"],"Limit":10}');
    const timestamp = Math.floor(Date.now() / 1000);
    const authorization = signTc3Post(server, body, timestamp);
    const response = await rawRequest(server, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        AUTHORIZATION: authorization,
        "x-tc-action": "DescribeInstancesStatus",
        "X-Tc-Version": "2017-03-12",
        "X-Tc-Region": "ap-guangzhou",
        "X-Tc-Timestamp": String(timestamp),
      },
      body,
    });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(0);
    expect(response.json.Response.InstanceStatusSet).toEqual([]);
  });

  it.each(["127", "foo", "localhost:9000"])("a credential-scope service %j that is not cvm", async (service) => {
    const response = await signedTc3Request(server, { action: "DescribeZones", service });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(6);
  });

  it("a Python-style body (spaces, \\uXXXX escapes) is hashed as the raw bytes", async () => {
    const body = '{"InstanceIds": ["\\u0069ns-abcd1234"], "Limit": 10}';
    const response = await signedTc3Request(server, { action: "DescribeInstancesStatus", body });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(0);
    // The escape is decoded for the action: a malformed id written with escapes is named decoded.
    const malformed = await signedTc3Request(server, { action: "DescribeInstancesStatus", body: '{"InstanceIds": ["\\u0069ns-\\u4e00"]}' });
    expect(errorOf(malformed).Code).toBe("InvalidInstanceId.Malformed");
    expect(errorOf(malformed).Message).toContain("`ins-一`");
  });

  it("application/json; charset=utf-8", async () => {
    const response = await signedTc3Request(server, {
      action: "DescribeInstancesStatus",
      contentType: "application/json; charset=utf-8",
      body: '{"Limit":5}',
    });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(0);
  });

  it("a TC3 GET is verified on the raw query as sent, %20 and + alike", async () => {
    for (const query of ["InstanceIds.0=ins%20abc&Limit=10", "InstanceIds.0=ins+abc&Limit=10", "Limit=10&InstanceIds.0=ins+abc"]) {
      const response = await signedTc3Request(server, { method: "GET", action: "DescribeInstancesStatus", query });
      // Past authentication: the decoded value reaches the action, which names it.
      const error = errorOf(response);
      expect(error.Code).toBe("InvalidInstanceId.Malformed");
      expect(error.Message).toContain("`ins abc`");
    }
    const valid = await signedTc3Request(server, { method: "GET", action: "DescribeInstancesStatus", query: "Limit=10&Offset=0&InstanceIds.0=ins-abcd1234" });
    expect(envelopeOf(valid).error).toBeUndefined();
    expect(valid.json.Response.TotalCount).toBe(0);
  });

  it("a TC3 GET whose query was re-encoded after signing fails, and the server shows the query it used", async () => {
    const response = await signedTc3Request(server, {
      method: "GET",
      action: "DescribeInstancesStatus",
      query: "InstanceIds.0=ins+abc&Limit=10",
      signUrl: `http://127.0.0.1:${server.port}/?InstanceIds.0=ins%20abc&Limit=10`,
    });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("\nInstanceIds.0=ins+abc&Limit=10\n");
  });

  it("X-TC-Content-SHA256: UNSIGNED-PAYLOAD signs the literal instead of the body", async () => {
    const body = '{"InstanceIds":["ins-abcd1234"],"Limit":10}';
    const unsigned = await signedTc3Request(server, {
      action: "DescribeInstancesStatus",
      body,
      signedPayload: "UNSIGNED-PAYLOAD",
      headers: { "X-TC-Content-SHA256": "UNSIGNED-PAYLOAD" },
    });
    expect(envelopeOf(unsigned).error).toBeUndefined();
    expect(unsigned.json.Response.TotalCount).toBe(0);
    // Without the header the same signature does not cover the body.
    const withoutHeader = await signedTc3Request(server, { action: "DescribeInstancesStatus", body, signedPayload: "UNSIGNED-PAYLOAD" });
    expect(errorOf(withoutHeader).Code).toBe("AuthFailure.SignatureFailure");
  });
});

describe("raw shapes the SDK cannot produce", () => {
  it.each(["PUT", "DELETE", "PATCH"])("%s → UnsupportedProtocol", async (method) => {
    const response = await signedTc3Request(server, { method, action: "DescribeZones", body: "{}" });
    const error = errorOf(response);
    expect(error.Code).toBe("UnsupportedProtocol");
    expect(error.Message).toContain(method);
    await expectStillServing();
  });

  it("a body that is not JSON, correctly signed → InvalidParameter", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", body: '{"Limit": ' });
    const error = errorOf(response);
    expect(error.Code).toBe("InvalidParameter");
    expect(error.Message).toContain("JSON");
    await expectStillServing();
  });

  it("a JSON array body → InvalidParameter", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", body: "[]" });
    const error = errorOf(response);
    expect(error.Code).toBe("InvalidParameter");
    expect(error.Message).toContain("JSON object");
    await expectStillServing();
  });

  it("a text/plain POST → InvalidRequest", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", body: "{}", contentType: "text/plain" });
    const error = errorOf(response);
    expect(error.Code).toBe("InvalidRequest");
    expect(error.Message).toContain("text/plain");
    await expectStillServing();
  });

  it("a multipart/form-data POST → InvalidRequest", async () => {
    const response = await signedTc3Request(server, {
      action: "DescribeZones",
      contentType: "multipart/form-data; boundary=tclocalboundary",
      body: '--tclocalboundary\r\nContent-Disposition: form-data; name="Limit"\r\n\r\n10\r\n--tclocalboundary--\r\n',
    });
    const error = errorOf(response);
    expect(error.Code).toBe("InvalidRequest");
    expect(error.Message).toContain("multipart/form-data");
    await expectStillServing();
  });

  it("a POST with no Content-Type → InvalidRequest (signed or not)", async () => {
    const signed = await signedTc3Request(server, { action: "DescribeZones", body: "{}", contentType: null });
    expect(errorOf(signed).Code).toBe("InvalidRequest");
    const bare = await rawRequest(server, { method: "POST", body: "Action=DescribeZones&Version=2017-03-12&Region=ap-guangzhou" });
    expect(errorOf(bare).Code).toBe("InvalidRequest");
    await expectStillServing();
  });

  it("a TC3 JSON body of 10 MiB + 1 byte → RequestSizeLimitExceeded; exactly 10 MiB is read", async () => {
    const limit = 10 * 1024 * 1024;
    const jsonOfSize = (size: number) => `{"Pad":"${"x".repeat(size - 10)}"}`;
    expect(Buffer.byteLength(jsonOfSize(limit))).toBe(limit);

    const over = await signedTc3Request(server, { action: "DescribeZones", body: jsonOfSize(limit + 1) });
    const error = errorOf(over);
    expect(error.Code).toBe("RequestSizeLimitExceeded");
    expect(error.Message).toContain(String(limit));
    await expectStillServing();

    const atLimit = await signedTc3Request(server, { action: "DescribeZones", body: jsonOfSize(limit) });
    expect(errorOf(atLimit).Code).toBe("UnknownParameter");
    expect(errorOf(atLimit).Message).toContain("`Pad`");
    await expectStillServing();
  });

  it("a v1 form body over 1 MiB → RequestSizeLimitExceeded; exactly 1 MiB is read", async () => {
    const limit = 1024 * 1024;
    const head = "Action=DescribeZones&Version=2017-03-12&Region=ap-guangzhou&Pad=";
    const formOfSize = (size: number) => head + "x".repeat(size - head.length);
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };

    const over = await rawRequest(server, { method: "POST", headers, body: formOfSize(limit + 1) });
    const error = errorOf(over);
    expect(error.Code).toBe("RequestSizeLimitExceeded");
    expect(error.Message).toContain(String(limit));
    await expectStillServing();

    const atLimit = await rawRequest(server, { method: "POST", headers, body: formOfSize(limit) });
    expect(errorOf(atLimit).Code).toBe("MissingParameter");
    expect(errorOf(atLimit).Message).toContain("`SecretId`");
    await expectStillServing();
  });

  it("a GET over 32 KiB → RequestSizeLimitExceeded; exactly 32 KiB is read", async () => {
    const limit = 32 * 1024;
    const head = "/?Action=DescribeZones&Version=2017-03-12&Region=ap-guangzhou&Pad=";
    const targetOfSize = (size: number) => head + "x".repeat(size - head.length);

    const over = await rawRequest(server, { method: "GET", target: targetOfSize(limit + 1) });
    const error = errorOf(over);
    expect(error.Code).toBe("RequestSizeLimitExceeded");
    expect(error.Message).toContain(String(limit));
    await expectStillServing();

    const atLimit = await rawRequest(server, { method: "GET", target: targetOfSize(limit) });
    expect(errorOf(atLimit).Code).toBe("MissingParameter");
    expect(errorOf(atLimit).Message).toContain("`SecretId`");
    await expectStillServing();
  });
});
