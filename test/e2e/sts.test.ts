// STS 2018-08-13 through the real server and the official Node SDK (tencentcloud-sdk-nodejs-sts):
// GetFederationToken (fields, lifetime on the resource clock, documented bounds and codes, permanent keys
// only), the credentials it issues (with CVM, over TC3 and v1, their token, their expiry, their account),
// and GetCallerIdentity for a root key and for a federated user.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, DEFAULT_SECRET_ID } from "../../src/auth/keys.js";
import { BASIC_RUN } from "../helpers/instances.js";
import {
  adminRequest,
  ALLOW_ALL_POLICY,
  createAccount,
  cvmClient,
  mintFederationToken,
  sdkError,
  startTestServer,
  stsClient,
  type ClientOptions,
  type FederationToken,
  type TestServer,
} from "../helpers/server.js";
import { countRows, credentialOf } from "../helpers/store.js";

const UIN = DEFAULT_ACCOUNT.uin;

function policyOf(document: unknown): string {
  return encodeURIComponent(JSON.stringify(document));
}

/** The CVM and STS client options that sign with temporary credentials (with their token unless told otherwise). */
function asTemporary(minted: FederationToken, extra: ClientOptions = {}): ClientOptions {
  return { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, token: minted.Token, ...extra };
}

async function advanceClock(server: TestServer, seconds: number): Promise<void> {
  const answer = await adminRequest(server, "POST", "/_tclocal/clock", { AdvanceSeconds: seconds });
  expect(answer.Error).toBeUndefined();
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("GetFederationToken", () => {
  it("answers Credentials {Token, TmpSecretId, TmpSecretKey}, ExpiredTime (Unix seconds) and Expiration (ISO 8601 UTC)", async () => {
    const before = Math.floor(server.clock.now() / 1000);
    const answer = await stsClient(server).GetFederationToken({ Name: "readOnly", Policy: ALLOW_ALL_POLICY, DurationSeconds: 3600 });
    const after = Math.floor(server.clock.now() / 1000);
    expect(Object.keys(answer.Credentials ?? {}).sort()).toEqual(["TmpSecretId", "TmpSecretKey", "Token"]);
    expect(answer.Credentials?.TmpSecretId).toMatch(/^AKID[0-9A-Za-z]{16,}$/);
    expect(answer.Credentials?.TmpSecretKey?.length).toBeGreaterThanOrEqual(32);
    expect(answer.Credentials?.Token?.length).toBeGreaterThanOrEqual(32);
    expect(answer.ExpiredTime).toBeGreaterThanOrEqual(before + 3600);
    expect(answer.ExpiredTime).toBeLessThanOrEqual(after + 3600);
    expect(answer.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(answer.Expiration).toBe(new Date(answer.ExpiredTime! * 1000).toISOString().replace(".000Z", "Z"));
    expect(answer.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lasts 1800 s by default; each call issues a new key pair and token", async () => {
    const before = Math.floor(server.clock.now() / 1000);
    const first = await mintFederationToken(server);
    const second = await mintFederationToken(server);
    expect(first.ExpiredTime).toBeGreaterThanOrEqual(before + 1800);
    expect(first.ExpiredTime).toBeLessThanOrEqual(Math.floor(server.clock.now() / 1000) + 1800);
    expect(second.TmpSecretId).not.toBe(first.TmpSecretId);
    expect(second.TmpSecretKey).not.toBe(first.TmpSecretKey);
    expect(second.Token).not.toBe(first.Token);
  });

  it("stores the federated user's name and the decoded policy with the credential", async () => {
    const document = { version: "2.0", statement: [{ effect: "allow", action: ["name/cvm:Describe*"], resource: ["*"] }] };
    const minted = await mintFederationToken(server, { Name: "cos-sts-nodejs", Policy: policyOf(document) });
    const stored = await credentialOf(server, minted.TmpSecretId);
    expect(stored?.account.uin).toBe(UIN);
    expect(stored?.federatedUserName).toBe("cos-sts-nodejs");
    expect(stored?.policy).toBe(JSON.stringify(document));
    expect(stored?.token).toBe(minted.Token);
    expect(stored?.expiresAt).toBe(minted.ExpiredTime * 1000);
  });

  it("DurationSeconds 1 and 7200 (a root account's maximum) are accepted", async () => {
    for (const DurationSeconds of [1, 7200]) {
      const before = Math.floor(server.clock.now() / 1000);
      const minted = await mintFederationToken(server, { DurationSeconds });
      expect(minted.ExpiredTime - before, String(DurationSeconds)).toBeGreaterThanOrEqual(DurationSeconds);
      expect(minted.ExpiredTime - before, String(DurationSeconds)).toBeLessThanOrEqual(DurationSeconds + 1);
    }
  });

  it.each([0, -1, 7201, 129600])("DurationSeconds %d → InvalidParameter.OverTimeError", async (DurationSeconds) => {
    const error = await sdkError(stsClient(server).GetFederationToken({ Name: "test", Policy: ALLOW_ALL_POLICY, DurationSeconds }));
    expect(error.code).toBe("InvalidParameter.OverTimeError");
    expect(error.message).toContain("`DurationSeconds`");
    expect(error.message).toContain(String(DurationSeconds));
    expect(error.message).toContain("7200");
  });

  it("DurationSeconds 1.5 → InvalidParameter.ParamError", async () => {
    const error = await sdkError(stsClient(server).GetFederationToken({ Name: "test", Policy: ALLOW_ALL_POLICY, DurationSeconds: 1.5 }));
    expect(error.code).toBe("InvalidParameter.ParamError");
    expect(error.message).toContain("`DurationSeconds`");
  });

  it.each(["readOnly", "cos-sts-nodejs", "a.b@c_d=e,f+g-h", "ab", "x".repeat(128)])("Name %s is accepted", async (Name) => {
    const minted = await mintFederationToken(server, { Name });
    expect((await credentialOf(server, minted.TmpSecretId))?.federatedUserName).toBe(Name);
  });

  it.each(["", "a", "has space", "名字", "semi;colon", "slash/name", "x".repeat(129)])("Name %j → InvalidParameter.ParamError", async (Name) => {
    const error = await sdkError(stsClient(server).GetFederationToken({ Name, Policy: ALLOW_ALL_POLICY }));
    expect(error.code).toBe("InvalidParameter.ParamError");
    expect(error.message).toContain("`Name`");
    expect(error.message).toContain("2 to 128");
  });

  it("Name or Policy missing → MissingParameter", async () => {
    const client = stsClient(server);
    const noName = await sdkError(client.request("GetFederationToken", { Policy: ALLOW_ALL_POLICY }));
    expect(noName.code).toBe("MissingParameter");
    expect(noName.message).toContain("`Name`");
    const noPolicy = await sdkError(client.request("GetFederationToken", { Name: "test" }));
    expect(noPolicy.code).toBe("MissingParameter");
    expect(noPolicy.message).toContain("`Policy`");
  });

  it("a policy sent without URL encoding is decoded to itself and accepted", async () => {
    const raw = JSON.stringify({ version: "2.0", statement: [{ effect: "deny", action: "cvm:RunInstances", resource: "*" }] });
    const minted = await mintFederationToken(server, { Policy: raw });
    expect((await credentialOf(server, minted.TmpSecretId))?.policy).toBe(raw);
  });

  it.each([
    ["broken URL encoding", "%7B%22version%22%3A%222.0%2"],
    ["not JSON", encodeURIComponent("allow everything")],
    ["a JSON array", policyOf([{ version: "2.0" }])],
    ["no version", policyOf({ statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] })],
    ["version 1.0", policyOf({ version: "1.0", statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] })],
    ["no statement", policyOf({ version: "2.0" })],
    ["an empty statement", policyOf({ version: "2.0", statement: [] })],
    ["effect permit", policyOf({ version: "2.0", statement: [{ effect: "permit", action: ["*"], resource: ["*"] }] })],
    ["no action", policyOf({ version: "2.0", statement: [{ effect: "allow", resource: ["*"] }] })],
    ["an empty resource list", policyOf({ version: "2.0", statement: [{ effect: "allow", action: ["*"], resource: [] }] })],
    ["a statement that is a string", policyOf({ version: "2.0", statement: ["allow"] })],
  ])("Policy with %s → InvalidParameter.StrategyFormatError", async (_what, Policy) => {
    const error = await sdkError(stsClient(server).GetFederationToken({ Name: "test", Policy }));
    expect(error.code).toBe("InvalidParameter.StrategyFormatError");
    expect(error.message).toContain("`Policy`");
    expect(error.message).toContain('"2.0"');
  });

  it.each([
    ["the document", policyOf({ version: "2.0", principal: { qcs: ["qcs::cam::uin/1:root"] }, statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] })],
    ["a statement", policyOf({ version: "2.0", statement: [{ effect: "allow", action: ["*"], resource: ["*"], principal: "*" }] })],
  ])("a principal element in %s → InvalidParameter.StrategyInvalid", async (_where, Policy) => {
    const error = await sdkError(stsClient(server).GetFederationToken({ Name: "test", Policy }));
    expect(error.code).toBe("InvalidParameter.StrategyInvalid");
    expect(error.message).toContain("principal");
  });

  it("called with temporary credentials → UnsupportedOperation, and nothing is issued", async () => {
    const minted = await mintFederationToken(server);
    const count = await countRows(server, "credentials");
    const error = await sdkError(stsClient(server, asTemporary(minted)).GetFederationToken({ Name: "again", Policy: ALLOW_ALL_POLICY }));
    expect(error.code).toBe("UnsupportedOperation");
    expect(error.message).toContain(minted.TmpSecretId);
    expect(error.message).toContain("permanent");
    expect(await countRows(server, "credentials")).toBe(count);
  });

  it.each([
    ["HmacSHA256 POST", { signMethod: "HmacSHA256" }],
    ["HmacSHA1 GET", { signMethod: "HmacSHA1", reqMethod: "GET" }],
    ["TC3 GET", { reqMethod: "GET" }],
  ] as const)("works over %s, the URL-encoded policy encoded once more", async (_how, options) => {
    const minted = await mintFederationToken(server, { Name: "v1-caller" }, options);
    const stored = await credentialOf(server, minted.TmpSecretId);
    expect(stored?.federatedUserName).toBe("v1-caller");
    expect(stored?.policy).toBe(decodeURIComponent(ALLOW_ALL_POLICY));
  });

  it("a region STS does not serve → UnsupportedRegion; AssumeRole (not emulated) → UnsupportedOperation", async () => {
    const region = await sdkError(stsClient(server, { region: "xx-nowhere-1" }).GetFederationToken({ Name: "test", Policy: ALLOW_ALL_POLICY }));
    expect(region.code).toBe("UnsupportedRegion");
    const assume = await sdkError(stsClient(server).AssumeRole({ RoleArn: "qcs::cam::uin/1:roleName/x", RoleSessionName: "session" }));
    expect(assume.code).toBe("UnsupportedOperation");
  });
});

