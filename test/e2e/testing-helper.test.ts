// `tclocal/testing` as a user's test calls it: the handle's endpoint, credentials and client configuration
// work with the official SDKs, and reset, the clock, accounts and stop do what they say, seen through the API.
import { connect } from "node:net";
import * as tencentcloud from "tencentcloud-sdk-nodejs-cvm";
import * as tencentcloudSts from "tencentcloud-sdk-nodejs-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { startTclocal, type Tclocal } from "../../src/testing.js";

const Cvm = tencentcloud.cvm.v20170312.Client;
const Sts = tencentcloudSts.sts.v20180813.Client;
const FIRST_INSTANCE = { Placement: { Zone: "ap-guangzhou-3" }, InstanceType: "S5.MEDIUM4", ImageId: "img-9qabwvbn" };

let tclocal: Tclocal;
let cvm: InstanceType<typeof Cvm>;
beforeAll(async () => {
  tclocal = await startTclocal();
  cvm = new Cvm(tclocal.clientConfig());
});
beforeEach(() => tclocal.reset());
afterAll(() => tclocal.stop());

function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("startTclocal", () => {
  it("listens on a free port of 127.0.0.1 and describes it, with the development key pair", () => {
    expect(tclocal.endpoint).toBe(`http://127.0.0.1:${tclocal.port}`);
    expect(tclocal.host).toBe("127.0.0.1");
    expect(tclocal.port).toBeGreaterThan(0);
    expect(tclocal.credentials).toEqual({ secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY });
    expect(tclocal.region).toBe("ap-guangzhou");
    expect(tclocal.env).toEqual({ TCLOCAL_ENDPOINT: tclocal.endpoint, TCLOCAL_SECRET_ID: DEFAULT_SECRET_ID, TCLOCAL_SECRET_KEY: DEFAULT_SECRET_KEY });
    expect(tclocal.clientConfig()).toEqual({
      credential: { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY },
      region: "ap-guangzhou",
      profile: { httpProfile: { endpoint: `127.0.0.1:${tclocal.port}`, protocol: "http://" } },
    });
  });

  it("gives a client configuration that the official CVM and STS clients use as it is, with the options it takes", async () => {
    expect((await cvm.DescribeZones(null)).TotalCount).toBe(6);
    const identity = await new Sts(tclocal.clientConfig()).GetCallerIdentity(null);
    expect(identity.AccountId).toBe(tclocal.server.defaultAccount.uin);
    const hongKong = new Cvm(tclocal.clientConfig({ region: "ap-hongkong", language: "zh-CN", signMethod: "HmacSHA256", reqMethod: "GET" }));
    const zones = await hongKong.DescribeZones(null);
    expect(zones.ZoneSet!.every((z) => z.Zone!.startsWith("ap-hongkong-"))).toBe(true);
    await expect(hongKong.StopInstances({ InstanceIds: ["ins-00000000"] })).rejects.toMatchObject({ code: "InvalidInstanceId.NotFound", message: expect.stringMatching(/[\u4e00-\u9fff]/) as unknown }); // zh-CN
  });

  it("reset() removes resources and accounts and puts the clock back to real time, running", async () => {
    const other = await tclocal.createAccount("other");
    await cvm.RunInstances(FIRST_INSTANCE);
    await tclocal.clock.set("2030-01-01T00:00:00Z");
    await tclocal.clock.freeze();
    await tclocal.reset();
    expect((await cvm.DescribeInstances({})).TotalCount).toBe(0);
    const otherCvm = new Cvm(tclocal.clientConfig({ credential: other }));
    await expect(otherCvm.DescribeZones(null)).rejects.toMatchObject({ code: "AuthFailure.SecretIdNotFound" });
    const clock = await tclocal.clock.state();
    expect(clock.frozen).toBe(false);
    expect(Math.abs(clock.now.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it("the clock can be frozen, advanced, set and unfrozen, and transitions follow it", async () => {
    const frozen = await tclocal.clock.freeze();
    expect(frozen.frozen).toBe(true);
    const { InstanceIdSet } = await cvm.RunInstances(FIRST_INSTANCE);
    const state = async () => (await cvm.DescribeInstances({ InstanceIds: InstanceIdSet! })).InstanceSet![0]!.InstanceState;
    expect(await state()).toBe("PENDING");
    expect((await tclocal.clock.state()).now.getTime()).toBe(frozen.now.getTime());
    const advanced = await tclocal.clock.advance(60);
    expect(advanced.now.getTime()).toBe(frozen.now.getTime() + 60_000);
    expect(await state()).toBe("RUNNING");
    const set = await tclocal.clock.set(new Date("2031-06-01T12:00:00Z"));
    expect(set).toEqual({ now: new Date("2031-06-01T12:00:00Z"), frozen: true });
    expect((await tclocal.clock.unfreeze()).frozen).toBe(false);
    await expect(tclocal.clock.advance(-1)).rejects.toThrow(/InvalidParameterValue/);
  });

  it("createAccount() makes an account with its own key pair and its own resources", async () => {
    const other = await tclocal.createAccount("team-b");
    expect(other.name).toBe("team-b");
    expect(other.uin).toMatch(/^\d+$/);
    expect(other.secretId).not.toBe(DEFAULT_SECRET_ID);
    await cvm.RunInstances(FIRST_INSTANCE);
    const otherCvm = new Cvm(tclocal.clientConfig({ credential: other }));
    expect((await otherCvm.DescribeInstances({})).TotalCount).toBe(0);
    expect((await cvm.DescribeInstances({})).TotalCount).toBe(1);
  });

  it("checks its options as the tclocal command checks its flags", async () => {
    await expect(startTclocal({ timing: "glacial" as "fast" })).rejects.toThrow("startTclocal: timing profile `glacial` is not one of instant, fast, realistic");
    await expect(startTclocal({ rateLimits: "DescribeZones=lots" })).rejects.toThrow(/^startTclocal: /);
  });

  it("each server is its own: another one has its own port and state, a private key pair locks the other out, and stop() frees the port", async () => {
    const own = await startTclocal({ timing: "instant", secretId: "AKIDmyOwnTestKey00000000000000000000", secretKey: "myOwnTestSecretKey00000000000000" });
    try {
      expect(own.port).not.toBe(tclocal.port);
      const ownCvm = new Cvm(own.clientConfig());
      const { InstanceIdSet } = await ownCvm.RunInstances(FIRST_INSTANCE);
      // timing "instant": RUNNING at the first read.
      expect((await ownCvm.DescribeInstances({ InstanceIds: InstanceIdSet! })).InstanceSet![0]!.InstanceState).toBe("RUNNING");
      expect((await cvm.DescribeInstances({})).TotalCount).toBe(0);
      const withDevelopmentKey = new Cvm(own.clientConfig({ credential: { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY } }));
      await expect(withDevelopmentKey.DescribeZones(null)).rejects.toMatchObject({ code: "AuthFailure.SecretIdNotFound" });
    } finally {
      await own.stop();
    }
    expect(await portRefuses(own.port)).toBe(true);
  });
});
