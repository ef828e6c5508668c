// The API 3.0 common error codes, each raised by its real condition through the running server; and the
// product-agnostic core (DryRun, InternalError, validation) exercised through a small test product.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommonClient } from "tencentcloud-sdk-nodejs-common";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import type { Product } from "../../src/gateway/product.js";
import { parseRateLimits } from "../../src/gateway/throttle.js";
import { createLogger } from "../../src/log.js";
import { cvm } from "../../src/products/cvm/index.js";
import { createSts } from "../../src/products/sts/index.js";
import type { ApiModel } from "../../src/protocol/model.js";
import { DATABASE_FILE } from "../../src/store/sqlite.js";
import { VERSION } from "../../src/version.js";
import {
  adminRequest,
  createAccount,
  cvmClient,
  envelopeOf,
  errorOf,
  isRecord,
  logLines,
  mintFederationToken,
  rawRequest,
  sdkError,
  signedTc3Request,
  sleep,
  startTestServer,
  UUID_RE,
  type TestServer,
} from "../helpers/server.js";
import { sqliteOf, credentialOf } from "../helpers/store.js";

// ---------------------------------------------------------------------------------------------------
// The test product: service tclocaltest, version 2020-01-01, two actions.

const TEST_MODEL: ApiModel = {
  service: "tclocaltest",
  version: "2020-01-01",
  source: "inline (protocol-errors.test.ts)",
  actions: {
    Echo: { request: "EchoRequest", response: "EchoResponse" },
    Explode: { request: "ExplodeRequest", response: "ExplodeResponse" },
  },
  types: {
    EchoRequest: { Name: { type: "string", required: true }, DryRun: { type: "boolean" }, Nested: { type: "EchoNested" } },
    EchoNested: { Value: { type: "number" } },
    EchoResponse: { Name: { type: "string" }, RequestId: { type: "string" } },
    ExplodeRequest: {},
    ExplodeResponse: { RequestId: { type: "string" } },
  },
};

const testProduct: Product = {
  service: "tclocaltest",
  version: "2020-01-01",
  model: TEST_MODEL,
  handlers: {
    Echo: async (ctx, params) => {
      await ctx.sql.run("CREATE TABLE IF NOT EXISTS echo (name TEXT NOT NULL)");
      await ctx.sql.run("INSERT INTO echo (name) VALUES (?)", [String(params["Name"])]);
      return { Name: params["Name"] };
    },
    Explode: () => {
      throw new Error("boom");
    },
  },
  isRegion: (region) => region === "ap-guangzhou",
  regionFree: new Set(),
  rateLimit: () => 100,
  migrations: [],
  readsOnly: () => false,
};

function testClient(server: TestServer, options: { reqMethod?: "POST" | "GET"; signMethod?: "TC3-HMAC-SHA256" | "HmacSHA1" } = {}) {
  return new CommonClient("tclocaltest.tencentcloudapi.com", "2020-01-01", {
    credential: { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY },
    region: "ap-guangzhou",
    profile: {
      signMethod: options.signMethod ?? "TC3-HMAC-SHA256",
      httpProfile: { endpoint: `127.0.0.1:${server.port}`, protocol: "http://", reqMethod: options.reqMethod ?? "POST" },
    },
  });
}

function echoRows(server: TestServer): string[] {
  sqliteOf(server).exec("CREATE TABLE IF NOT EXISTS echo (name TEXT NOT NULL)");
  return sqliteOf(server)
    .prepare<[], { name: string }>("SELECT name FROM echo ORDER BY rowid")
    .all()
    .map((r) => r.name);
}

// ---------------------------------------------------------------------------------------------------
// Temporary credentials come from STS GetFederationToken (mintFederationToken); its answer and rules are
// tested in sts.test.ts, the token checks every product shares here.

// ---------------------------------------------------------------------------------------------------

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ products: [cvm, createSts(), testProduct] });
});
afterAll(() => server.close());

