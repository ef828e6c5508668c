// The instance lifecycle as a client sees it: transitions on the clock, refusals per state, filters,
// accounts kept apart, a Terraform-style run, and state that survives a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe as suite, expect, it } from "vitest";
import { BASIC_RUN, describeOne, launchInstances, SETTLE_MS } from "../helpers/instances.js";
import { adminRequest, createAccount, cvmClient, sdkError, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";
import { CVM_MIGRATIONS } from "../../src/products/cvm/schema.js";
import { CORE_MIGRATIONS } from "../../src/store/migrations.js";
import { openDatabase } from "../../src/store/sqlite.js";

let server: TestServer;
let client: CvmClientType;

beforeAll(async () => {
  server = await startTestServer();
  client = cvmClient(server);
});
afterAll(() => server.close());
beforeEach(async () => {
  await adminRequest(server, "POST", "/_tclocal/reset");
  server.clock.freeze();
});

async function state(id: string): Promise<string | undefined> {
  return (await describeOne(client, id)).InstanceState;
}

suite("transitions", () => {
  it("stops, starts and reboots through the transitional states", async () => {
    const [id] = await launchInstances(server, client);
    const stop = await client.StopInstances({ InstanceIds: [id!] });
    expect(await state(id!)).toBe("STOPPING");
    let i = await describeOne(client, id!);
    expect(i.LatestOperation).toBe("StopInstances");
    expect(i.LatestOperationState).toBe("OPERATING");
    expect(i.LatestOperationRequestId).toBe(stop.RequestId);
    server.clock.advance(SETTLE_MS);
    i = await describeOne(client, id!);
    expect(i.InstanceState).toBe("STOPPED");
    expect(i.LatestOperationState).toBe("SUCCESS");
    expect(i.StopChargingMode).toBe("KEEP_CHARGING");

    await client.StartInstances({ InstanceIds: [id!] });
    expect(await state(id!)).toBe("STARTING");
    server.clock.advance(SETTLE_MS);
    expect(await state(id!)).toBe("RUNNING");

    await client.RebootInstances({ InstanceIds: [id!], StopType: "SOFT" });
    expect(await state(id!)).toBe("REBOOTING");
    server.clock.advance(SETTLE_MS);
    expect(await state(id!)).toBe("RUNNING");
  });

  it("stays in a transitional state until the clock moves", async () => {
    const { InstanceIdSet } = await client.RunInstances(BASIC_RUN);
    server.clock.advance(500);
    expect(await state(InstanceIdSet![0]!)).toBe("PENDING");
    server.clock.advance(1500);
    expect(await state(InstanceIdSet![0]!)).toBe("RUNNING");
  });

  it("terminates a pay-as-you-go instance: TERMINATING, then gone", async () => {
    const [id] = await launchInstances(server, client);
    await client.TerminateInstances({ InstanceIds: [id!] });
    expect(await state(id!)).toBe("TERMINATING");
    server.clock.advance(SETTLE_MS);
    expect((await client.DescribeInstances({ InstanceIds: [id!] })).TotalCount).toBe(0);
    expect((await sdkError(client.StartInstances({ InstanceIds: [id!] }))).code).toBe("InvalidInstanceId.NotFound");
  });

  it("moves a prepaid instance to the recycle bin first, and destroys it on the second call", async () => {
    const [id] = await launchInstances(server, client, { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } });
    await client.TerminateInstances({ InstanceIds: [id!] });
    server.clock.advance(SETTLE_MS);
    const bin = await describeOne(client, id!);
    expect(bin.InstanceState).toBe("SHUTDOWN");
    expect(bin.IsolatedSource).toBe("MANMADE");
    expect((await sdkError(client.StartInstances({ InstanceIds: [id!] }))).code).toBe("UnsupportedOperation.InstanceStateShutdown");
    await client.TerminateInstances({ InstanceIds: [id!] });
    expect(await state(id!)).toBe("TERMINATING");
    server.clock.advance(SETTLE_MS);
    expect((await client.DescribeInstances({ InstanceIds: [id!] })).InstanceSet).toEqual([]);
  });
});