describe("the credentials GetFederationToken issues", () => {
  it("call CVM with their token, over TC3 and v1 (HmacSHA256 and HmacSHA1), as the account that issued them", async () => {
    const minted = await mintFederationToken(server, { DurationSeconds: 600 });
    for (const options of [{}, { signMethod: "HmacSHA256" }, { signMethod: "HmacSHA1", reqMethod: "GET" }] as const) {
      const zones = await cvmClient(server, asTemporary(minted, options)).DescribeZones();
      expect(zones.TotalCount, JSON.stringify(options)).toBeGreaterThan(0);
    }
    // The same account: an instance the root key launched is the temporary credentials' to see.
    const { InstanceIdSet } = await cvmClient(server).RunInstances(BASIC_RUN);
    const seen = await cvmClient(server, asTemporary(minted)).DescribeInstances({ InstanceIds: InstanceIdSet });
    expect(seen.TotalCount).toBe(1);
  });

  it.each([
    ["TC3", {}],
    ["HmacSHA256", { signMethod: "HmacSHA256" }],
  ] as const)("without their token, or with another one → AuthFailure.TokenFailure (%s)", async (_how, options) => {
    const minted = await mintFederationToken(server);
    const other = await mintFederationToken(server);
    const keys = { secretId: minted.TmpSecretId, secretKey: minted.TmpSecretKey, ...options };
    const noToken = await sdkError(cvmClient(server, keys).DescribeZones());
    expect(noToken.code).toBe("AuthFailure.TokenFailure");
    expect(noToken.message).toContain(minted.TmpSecretId);
    const wrongToken = await sdkError(cvmClient(server, { ...keys, token: other.Token }).DescribeZones());
    expect(wrongToken.code).toBe("AuthFailure.TokenFailure");
    expect(wrongToken.message).not.toContain(other.Token);
    expect(wrongToken.message).not.toContain(minted.Token);
  });

  it("a permanent key with a token → AuthFailure.TokenFailure", async () => {
    const error = await sdkError(stsClient(server, { token: "some-token" }).GetCallerIdentity());
    expect(error.code).toBe("AuthFailure.TokenFailure");
    expect(error.message).toContain(DEFAULT_SECRET_ID);
  });
});