describe("AuthFailure.InvalidSecretId", () => {
  it("a SecretId that is not an API key (TC3)", async () => {
    const error = await sdkError(cvmClient(server, { secretId: "not-a-key" }).DescribeZones());
    expect(error.code).toBe("AuthFailure.InvalidSecretId");
    expect(error.message).toContain("`not-a-key`");
  });

  it("a SecretId that is not an API key (HmacSHA1 GET)", async () => {
    const error = await sdkError(cvmClient(server, { secretId: "not-a-key", signMethod: "HmacSHA1", reqMethod: "GET" }).DescribeZones());
    expect(error.code).toBe("AuthFailure.InvalidSecretId");
    expect(error.message).toContain("`not-a-key`");
  });
});

describe("AuthFailure.SecretIdNotFound", () => {
  it.each(["TC3-HMAC-SHA256", "HmacSHA256"] as const)("a well-formed SecretId nobody has (%s)", async (signMethod) => {
    const secretId = "AKIDunknownUnknownUnknown000000000000";
    const error = await sdkError(cvmClient(server, { secretId, signMethod }).DescribeZones());
    expect(error.code).toBe("AuthFailure.SecretIdNotFound");
    expect(error.message).toContain(secretId);
  });
});

describe("AuthFailure.SignatureExpire", () => {
  it("an SDK whose clock is an hour behind the server's", async () => {
    const ahead = await startTestServer({ wallClock: { now: () => Date.now() + 3_600_000 } });
    try {
      const error = await sdkError(cvmClient(ahead).DescribeZones());
      expect(error.code).toBe("AuthFailure.SignatureExpire");
      expect(error.message).toMatch(/\b(3599|3600|3601) s behind\b/);
      const v1 = await sdkError(cvmClient(ahead, { signMethod: "HmacSHA1" }).DescribeZones());
      expect(v1.code).toBe("AuthFailure.SignatureExpire");
    } finally {
      await ahead.close();
    }
  });

  describe("the ±300 s window, against a server clock that stands still", () => {
    // Midday UTC, so that ±301 s stays on the same date.
    const NOW_S = Date.UTC(2026, 0, 15, 12, 0, 0) / 1000;
    let frozen: TestServer;
    beforeAll(async () => {
      frozen = await startTestServer({ wallClock: { now: () => NOW_S * 1000 + 400 } });
    });
    afterAll(() => frozen.close());

    it.each([
      [-301, "301 s behind"],
      [301, "301 s ahead of"],
    ])("timestamp now%+d → SignatureExpire", async (delta, words) => {
      const response = await signedTc3Request(frozen, { action: "DescribeZones", timestamp: NOW_S + delta });
      const error = errorOf(response);
      expect(error.Code).toBe("AuthFailure.SignatureExpire");
      expect(error.Message).toContain(words);
      expect(error.Message).toContain(String(NOW_S + delta));
    });

    it.each([-300, 0, 300])("timestamp now%+d is accepted", async (delta) => {
      const response = await signedTc3Request(frozen, { action: "DescribeZones", timestamp: NOW_S + delta });
      expect(envelopeOf(response).error).toBeUndefined();
      expect(response.json.Response.TotalCount).toBe(6);
    });

    it("a timestamp that is not a number", async () => {
      const response = await signedTc3Request(frozen, { action: "DescribeZones", timestamp: NOW_S, headers: { "X-TC-Timestamp": "soon" } });
      const error = errorOf(response);
      expect(error.Code).toBe("AuthFailure.SignatureExpire");
      expect(error.Message).toContain("soon");
    });
  });
});