suite("refusals", () => {
  it("refuses each operation in a state that does not allow it, with the state's code", async () => {
    const { InstanceIdSet } = await client.RunInstances(BASIC_RUN);
    const id = InstanceIdSet![0]!;
    expect((await sdkError(client.StopInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStatePending");
    expect((await sdkError(client.TerminateInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStatePending");
    server.clock.advance(SETTLE_MS);
    expect((await sdkError(client.StartInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateRunning");
    await client.StopInstances({ InstanceIds: [id] });
    expect((await sdkError(client.StopInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateStopping");
    expect((await sdkError(client.RebootInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateStopping");
    server.clock.advance(SETTLE_MS);
    expect((await sdkError(client.StopInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateStopped");
    expect((await sdkError(client.RebootInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateStopped");
    await client.StartInstances({ InstanceIds: [id] });
    expect((await sdkError(client.StartInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateStarting");
    server.clock.advance(SETTLE_MS);
    await client.TerminateInstances({ InstanceIds: [id] });
    expect((await sdkError(client.TerminateInstances({ InstanceIds: [id] }))).code).toBe("UnsupportedOperation.InstanceStateTerminating");
  });

  it("is all or nothing for a batch", async () => {
    const [running] = await launchInstances(server, client);
    const [other] = await launchInstances(server, client);
    await client.StopInstances({ InstanceIds: [other!] });
    server.clock.advance(SETTLE_MS);
    expect((await sdkError(client.StopInstances({ InstanceIds: [running!, other!] }))).code).toBe("UnsupportedOperation.InstanceStateStopped");
    expect(await state(running!)).toBe("RUNNING");
  });

  it("tells malformed ids from unknown ones, and enforces the batch limit", async () => {
    expect((await sdkError(client.StartInstances({ InstanceIds: ["ins-1122"] }))).code).toBe("InvalidInstanceId.Malformed");
    const unknown = await sdkError(client.StartInstances({ InstanceIds: ["ins-zzzzzzzz"] }));
    expect(unknown.code).toBe("InvalidInstanceId.NotFound");
    expect(unknown.message).toContain("ins-zzzzzzzz");
    const many = Array.from({ length: 101 }, (_, i) => `ins-${String(i).padStart(8, "0")}`);
    expect((await sdkError(client.StopInstances({ InstanceIds: many }))).code).toBe("InvalidParameterValue.LimitExceeded");
    expect((await sdkError(client.StopInstances({ InstanceIds: [] }))).code).toBe("MissingParameter");
  });

  it("honours termination protection and refuses mixed charge types", async () => {
    const [protectedId] = await launchInstances(server, client, { DisableApiTermination: true });
    expect((await sdkError(client.TerminateInstances({ InstanceIds: [protectedId!] }))).code).toBe("UnsupportedOperation.InstancesProtected");
    const [postpaid] = await launchInstances(server, client);
    const [prepaid] = await launchInstances(server, client, { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } });
    expect((await sdkError(client.TerminateInstances({ InstanceIds: [postpaid!, prepaid!] }))).code).toBe("UnsupportedOperation.InstanceMixedPricingModel");
  });

  it("validates StopType and StoppedMode", async () => {
    const [id] = await launchInstances(server, client);
    expect((await sdkError(client.StopInstances({ InstanceIds: [id!], StopType: "GENTLE" }))).code).toBe("InvalidParameterValue");
    expect((await sdkError(client.StopInstances({ InstanceIds: [id!], StopType: "HARD", ForceStop: true }))).code).toBe("InvalidParameterCombination");
    const [prepaid] = await launchInstances(server, client, { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } });
    expect((await sdkError(client.StopInstances({ InstanceIds: [prepaid!], StoppedMode: "STOP_CHARGING" }))).code).toBe("UnsupportedOperation.StoppedModeStopCharging");
    await client.StopInstances({ InstanceIds: [id!], StoppedMode: "STOP_CHARGING" });
    server.clock.advance(SETTLE_MS);
    expect((await describeOne(client, id!)).StopChargingMode).toBe("STOP_CHARGING");
  });
});

suite("DescribeInstances", () => {
  it("filters by every documented filter", async () => {
    const [a] = await launchInstances(server, client, {
      InstanceName: "alpha-web",
      InternetAccessible: { InternetMaxBandwidthOut: 1 },
      TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "blue" }] }],
    });
    const [b] = await launchInstances(server, client, { Placement: { Zone: "ap-guangzhou-4", ProjectId: 7 }, InstanceName: "beta-db" });
    const ia = await describeOne(client, a!);
    const ib = await describeOne(client, b!);
    await client.StopInstances({ InstanceIds: [b!] });
    server.clock.advance(SETTLE_MS);
    const only = async (name: string, values: string[]) =>
      ((await client.DescribeInstances({ Filters: [{ Name: name, Values: values }] })).InstanceSet ?? []).map((i) => i.InstanceId).sort();
    expect(await only("zone", ["ap-guangzhou-4"])).toEqual([b]);
    expect(await only("project-id", ["7"])).toEqual([b]);
    expect(await only("vpc-id", [ia.VirtualPrivateCloud!.VpcId!])).toEqual([a, b].sort());
    expect(await only("subnet-id", [ib.VirtualPrivateCloud!.SubnetId!])).toEqual([b]);
    expect(await only("instance-id", [a!])).toEqual([a]);
    expect(await only("uuid", [ib.Uuid!])).toEqual([b]);
    expect(await only("security-group-id", [ia.SecurityGroupIds![0]!])).toEqual([a, b].sort());
    expect(await only("instance-name", ["web"])).toEqual([a]);
    expect(await only("instance-charge-type", ["POSTPAID_BY_HOUR"])).toEqual([a, b].sort());
    expect(await only("instance-state", ["STOPPED"])).toEqual([b]);
    expect(await only("private-ip-address", [ib.PrivateIpAddresses![0]!])).toEqual([b]);
    expect(await only("public-ip-address", [ia.PublicIpAddresses![0]!])).toEqual([a]);
    expect(await only("tag-key", ["team"])).toEqual([a]);
    expect(await only("tag-value", ["blue"])).toEqual([a]);
    expect(await only("tag:team", ["blue", "red"])).toEqual([a]);
    expect(await only("tag:team", ["red"])).toEqual([]);
    expect(await only("host-id", ["host-abcdefgh"])).toEqual([]);
    expect(await only("dedicated-cluster-id", ["cluster-abcdefgh"])).toEqual([]);
    expect(await only("ipv6-address", ["::1"])).toEqual([]);
    const created = ia.CreatedTime!.replace("T", " ").replace("Z", "");
    expect(await only("creation-start-time", [created])).toEqual([a, b].sort());
    expect(await only("creation-end-time", ["2000-01-01 00:00:00"])).toEqual([]);
    // Filters are ANDed, values ORed.
    const both = await client.DescribeInstances({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3", "ap-guangzhou-4"] }, { Name: "instance-state", Values: ["RUNNING"] }] });
    expect(both.InstanceSet!.map((i) => i.InstanceId)).toEqual([a]);
  });

  it("a filter with no values constrains nothing, whatever its name, as in the other filtered Describe actions", async () => {
    const [id] = await launchInstances(server, client, { InstanceName: "web", TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "blue" }] }] });
    const names = [
      "zone", "project-id", "host-id", "dedicated-cluster-id", "vpc-id", "subnet-id", "instance-id", "uuid", "security-group-id",
      "instance-name", "instance-charge-type", "instance-state", "private-ip-address", "public-ip-address", "ipv6-address",
      "tag-key", "tag-value", "tag:team", "creation-start-time", "creation-end-time",
    ];
    for (const name of names) {
      const answer = await client.DescribeInstances({ Filters: [{ Name: name, Values: [] }] });
      expect([name, answer.TotalCount, answer.InstanceSet!.map((i) => i.InstanceId)]).toEqual([name, 1, [id]]);
      // … and the other filters still apply beside it.
      const anded = await client.DescribeInstances({ Filters: [{ Name: name, Values: [] }, { Name: "instance-state", Values: ["STOPPED"] }] });
      expect([name, anded.TotalCount]).toEqual([name, 0]);
    }
    expect(await sdkError(client.DescribeInstances({ Filters: [{ Name: "no-such-filter", Values: [] }] }))).toMatchObject({ code: "InvalidFilter" });
  });

  it("pages with Offset and Limit (default 20, max 100) and counts before paging", async () => {
    await launchInstances(server, client, { InstanceCount: 25 });
    const first = await client.DescribeInstances({});
    expect(first.TotalCount).toBe(25);
    expect(first.InstanceSet).toHaveLength(20);
    const second = await client.DescribeInstances({ Offset: 20, Limit: 20 });
    expect(second.InstanceSet).toHaveLength(5);
    expect(new Set([...first.InstanceSet!, ...second.InstanceSet!].map((i) => i.InstanceId)).size).toBe(25);
    expect((await sdkError(client.DescribeInstances({ Limit: 101 }))).code).toBe("InvalidParameterValue");
    expect((await sdkError(client.DescribeInstances({ Offset: -1 }))).code).toBe("InvalidParameterValue");
    const status = await client.DescribeInstancesStatus({ Limit: 100 });
    expect(status.TotalCount).toBe(25);
    expect(status.InstanceStatusSet!.every((s) => s.InstanceState === "RUNNING")).toBe(true);
  });

  it("answers the documented errors", async () => {
    const error = async (req: Parameters<CvmClientType["DescribeInstances"]>[0]) => (await sdkError(client.DescribeInstances(req))).code;
    expect(await error({ InstanceIds: ["ins-abcdefgh"], Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }] })).toBe("InvalidParameter");
    expect(await error({ InstanceIds: ["i-123"] })).toBe("InvalidInstanceId.Malformed");
    expect(await error({ Filters: [{ Name: "colour", Values: ["red"] }] })).toBe("InvalidFilter");
    expect(await error({ Filters: [{ Name: "zone", Values: ["a", "b", "c", "d", "e", "f"] }] })).toBe("InvalidFilterValue.LimitExceeded");
    expect(await error({ Filters: [{ Name: "zone", Values: ["ap-shanghai-2"] }] })).toBe("InvalidZone.MismatchRegion");
    expect(await error({ Filters: [{ Name: "vpc-id", Values: ["vpc-1"] }] })).toBe("InvalidParameterValue.VpcIdMalformed");
    expect(await error({ Filters: [{ Name: "instance-id", Values: ["ins-1"] }] })).toBe("InvalidParameterValue.InstanceIdMalformed");
    expect(await error({ Filters: [{ Name: "private-ip-address", Values: ["1.2.3"] }] })).toBe("InvalidParameterValue.IPAddressMalformed");
    expect(await error({ Filters: [{ Name: "creation-start-time", Values: ["yesterday"] }] })).toBe("InvalidParameterValue.InvalidTimeFormat");
    expect(await error({ Filters: [{ Name: "security-group-id", Values: ["sg-1"] }] })).toBe("InvalidSgId.Malformed");
    expect((await client.DescribeInstances({ InstanceIds: ["ins-zzzzzzzz"] })).TotalCount).toBe(0);
  });
});

suite("accounts and regions", () => {
  it("keeps accounts and regions apart: another account's id is simply not found", async () => {
    const [id] = await launchInstances(server, client);
    const other = await createAccount(server);
    const intruder = cvmClient(server, { secretId: other.SecretId, secretKey: other.SecretKey });
    expect((await intruder.DescribeInstances({})).TotalCount).toBe(0);
    expect((await intruder.DescribeInstances({ InstanceIds: [id!] })).TotalCount).toBe(0);
    expect((await sdkError(intruder.StopInstances({ InstanceIds: [id!] }))).code).toBe("InvalidInstanceId.NotFound");
    expect((await sdkError(intruder.TerminateInstances({ InstanceIds: [id!] }))).code).toBe("InvalidInstanceId.NotFound");
    expect(await state(id!)).toBe("RUNNING");
    const shanghai = cvmClient(server, { region: "ap-shanghai" });
    expect((await shanghai.DescribeInstances({})).TotalCount).toBe(0);
    expect((await sdkError(shanghai.StopInstances({ InstanceIds: [id!] }))).code).toBe("InvalidInstanceId.NotFound");
  });
});

suite("a Terraform-style run", () => {
  it("creates with a ClientToken, polls, modifies, stops, starts, terminates and polls until gone", async () => {
    server.clock.unfreeze();
    const token = "terraform-20261122-0001";
    const created = await client.RunInstances({ ...BASIC_RUN, InstanceName: "tf-web", ClientToken: token, InternetAccessible: { InternetMaxBandwidthOut: 10 } });
    const id = created.InstanceIdSet![0]!;
    // A retried create (the provider's retry after a timeout) must not make a second instance.
    expect((await client.RunInstances({ ...BASIC_RUN, InstanceName: "tf-web", ClientToken: token })).InstanceIdSet).toEqual([id]);

    const poll = async (done: (i: Awaited<ReturnType<typeof describeOne>> | undefined) => boolean): Promise<number> => {
      for (let round = 1; round <= 40; round++) {
        const { InstanceSet } = await client.DescribeInstances({ InstanceIds: [id] });
        if (done(InstanceSet![0])) return round;
        server.clock.advance(250);
      }
      throw new Error("polling gave up");
    };
    expect(await poll((i) => i?.InstanceState === "RUNNING")).toBeGreaterThan(1);

    await client.ModifyInstancesAttribute({ InstanceIds: [id], InstanceName: "tf-web-renamed" });
    await poll((i) => i?.LatestOperationState === "SUCCESS");
    expect((await describeOne(client, id)).InstanceName).toBe("tf-web-renamed");

    await client.StopInstances({ InstanceIds: [id] });
    await poll((i) => i?.InstanceState === "STOPPED" && i.LatestOperationState === "SUCCESS");
    await client.StartInstances({ InstanceIds: [id] });
    await poll((i) => i?.InstanceState === "RUNNING" && i.LatestOperationState === "SUCCESS");
    await client.TerminateInstances({ InstanceIds: [id] });
    await poll((i) => i === undefined);
  });
});

suite("admin clock and reset", () => {
  it("freezes, advances and sets the resource clock over HTTP, and transitions follow it", async () => {
    server.clock.reset();
    const frozen = await adminRequest(server, "POST", "/_tclocal/clock", { Freeze: true });
    expect(frozen.Error).toBeUndefined();
    expect(frozen.Frozen).toBe(true);
    const frozenAt = frozen.NowMs as number;
    const { InstanceIdSet } = await client.RunInstances(BASIC_RUN);
    expect(await state(InstanceIdSet![0]!)).toBe("PENDING");
    const advanced = await adminRequest(server, "POST", "/_tclocal/clock", { AdvanceSeconds: 2 });
    expect(advanced.NowMs).toBe(frozenAt + 2000);
    expect(await state(InstanceIdSet![0]!)).toBe("RUNNING");
    const set = await adminRequest(server, "POST", "/_tclocal/clock", { Set: "2030-01-01T00:00:00Z" });
    expect(set.Now).toBe("2030-01-01T00:00:00.000Z");
    const [later] = await launchInstances(server, client);
    expect((await describeOne(client, later!)).CreatedTime).toBe("2030-01-01T00:00:00Z");
    const read = await adminRequest(server, "GET", "/_tclocal/clock");
    expect(read).toMatchObject({ Frozen: true, NowMs: Date.parse("2030-01-01T00:00:02Z") });
    expect((await adminRequest(server, "POST", "/_tclocal/clock", { AdvanceSeconds: -5 })).Error?.Code).toBe("InvalidParameterValue");
    expect((await adminRequest(server, "POST", "/_tclocal/clock", { Set: "tomorrow" })).Error?.Code).toBe("InvalidParameter");
    expect((await adminRequest(server, "POST", "/_tclocal/clock", { Speed: 2 })).Error?.Code).toBe("UnknownParameter");
  });

  it("resets all state, keeps the default account usable and lets the clock run again", async () => {
    await launchInstances(server, client, { InstanceCount: 3 });
    const { SecretId, SecretKey } = await createAccount(server);
    const reset = await adminRequest(server, "POST", "/_tclocal/reset");
    expect(reset).toMatchObject({ Deleted: ["accounts", "keys", "resources"], Clock: { Frozen: false } });
    expect((await client.DescribeInstances({})).TotalCount).toBe(0);
    expect((await sdkError(cvmClient(server, { secretId: SecretId, secretKey: SecretKey }).DescribeZones(null))).code).toBe("AuthFailure.SecretIdNotFound");
    expect(Math.abs(server.clock.now() - Date.now())).toBeLessThan(1000);
  });
});

suite("restart", () => {
  it("keeps instances and their states across a restart of the server", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-restart-"));
    try {
      const first = await startTestServer({ inMemory: false, dataDir });
      const c1 = cvmClient(first);
      const [running, stopped] = await launchInstances(first, c1, { InstanceCount: 2, InstanceName: "keep-{R:1}" });
      await c1.StopInstances({ InstanceIds: [stopped!] });
      first.clock.advance(SETTLE_MS);
      const before = (await c1.DescribeInstances({ InstanceIds: [running!, stopped!] })).InstanceSet;
      await first.close();

      const second = await startTestServer({ inMemory: false, dataDir });
      try {
        const c2 = cvmClient(second);
        const after = (await c2.DescribeInstances({ InstanceIds: [running!, stopped!] })).InstanceSet;
        expect(after).toEqual(before);
        expect(after!.map((i) => i.InstanceState)).toEqual(["RUNNING", "STOPPED"]);
        await c2.StartInstances({ InstanceIds: [stopped!] });
        // The resource clock is state too: a clock frozen and moved over HTTP stays where it was put.
        await adminRequest(second, "POST", "/_tclocal/clock", { Set: "2031-05-01T00:00:00Z", Freeze: true });
      } finally {
        await second.close();
      }
      const third = await startTestServer({ inMemory: false, dataDir });
      try {
        expect(third.clock.frozen).toBe(true);
        expect(third.clock.now()).toBe(Date.parse("2031-05-01T00:00:00Z"));
      } finally {
        await third.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

suite("upgrade", () => {
  it("keeps the instances of a data dir written before instances had a creation sequence, in their listing order", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-upgrade-"));
    try {
      // The schema as the first release left it (cvm/1 only), with rows written the way it wrote them.
      const old = openDatabase({ dataDir, inMemory: false }, [...CORE_MIGRATIONS, CVM_MIGRATIONS[0]!]);
      const insert = old.prepare(
        `INSERT INTO cvm_instances (account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
           image_id, state, latest_operation, latest_operation_state, vpc_id, subnet_id, private_ip, created_at, doc, view)
         VALUES ('100000000001', 'ap-guangzhou', ?, ?, 'ap-guangzhou-3', 0, 'S5.MEDIUM4', ?, 'POSTPAID_BY_HOUR',
           'img-9qabwvbn', ?, 'StopInstances', 'SUCCESS', 'vpc-old00000', 'subnet-old00000', ?, ?, '{}', ?)`,
      );
      const rows = [
        // Two of one batch (same creation time: listed in the order written), then an older one written last.
        ["ins-bbbbbbbb", "RUNNING", 2_000],
        ["ins-aaaaaaaa", "STOPPED", 2_000],
        ["ins-cccccccc", "RUNNING", 1_000],
      ] as const;
      rows.forEach(([id, state, createdAt], i) =>
        insert.run(id, `00000000-0000-4000-8000-00000000000${i}`, `old-${id}`, state, `10.0.0.${i + 2}`, Date.parse("2026-01-01T00:00:00Z") + createdAt, Buffer.from(JSON.stringify({ InstanceId: id, InstanceName: `old-${id}` }))),
      );
      old.close();

      const upgraded = await startTestServer({ inMemory: false, dataDir });
      try {
        const c = cvmClient(upgraded);
        const listed = await c.DescribeInstances({});
        expect(listed.TotalCount).toBe(3);
        expect(listed.InstanceSet!.map((i) => [i.InstanceId, i.InstanceName, i.InstanceState, i.LatestOperationState])).toEqual([
          ["ins-cccccccc", "old-ins-cccccccc", "RUNNING", "SUCCESS"],
          ["ins-bbbbbbbb", "old-ins-bbbbbbbb", "RUNNING", "SUCCESS"],
          ["ins-aaaaaaaa", "old-ins-aaaaaaaa", "STOPPED", "SUCCESS"],
        ]);
        // New instances come after them, and the per-account count the triggers keep still follows.
        const [fresh] = await launchInstances(upgraded, c);
        const after = await c.DescribeInstances({});
        expect(after.TotalCount).toBe(4);
        expect(after.InstanceSet!.map((i) => i.InstanceId)).toEqual(["ins-cccccccc", "ins-bbbbbbbb", "ins-aaaaaaaa", fresh]);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("indexes the names, tags, security groups and addresses of instances stored before cvm/4: the filters find them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-upgrade-"));
    try {
      // The schema as cvm/2 left it (before the facet counts and the indexed filters), with an instance in it.
      const old = openDatabase({ dataDir, inMemory: false }, [...CORE_MIGRATIONS, ...CVM_MIGRATIONS.slice(0, 2)]);
      const name = "Legacy-数据库-Web";
      const doc = { Tags: [{ Key: "team", Value: "blue" }, { Key: "部门", Value: "研发" }], SecurityGroupIds: ["sg-old00000"], IPv6Addresses: ["2402:4e00::9"], DedicatedClusterId: "" };
      old
        .prepare(
          `INSERT INTO cvm_instances (account_uin, region, instance_id, uuid, zone, project_id, instance_type, instance_name, charge_type,
             image_id, state, latest_operation, latest_operation_state, vpc_id, subnet_id, private_ip, created_at, doc, view)
           VALUES ('100000000001', 'ap-guangzhou', 'ins-old00001', '00000000-0000-4000-8000-000000000009', 'ap-guangzhou-3', 0, 'S5.MEDIUM4', ?,
             'POSTPAID_BY_HOUR', 'img-9qabwvbn', 'RUNNING', 'RunInstances', 'SUCCESS', 'vpc-old00000', 'subnet-old00000', '10.0.0.2', ?, ?, ?)`,
        )
        .run(name, Date.parse("2026-01-01T00:00:00Z"), JSON.stringify(doc), Buffer.from(JSON.stringify({ InstanceId: "ins-old00001", InstanceName: name })));
      old.close();

      const upgraded = await startTestServer({ inMemory: false, dataDir });
      try {
        const c = cvmClient(upgraded);
        const found = async (filter: string, values: string[]) => {
          const answer = await c.DescribeInstances({ Filters: [{ Name: filter, Values: values }] });
          return [filter, answer.TotalCount, answer.InstanceSet!.map((i) => i.InstanceId)];
        };
        const cases: Array<[string, string[]]> = [
          ["instance-name", ["legacy"]], ["instance-name", ["数据库"]], ["instance-name", ["DB", "-web"]], ["tag-key", ["team"]], ["tag-value", ["研发"]],
          ["tag:部门", ["研发"]], ["tag:team", ["blue", "red"]], ["security-group-id", ["sg-old00000"]], ["ipv6-address", ["2402:4e00::9"]],
          ["uuid", ["00000000-0000-4000-8000-000000000009"]], ["private-ip-address", ["10.0.0.2"]], ["dedicated-cluster-id", [""]],
        ];
        for (const [filter, values] of cases) expect(await found(filter, values)).toEqual([filter, 1, ["ins-old00001"]]);
        for (const [filter, values] of [["instance-name", ["legacy-web"]], ["tag:team", ["red"]], ["tag-key", ["blue"]]] as const) {
          expect(await found(filter, [...values])).toEqual([filter, 0, []]);
        }
        // An instance made after the upgrade is found beside it.
        const [fresh] = await launchInstances(upgraded, c, { InstanceName: "fresh-web", TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "blue" }] }] });
        expect(await found("tag:team", ["blue"])).toEqual(["tag:team", 2, ["ins-old00001", fresh]]);
        expect(await found("instance-name", ["WEB"])).toEqual(["instance-name", 2, ["ins-old00001", fresh]]);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// DescribeInstances keeps each instance's finished JSON in memory between calls (see view-cache.ts): a
// listing must still show every change made since the last one, by this server or another on the same data.
suite("listing after changes", () => {
  const names = (set: ReadonlyArray<{ InstanceName?: string }> | undefined): Array<string | undefined> => (set ?? []).map((i) => i.InstanceName);

  it("shows renames, state changes and terminations made after an earlier listing", async () => {
    const ids = await launchInstances(server, client, { InstanceCount: 3, InstanceName: "list-{R:1}" });
    expect(names((await client.DescribeInstances({})).InstanceSet)).toEqual(["list-1", "list-2", "list-3"]);

    await client.ModifyInstancesAttribute({ InstanceIds: [ids[0]!], InstanceName: "renamed" });
    const stop = await client.StopInstances({ InstanceIds: [ids[1]!] });
    await client.TerminateInstances({ InstanceIds: [ids[2]!] });
    let listed = (await client.DescribeInstances({})).InstanceSet!;
    expect(names(listed)).toEqual(["renamed", "list-2", "list-3"]);
    expect(listed.map((i) => [i.InstanceState, i.LatestOperation, i.LatestOperationState])).toEqual([
      ["RUNNING", "ModifyInstancesAttribute", "OPERATING"],
      ["STOPPING", "StopInstances", "OPERATING"],
      ["TERMINATING", "TerminateInstances", "OPERATING"],
    ]);
    expect(listed[1]!.LatestOperationRequestId).toBe(stop.RequestId);

    server.clock.advance(SETTLE_MS);
    listed = (await client.DescribeInstances({})).InstanceSet!;
    expect(listed.map((i) => [i.InstanceId, i.InstanceState, i.LatestOperationState])).toEqual([
      [ids[0], "RUNNING", "SUCCESS"],
      [ids[1], "STOPPED", "SUCCESS"],
    ]);
    expect((await client.DescribeInstances({ InstanceIds: [ids[2]!] })).TotalCount).toBe(0);
  });

  it("shows what another server on the same data changed, exactly as that server lists it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-shared-"));
    const first = await startTestServer({ inMemory: false, dataDir });
    const second = await startTestServer({ inMemory: false, dataDir });
    try {
      const [c1, c2] = [cvmClient(first), cvmClient(second)];
      // Each server has its own clock: both are frozen at one instant, so that they agree on transitions.
      first.clock.freeze();
      second.clock.freeze(first.clock.now());
      const ids = await launchInstances(first, c1, { InstanceCount: 2, InstanceName: "shared-{R:1}" });
      second.clock.advance(SETTLE_MS);
      expect(names((await c1.DescribeInstances({})).InstanceSet)).toEqual(["shared-1", "shared-2"]);

      await c2.ModifyInstancesAttribute({ InstanceIds: [ids[0]!], InstanceName: "changed elsewhere" });
      await c2.StopInstances({ InstanceIds: [ids[1]!] });
      let seenByFirst = (await c1.DescribeInstances({})).InstanceSet!;
      expect(names(seenByFirst)).toEqual(["changed elsewhere", "shared-2"]);
      expect(seenByFirst.map((i) => i.InstanceState)).toEqual(["RUNNING", "STOPPING"]);
      expect(seenByFirst).toEqual((await c2.DescribeInstances({})).InstanceSet);

      // Settled, the first server lists (and keeps) the instances RUNNING / SUCCESS and STOPPED / SUCCESS.
      // Renamed elsewhere and settled again, the instance is RUNNING / SUCCESS as before: only its view
      // version tells the first server that the name changed.
      first.clock.advance(SETTLE_MS);
      second.clock.advance(SETTLE_MS);
      expect(names((await c1.DescribeInstances({})).InstanceSet)).toEqual(["changed elsewhere", "shared-2"]);
      await c2.ModifyInstancesAttribute({ InstanceIds: [ids[0]!], InstanceName: "changed again" });
      first.clock.advance(SETTLE_MS);
      second.clock.advance(SETTLE_MS);
      seenByFirst = (await c1.DescribeInstances({})).InstanceSet!;
      expect(seenByFirst.map((i) => [i.InstanceName, i.InstanceState, i.LatestOperationState])).toEqual([
        ["changed again", "RUNNING", "SUCCESS"],
        ["shared-2", "STOPPED", "SUCCESS"],
      ]);
      expect(seenByFirst).toEqual((await c2.DescribeInstances({})).InstanceSet);
    } finally {
      await first.close();
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