describe("expiry on the resource clock", () => {
  let timed: TestServer;
  beforeAll(async () => {
    timed = await startTestServer();
  });
  afterAll(() => timed.close());

  it("ExpiredTime and Expiration follow the resource clock, not the wall clock", async () => {
    expect((await adminRequest(timed, "POST", "/_tclocal/clock", { Set: "2030-01-01T00:00:00Z", Freeze: true })).Error).toBeUndefined();
    const minted = await mintFederationToken(timed);
    expect(minted.ExpiredTime).toBe(Date.UTC(2030, 0, 1, 0, 30, 0) / 1000);
    expect(minted.Expiration).toBe("2030-01-01T00:30:00Z");
    expect((await adminRequest(timed, "POST", "/_tclocal/reset")).Error).toBeUndefined();
  });

  it("credentials work until ExpiredTime, then → AuthFailure.TokenFailure (TC3 and v1), though the signature is fresh", async () => {
    const minted = await mintFederationToken(timed, { DurationSeconds: 60 });
    const tc3 = cvmClient(timed, asTemporary(minted));
    const v1 = cvmClient(timed, asTemporary(minted, { signMethod: "HmacSHA256" }));
    expect((await tc3.DescribeZones()).TotalCount).toBeGreaterThan(0);
    const left = minted.ExpiredTime - Math.floor(timed.clock.now() / 1000);
    await advanceClock(timed, left - 2);
    expect((await v1.DescribeZones()).TotalCount).toBeGreaterThan(0);
    await advanceClock(timed, 2);
    for (const client of [tc3, v1]) {
      const error = await sdkError(client.DescribeZones());
      expect(error.code).toBe("AuthFailure.TokenFailure");
      expect(error.message).toContain("expired");
      expect(error.message).toContain(minted.Expiration.slice(0, 19));
    }
    // Hours later the answer is the same, not SecretIdNotFound.
    await advanceClock(timed, 6 * 3600);
    expect((await sdkError(tc3.DescribeZones())).code).toBe("AuthFailure.TokenFailure");
    // The root key is unaffected by the moved resource clock: its signatures follow the wall clock.
    expect((await cvmClient(timed).DescribeZones()).TotalCount).toBeGreaterThan(0);
  });

  it("expired credentials are dropped a day after expiry, when new ones are issued", async () => {
    const old = await mintFederationToken(timed, { DurationSeconds: 60 });
    await advanceClock(timed, 60 + 24 * 3600 + 1);
    await mintFederationToken(timed);
    expect(await credentialOf(timed, old.TmpSecretId)).toBeUndefined();
    expect((await sdkError(cvmClient(timed, asTemporary(old)).DescribeZones())).code).toBe("AuthFailure.SecretIdNotFound");
  });
});