describe("AuthFailure.SignatureFailure", () => {
  it("a wrong SecretKey (TC3): the server shows its canonical request and string to sign, never a key", async () => {
    const wrongKey = "wrongWrongWrongWrongWrongWrong00";
    const error = await sdkError(cvmClient(server, { secretKey: wrongKey }).DescribeZones());
    expect(error.code).toBe("AuthFailure.SignatureFailure");
    expect(error.message).toContain("canonical request");
    expect(error.message).toContain("string to sign");
    expect(error.message).toContain(`\nhost:127.0.0.1:${server.port}\n`);
    expect(error.message).toContain("\ncontent-type:application/json\n");
    expect(error.message).toContain("/127/tc3_request");
    expect(error.message).not.toContain(DEFAULT_SECRET_KEY);
    expect(error.message).not.toContain(wrongKey);
  });

  it("a wrong SecretKey (HmacSHA256 POST): the server shows its string to sign", async () => {
    const wrongKey = "wrongWrongWrongWrongWrongWrong00";
    const error = await sdkError(cvmClient(server, { secretKey: wrongKey, signMethod: "HmacSHA256" }).DescribeZones());
    expect(error.code).toBe("AuthFailure.SignatureFailure");
    expect(error.message).toContain("string to sign");
    expect(error.message).toContain(`POST127.0.0.1:${server.port}/?Action=DescribeZones&`);
    expect(error.message).not.toContain(DEFAULT_SECRET_KEY);
    expect(error.message).not.toContain(wrongKey);
  });

  it("a credential date that is not the date of the timestamp", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
    const response = await signedTc3Request(server, {
      action: "DescribeZones",
      timestamp,
      transformAuthorization: (a) => a.replace(`/${date}/`, "/2000-01-01/"),
    });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("2000-01-01");
    expect(error.Message).toContain(date);
  });

  it("SignedHeaders without host", async () => {
    const response = await signedTc3Request(server, {
      action: "DescribeZones",
      transformAuthorization: (a) => a.replace("SignedHeaders=content-type;host,", "SignedHeaders=content-type,"),
    });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.SignatureFailure");
    expect(error.Message).toContain("SignedHeaders `content-type`");
    expect(error.Message).toContain("host");
  });

  it("a body changed after signing", async () => {
    const response = await signedTc3Request(server, { action: "DescribeZones", body: "{}", signedPayload: "{ }" });
    expect(errorOf(response).Code).toBe("AuthFailure.SignatureFailure");
  });
});

describe("AuthFailure.InvalidAuthorization", () => {
  it("Authorization: SKIP (the SDK's skipSign)", async () => {
    const error = await sdkError(cvmClient(server).request("DescribeZones", {}, { skipSign: true }));
    expect(error.code).toBe("AuthFailure.InvalidAuthorization");
  });

  it.each([
    "TC3-HMAC-SHA256 garbage",
    "TC3-HMAC-SHA256 Credential=AKIDtclocalDefaultDevelopmentKey0000/2026-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=xyz",
    "Bearer abcdef",
  ])("Authorization: %s", async (authorization) => {
    const response = await signedTc3Request(server, { action: "DescribeZones", headers: { Authorization: authorization } });
    const error = errorOf(response);
    expect(error.Code).toBe("AuthFailure.InvalidAuthorization");
    expect(error.Message).toContain("TC3-HMAC-SHA256");
  });
});

describe("AuthFailure.TokenFailure and temporary credentials", () => {
  it("the credentials work with their token, through TC3 and v1, as the account that issued them", async () => {
    const minted = await mintFederationToken(server, { DurationSeconds: 60 });
    const credentials = { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, token: minted.Token };
    const tc3 = await cvmClient(server, credentials).DescribeZones();
    expect(tc3.TotalCount).toBe(6);
    const v1 = await cvmClient(server, { ...credentials, signMethod: "HmacSHA256", reqMethod: "GET" }).DescribeZones();
    expect(v1.TotalCount).toBe(6);
    expect((await credentialOf(server, minted.TmpSecretId))?.account.uin).toBe(DEFAULT_ACCOUNT.uin);
  });

  it("without the token, or with another one → TokenFailure", async () => {
    const minted = await mintFederationToken(server, { DurationSeconds: 60 });
    const noToken = await sdkError(cvmClient(server, { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey }).DescribeZones());
    expect(noToken.code).toBe("AuthFailure.TokenFailure");
    expect(noToken.message).toContain(minted.TmpSecretId);
    expect(noToken.message).toContain("token");

    const other = await mintFederationToken(server, { DurationSeconds: 60 });
    const wrongToken = await sdkError(
      cvmClient(server, { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, token: other.Token }).DescribeZones(),
    );
    expect(wrongToken.code).toBe("AuthFailure.TokenFailure");
    expect(wrongToken.message).toContain("token");
    expect(wrongToken.message).not.toContain(other.Token);
    expect(wrongToken.message).not.toContain(minted.Token);

    const v1NoToken = await sdkError(
      cvmClient(server, { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, signMethod: "HmacSHA1" }).DescribeZones(),
    );
    expect(v1NoToken.code).toBe("AuthFailure.TokenFailure");
  });

  it("a permanent key with a token → TokenFailure", async () => {
    const error = await sdkError(cvmClient(server, { token: "some-token" }).DescribeZones());
    expect(error.code).toBe("AuthFailure.TokenFailure");
    expect(error.message).toContain(DEFAULT_SECRET_ID);
    expect(error.message).toContain("permanent");
  });

  it("expired credentials → TokenFailure: they expire on the resource clock (POST /_tclocal/clock)", async () => {
    const moving = await startTestServer();
    try {
      const minted = await mintFederationToken(moving, { DurationSeconds: 1 });
      const client = cvmClient(moving, { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, token: minted.Token });
      expect((await client.DescribeZones()).TotalCount).toBe(6);
      expect((await adminRequest(moving, "POST", "/_tclocal/clock", { AdvanceSeconds: 2 })).Error).toBeUndefined();
      const error = await sdkError(client.DescribeZones());
      expect(error.code).toBe("AuthFailure.TokenFailure");
      expect(error.message).toContain("expired");
      expect(error.message).toContain(new Date(minted.ExpiredTime * 1000).toISOString().slice(0, 19));
    } finally {
      await moving.close();
    }
  });
});

describe("routing errors", () => {
  it("InvalidAction: an action no product has", async () => {
    const error = await sdkError(cvmClient(server).request("DescribeNothingAtAll", {}));
    expect(error.code).toBe("InvalidAction");
    expect(error.message).toContain("`DescribeNothingAtAll`");
    expect(error.message).toContain("2017-03-12");
  });

  it("InvalidAction: an action of another product's version", async () => {
    const error = await sdkError(cvmClient(server).request("Echo", { Name: "x" }));
    expect(error.code).toBe("InvalidAction");
    expect(error.message).toContain("`Echo`");
  });

  it("NoSuchVersion: 2099-01-01", async () => {
    const client = new CommonClient("cvm.tencentcloudapi.com", "2099-01-01", {
      credential: { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY },
      region: "ap-guangzhou",
      profile: { httpProfile: { endpoint: `127.0.0.1:${server.port}`, protocol: "http://" } },
    });
    const error = await sdkError(client.request("DescribeZones", {}));
    expect(error.code).toBe("NoSuchVersion");
    expect(error.message).toContain("`2099-01-01`");
  });

  it("UnsupportedRegion: mars-central-1", async () => {
    const error = await sdkError(cvmClient(server, { region: "mars-central-1" }).DescribeZones());
    expect(error.code).toBe("UnsupportedRegion");
    expect(error.message).toContain("`mars-central-1`");
  });

  it("a region-free action ignores a missing Region", async () => {
    const regions = await cvmClient(server, { region: "" }).DescribeRegions();
    expect(regions.TotalCount).toBe(regions.RegionSet?.length);
  });
});

describe("MissingParameter", () => {
  it("no Region for DescribeZones", async () => {
    for (const signMethod of ["TC3-HMAC-SHA256", "HmacSHA1"] as const) {
      const error = await sdkError(cvmClient(server, { region: "", signMethod }).DescribeZones());
      expect(error.code).toBe("MissingParameter");
      expect(error.message).toContain("`Region`");
    }
  });

  it("no Action, no Version", async () => {
    const noAction = errorOf(await signedTc3Request(server, { action: null }));
    expect(noAction.Code).toBe("MissingParameter");
    expect(noAction.Message).toContain("`Action`");
    const noVersion = errorOf(await signedTc3Request(server, { action: "DescribeZones", version: null }));
    expect(noVersion.Code).toBe("MissingParameter");
    expect(noVersion.Message).toContain("`Version`");
  });

  it("a required field of the model (Echo without Name)", async () => {
    const error = await sdkError(testClient(server).request("Echo", {}));
    expect(error.code).toBe("MissingParameter");
    expect(error.message).toContain("`Name`");
  });
});