describe("GetCallerIdentity", () => {
  it("for the root account's permanent key: the account itself", async () => {
    const identity = await stsClient(server).GetCallerIdentity();
    expect({ ...identity, RequestId: undefined }).toEqual({
      Arn: `qcs::cam:${UIN}:uin/${UIN}`,
      AccountId: UIN,
      UserId: UIN,
      PrincipalId: UIN,
      Type: "CAMUser",
      RequestId: undefined,
    });
  });

  it("for federation-token credentials: the federated user of the account (UserId <uin>:<name>)", async () => {
    const minted = await mintFederationToken(server, { Name: "federatedUserName" });
    for (const options of [{}, { signMethod: "HmacSHA256" }] as const) {
      const identity = await stsClient(server, asTemporary(minted, options)).GetCallerIdentity();
      expect({ ...identity, RequestId: undefined }, JSON.stringify(options)).toEqual({
        Arn: `qcs::sts:${UIN}:federated-user/${UIN}`,
        AccountId: UIN,
        UserId: `${UIN}:federatedUserName`,
        PrincipalId: UIN,
        Type: "CAMUser",
        RequestId: undefined,
      });
    }
  });
});

describe("account isolation", () => {
  it("credentials minted by account B act on B only", async () => {
    const b = await createAccount(server, "sts-b");
    const bKey = { secretId: b.SecretId, secretKey: b.SecretKey };
    const minted = await mintFederationToken(server, { Name: "b-user" }, bKey);
    expect((await credentialOf(server, minted.TmpSecretId))?.account.uin).toBe(b.Uin);

    const identity = await stsClient(server, asTemporary(minted)).GetCallerIdentity();
    expect(identity.AccountId).toBe(b.Uin);
    expect(identity.UserId).toBe(`${b.Uin}:b-user`);
    expect(identity.Arn).toBe(`qcs::sts:${b.Uin}:federated-user/${b.Uin}`);

    const { InstanceIdSet: rootIds } = await cvmClient(server).RunInstances(BASIC_RUN);
    const { InstanceIdSet: bIds } = await cvmClient(server, asTemporary(minted)).RunInstances(BASIC_RUN);
    const seenByB = await cvmClient(server, asTemporary(minted)).DescribeInstances({ Limit: 100 });
    const bSees = (seenByB.InstanceSet ?? []).map((i) => i.InstanceId);
    expect(bSees).toEqual(bIds);
    expect(bSees).not.toContain(rootIds![0]);
    expect((await cvmClient(server, bKey).DescribeInstances({ InstanceIds: bIds })).TotalCount).toBe(1);
    expect((await cvmClient(server).DescribeInstances({ InstanceIds: bIds })).TotalCount).toBe(0);
  });
});