describe("UnknownParameter", () => {
  it.each([
    { signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" },
    { signMethod: "HmacSHA1", reqMethod: "GET" },
  ] as const)("DescribeInstancesStatus with an extra Foo ($signMethod $reqMethod)", async (shape) => {
    const request: object = { InstanceIds: ["ins-abcd1234"], Foo: "bar" };
    const error = await sdkError(cvmClient(server, shape).DescribeInstancesStatus(request));
    expect(error.code).toBe("UnknownParameter");
    expect(error.message).toContain("`Foo`");
  });

  it("a nested unknown field (Nested.Foo)", async () => {
    const error = await sdkError(testClient(server).request("Echo", { Name: "x", Nested: { Value: 1, Foo: 2 } }));
    expect(error.code).toBe("UnknownParameter");
    expect(error.message).toContain("`Nested.Foo`");
  });
});

describe("InvalidParameter", () => {
  it("Limit \"abc\" flattened (HmacSHA1 GET) and in JSON", async () => {
    const request: object = { Limit: "abc" };
    for (const shape of [{ signMethod: "HmacSHA1", reqMethod: "GET" }, { signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" }] as const) {
      const error = await sdkError(cvmClient(server, shape).DescribeInstancesStatus(request));
      expect(error.code).toBe("InvalidParameter");
      expect(error.message).toContain("`Limit`");
      expect(error.message).toContain("number");
    }
  });

  it("InstanceIds as a string instead of an array", async () => {
    const request: object = { InstanceIds: "ins-abcd1234" };
    const error = await sdkError(cvmClient(server).DescribeInstancesStatus(request));
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toContain("`InstanceIds`");
    expect(error.message).toContain("array");
  });

  it("a nested value of the wrong type (Nested.Value)", async () => {
    const error = await sdkError(testClient(server).request("Echo", { Name: "x", Nested: { Value: "ten" } }));
    expect(error.code).toBe("InvalidParameter");
    expect(error.message).toContain("`Nested.Value`");
  });
});

describe("InvalidParameterValue", () => {
  it("Limit 101", async () => {
    const error = await sdkError(cvmClient(server).DescribeInstancesStatus({ Limit: 101 }));
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toContain("`Limit`");
    expect(error.message).toContain("101");
  });

  it("Offset -1", async () => {
    const error = await sdkError(cvmClient(server).DescribeInstancesStatus({ Offset: -1 }));
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toContain("`Offset`");
    expect(error.message).toContain("-1");
  });

  it("X-TC-Language fr-FR", async () => {
    const error = await sdkError(cvmClient(server, { headers: { "X-TC-Language": "fr-FR" } }).DescribeZones());
    expect(error.code).toBe("InvalidParameterValue");
    expect(error.message).toContain("`fr-FR`");
  });

  it("InvalidInstanceId.Malformed: ins-1122", async () => {
    const error = await sdkError(cvmClient(server).DescribeInstancesStatus({ InstanceIds: ["ins-1122"] }));
    expect(error.code).toBe("InvalidInstanceId.Malformed");
    expect(error.message).toContain("`ins-1122`");
  });

  it("InvalidParameterValue.LimitExceeded: 101 instance ids (100 are fine)", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `ins-${String(i).padStart(8, "0")}`);
    const error = await sdkError(cvmClient(server).DescribeInstancesStatus({ InstanceIds: ids }));
    expect(error.code).toBe("InvalidParameterValue.LimitExceeded");
    expect(error.message).toContain("`InstanceIds`");
    expect(error.message).toContain("101");
    // 100 ids pass the count check: the first malformed one is what fails then.
    const hundred = await sdkError(cvmClient(server).DescribeInstancesStatus({ InstanceIds: [...ids.slice(0, 99), "ins-bad"] }));
    expect(hundred.code).toBe("InvalidInstanceId.Malformed");
  });
});

describe("RequestLimitExceeded", () => {
  it("the 3rd quick call of DescribeZones=2 fails; other actions and accounts are not affected; it recovers", async () => {
    const throttled = await startTestServer({ throttle: parseRateLimits("DescribeZones=2", true) });
    try {
      const client = cvmClient(throttled);
      expect((await client.DescribeZones()).TotalCount).toBe(6);
      expect((await client.DescribeZones()).TotalCount).toBe(6);
      const error = await sdkError(client.DescribeZones());
      expect(error.code).toBe("RequestLimitExceeded");
      expect(error.message).toContain("DescribeZones");
      expect(error.message).toContain("2 per second");

      expect((await client.DescribeRegions()).TotalCount).toBeGreaterThan(0);
      const other = await createAccount(throttled, "second");
      const otherClient = cvmClient(throttled, { secretId: other.SecretId, secretKey: other.SecretKey });
      expect((await otherClient.DescribeZones()).TotalCount).toBe(6);

      await sleep(1_000);
      expect((await client.DescribeZones()).TotalCount).toBe(6);
    } finally {
      await throttled.close();
    }
  });
});

describe("UnsupportedOperation", () => {
  it("AllocateHosts, in the official model but not implemented: UnsupportedOperation, before validation", async () => {
    const error = await sdkError(cvmClient(server).AllocateHosts({ Placement: { Zone: "ap-guangzhou-3" }, HostCount: 1 }));
    expect(error.code).toBe("UnsupportedOperation");
    expect(error.message).toBe("tclocal does not implement cvm AllocateHosts yet.");
    // AllocateHosts requires Placement: the missing parameter is not reported, the action is.
    const invalid = await sdkError(cvmClient(server).request("AllocateHosts", { Foo: 1 }));
    expect(invalid.code).toBe("UnsupportedOperation");
  });

  it("every action of the model without a handler answers UnsupportedOperation, never InvalidAction", async () => {
    const missing = Object.keys(cvm.model.actions).filter((action) => cvm.handlers[action] === undefined);
    expect(missing.length).toBeGreaterThan(0);
    for (const action of missing) {
      const error = errorOf(await signedTc3Request(server, { action }));
      expect({ action, code: error.Code }).toEqual({ action, code: "UnsupportedOperation" });
      expect(error.Message).toContain(action);
    }
  });
});

describe("the test product: DryRun and InternalError in the product-agnostic core", () => {
  it("Echo answers its Name and writes a row", async () => {
    const before = echoRows(server).length;
    const answer: unknown = await testClient(server).request("Echo", { Name: "written", DryRun: false });
    expect(answer).toMatchObject({ Name: "written" });
    expect(isRecord(answer) && typeof answer["RequestId"] === "string" && UUID_RE.test(answer["RequestId"])).toBe(true);
    expect(echoRows(server).slice(before)).toEqual(["written"]);
  });

  it("DryRun true → DryRunOperation, and nothing is written", async () => {
    const before = echoRows(server);
    const error = await sdkError(testClient(server).request("Echo", { Name: "dry", DryRun: true }));
    expect(error.code).toBe("DryRunOperation");
    expect(echoRows(server)).toEqual(before);
  });

  it("flattened DryRun=true and Nested.Value are typed by the model (HmacSHA1 GET)", async () => {
    const before = echoRows(server);
    const dry = await sdkError(testClient(server, { signMethod: "HmacSHA1", reqMethod: "GET" }).request("Echo", { Name: "dry", DryRun: true, Nested: { Value: 5 } }));
    expect(dry.code).toBe("DryRunOperation");
    expect(echoRows(server)).toEqual(before);
    const wet: unknown = await testClient(server, { signMethod: "HmacSHA1", reqMethod: "GET" }).request("Echo", { Name: "wet", DryRun: false, Nested: { Value: 5 } });
    expect(wet).toMatchObject({ Name: "wet" });
    expect(echoRows(server)).toEqual([...before, "wet"]);
  });

  it("a DryRun request that would fail answers the real failure", async () => {
    const error = await sdkError(testClient(server).request("Echo", { DryRun: true }));
    expect(error.code).toBe("MissingParameter");
    expect(error.message).toContain("`Name`");
  });

  it("Explode → InternalError quoting the RequestId, with no detail or stack on the wire", async () => {
    const response = await signedTc3Request(server, { action: "Explode", version: "2020-01-01", service: "tclocaltest" });
    const { requestId } = envelopeOf(response);
    const error = errorOf(response);
    expect(error.Code).toBe("InternalError");
    expect(error.Message).toContain(requestId);
    expect(response.text).not.toContain("boom");
    expect(response.text).not.toMatch(/\bat \S+ \(|\n\s+at /);
    expect(response.text).not.toContain(".ts:");
    // The server goes on answering.
    expect((await cvmClient(server).DescribeZones()).TotalCount).toBe(6);
  });
});

describe("signature verification off", () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer({ verifySignatures: false });
  });
  afterAll(() => open.close());

  it("any SecretId with a wrong key is accepted, and each SecretId is its own account", async () => {
    const idA = "AKIDanyoneAnyoneAnyone000000000001";
    const idB = "AKIDanyoneAnyoneAnyone000000000002";
    const a = await cvmClient(open, { secretId: idA, secretKey: "wrong" }).DescribeZones();
    expect(a.TotalCount).toBe(6);
    const b = await cvmClient(open, { secretId: idB, secretKey: "also wrong", signMethod: "HmacSHA1", reqMethod: "GET" }).DescribeZones();
    expect(b.TotalCount).toBe(6);
    const uinA = (await credentialOf(open, idA))?.account.uin;
    const uinB = (await credentialOf(open, idB))?.account.uin;
    expect(uinA).toMatch(/^\d+$/);
    expect(uinB).toMatch(/^\d+$/);
    expect(uinA).not.toBe(uinB);
    expect(uinA).not.toBe(DEFAULT_ACCOUNT.uin);
    // The same SecretId keeps its account.
    await cvmClient(open, { secretId: idA, secretKey: "different again" }).DescribeRegions();
    expect((await credentialOf(open, idA))?.account.uin).toBe(uinA);
  });

  it("an unsigned GET is accepted", async () => {
    const response = await rawRequest(open, { method: "GET", target: "/?Action=DescribeZones&Version=2017-03-12&Region=ap-guangzhou" });
    expect(envelopeOf(response).error).toBeUndefined();
    expect(response.json.Response.TotalCount).toBe(6);
  });

  it("Authorization: SKIP (the SDK's skipSign) is accepted", async () => {
    const answer: unknown = await cvmClient(open).request("DescribeZones", {}, { skipSign: true });
    expect(answer).toMatchObject({ TotalCount: 6 });
  });

  it("the rest of the pipeline still runs: validation errors, routing errors", async () => {
    const error = await sdkError(cvmClient(open, { secretKey: "wrong" }).DescribeInstancesStatus({ InstanceIds: ["ins-1122"] }));
    expect(error.code).toBe("InvalidInstanceId.Malformed");
    const region = await sdkError(cvmClient(open, { region: "mars-central-1" }).DescribeZones());
    expect(region.code).toBe("UnsupportedRegion");
  });
});

describe("GET /_tclocal/health", () => {
  it("answers with the status, the version and the services", async () => {
    const answer = await adminRequest(server, "GET", "/_tclocal/health");
    expect(answer).toMatchObject({
      Status: "ok",
      Version: VERSION,
      Services: [
        { Service: "cvm", Version: "2017-03-12", Actions: Object.keys(cvm.handlers).length },
        { Service: "sts", Version: "2018-08-13", Actions: 2 },
        { Service: "tclocaltest", Version: "2020-01-01", Actions: 2 },
      ],
    });
  });

  it("an unknown admin path is a ResourceNotFound error", async () => {
    const answer = await adminRequest(server, "GET", "/_tclocal/nothing");
    expect(answer.Error).toMatchObject({ Code: "ResourceNotFound", Message: expect.stringContaining("POST /_tclocal/reset") });
  });
});

describe("persistence", () => {
  it("an account created through the admin API still authenticates after a restart; the database is in WAL mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tclocal-e2e-"));
    try {
      const first = await startTestServer({ inMemory: false, dataDir: dir });
      let created: { SecretId: string; SecretKey: string; Uin: string };
      try {
        created = await createAccount(first, "persisted");
        expect((await cvmClient(first, { secretId: created.SecretId, secretKey: created.SecretKey }).DescribeZones()).TotalCount).toBe(6);
      } finally {
        await first.close();
      }
      const second = await startTestServer({ inMemory: false, dataDir: dir });
      try {
        const zones = await cvmClient(second, { secretId: created.SecretId, secretKey: created.SecretKey }).DescribeZones();
        expect(zones.TotalCount).toBe(6);
        expect((await credentialOf(second, created.SecretId))?.account.uin).toBe(created.Uin);
        expect(existsSync(join(dir, DATABASE_FILE))).toBe(true);
        expect(sqliteOf(second).pragma("journal_mode", { simple: true })).toBe("wal");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("request log", () => {
  it("one JSON line per request, with its facts, and never a secret key", async () => {
    const lines: string[] = [];
    const logged = await startTestServer({ logger: createLogger("info", logLines(lines)), products: [cvm, createSts(), testProduct] });
    try {
      const ok = await cvmClient(logged).DescribeZones();
      const failed = await sdkError(cvmClient(logged).DescribeInstancesStatus({ InstanceIds: ["ins-1122"] }));
      expect(failed.code).toBe("InvalidInstanceId.Malformed");

      const parsed = lines.map((line): Record<string, unknown> => {
        const value: unknown = JSON.parse(line);
        if (!isRecord(value)) throw new Error(`log line is not a JSON object: ${line}`);
        return value;
      });
      expect(parsed).toHaveLength(2);
      expect(parsed[0]).toMatchObject({
        requestId: ok.RequestId,
        account: DEFAULT_ACCOUNT.uin,
        action: "DescribeZones",
        region: "ap-guangzhou",
        code: "Success",
        latencyMs: expect.any(Number),
      });
      expect(parsed[1]).toMatchObject({
        requestId: failed.requestId,
        account: DEFAULT_ACCOUNT.uin,
        action: "DescribeInstancesStatus",
        region: "ap-guangzhou",
        code: "InvalidInstanceId.Malformed",
        latencyMs: expect.any(Number),
      });
      for (const line of parsed) expect(line["latencyMs"]).toBeGreaterThanOrEqual(0);

      const wrongKey = "wrongWrongWrongWrongWrongWrong00";
      const badSignature = await sdkError(cvmClient(logged, { secretKey: wrongKey }).DescribeZones());
      expect(badSignature.code).toBe("AuthFailure.SignatureFailure");
      const v1BadSignature = await sdkError(cvmClient(logged, { secretKey: wrongKey, signMethod: "HmacSHA1" }).DescribeZones());
      expect(v1BadSignature.code).toBe("AuthFailure.SignatureFailure");
      // GetFederationToken's answer carries a secret key and a token: its log line carries neither.
      const minted = await mintFederationToken(logged, { DurationSeconds: 60 });
      await cvmClient(logged, { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, token: minted.Token }).DescribeZones();
      expect(lines).toHaveLength(6);
      expect(JSON.parse(lines[2]!)).toMatchObject({ requestId: badSignature.requestId, code: "AuthFailure.SignatureFailure", action: "DescribeZones" });
      expect(JSON.parse(lines[4]!)).toMatchObject({ account: DEFAULT_ACCOUNT.uin, action: "GetFederationToken", code: "Success" });
      for (const line of lines) {
        expect(line).not.toContain(DEFAULT_SECRET_KEY);
        expect(line).not.toContain(wrongKey);
        expect(line).not.toContain(minted.TmpSecretKey);
        expect(line).not.toContain(minted.Token);
      }
    } finally {
      await logged.close();
    }
  });

  it("an InternalError is logged with its cause and stack (which the wire never shows)", async () => {
    const lines: string[] = [];
    const logged = await startTestServer({ logger: createLogger("info", logLines(lines)), products: [cvm, testProduct] });
    try {
      const response = await signedTc3Request(logged, { action: "Explode", version: "2020-01-01", service: "tclocaltest" });
      const { requestId } = envelopeOf(response);
      expect(lines).toHaveLength(1);
      const line: unknown = JSON.parse(lines[0]!);
      expect(line).toMatchObject({ requestId, code: "InternalError", action: "Explode", level: 50 });
      if (!isRecord(line) || !isRecord(line["error"])) throw new Error(`no error in the log line: ${lines[0]}`);
      expect(line["error"]["message"]).toBe("boom");
      expect(String(line["error"]["stack"])).toMatch(/\n\s+at /);
    } finally {
      await logged.close();
    }
  });
});