describe("messages in Chinese (zh-CN)", () => {
  it("InvalidParameter.OverTimeError names DurationSeconds, the value and the range", async () => {
    const error = await sdkError(
      stsClient(server, { language: "zh-CN" }).GetFederationToken({ Name: "test", Policy: ALLOW_ALL_POLICY, DurationSeconds: 9000 }),
    );
    expect(error.code).toBe("InvalidParameter.OverTimeError");
    expect(error.message).toContain("参数`DurationSeconds`的取值 9000 超出范围");
    expect(error.message).toContain("7200");
  });

  it("UnsupportedOperation for temporary credentials says that only permanent keys may call it", async () => {
    const minted = await mintFederationToken(server);
    const error = await sdkError(
      stsClient(server, asTemporary(minted, { language: "zh-CN" })).GetFederationToken({ Name: "test", Policy: ALLOW_ALL_POLICY }),
    );
    expect(error.code).toBe("UnsupportedOperation");
    expect(error.message).toContain("仅支持永久密钥调用");
    expect(error.message).toContain(minted.TmpSecretId);
  });

  it("InvalidParameter.StrategyInvalid and InvalidParameter.ParamError name the parameter", async () => {
    const client = stsClient(server, { language: "zh-CN" });
    const principal = policyOf({ version: "2.0", principal: "*", statement: [{ effect: "allow", action: "*", resource: "*" }] });
    const invalid = await sdkError(client.GetFederationToken({ Name: "test", Policy: principal }));
    expect(invalid.code).toBe("InvalidParameter.StrategyInvalid");
    expect(invalid.message).toContain("不能包含 principal 元素");
    const name = await sdkError(client.GetFederationToken({ Name: "a b", Policy: ALLOW_ALL_POLICY }));
    expect(name.code).toBe("InvalidParameter.ParamError");
    expect(name.message).toContain("参数`Name`的取值");
  });
});
