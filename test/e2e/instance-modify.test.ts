// Changing instances through the official SDK: ResetInstance, ResetInstancesPassword, ResetInstancesType,
// ResizeInstanceDisks, ModifyInstancesAttribute and ModifyInstancesProject — what DescribeInstances shows
// during and after each operation, the states each accepts, and the documented refusals.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { afterAll, beforeAll, describe as suite, expect, it } from "vitest";
import { BASIC_RUN, describe, describeOne, launchInstances, SETTLE_MS, stopInstances } from "../helpers/instances.js";
import { createAccount, cvmClient, sdkError, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

let server: TestServer;
let c: CvmClientType;

beforeAll(async () => {
  server = await startTestServer();
  c = cvmClient(server);
  server.clock.freeze();
});
afterAll(() => server.close());

const PASSWORD = "Qcloud@TestApi123++";
const UNKNOWN_ID = "ins-zzzzzzzz";

async function launchOne(params: Partial<M.RunInstancesRequest> = {}): Promise<string> {
  const [id] = await launchInstances(server, c, params);
  return id!;
}

async function launchStopped(params: Partial<M.RunInstancesRequest> = {}): Promise<string> {
  const id = await launchOne(params);
  await stopInstances(server, c, [id]);
  return id;
}

/** An instance still PENDING: run without letting the launch finish. */
async function launchPending(): Promise<string> {
  const { InstanceIdSet } = await c.RunInstances(BASIC_RUN);
  return InstanceIdSet![0]!;
}

const operationOf = (i: M.Instance) => [i.InstanceState, i.LatestOperation, i.LatestOperationState, i.LatestOperationRequestId];

/**
 * Checks that the instances show the operation under way (state `during`), then advances past it and
 * checks it succeeded (state `after`); returns the instances as they end.
 */
async function expectOperations(ids: readonly string[], action: string, requestId: string | undefined, during: string, after = during): Promise<M.Instance[]> {
  expect((await describe(c, ids)).map(operationOf)).toEqual(ids.map(() => [during, action, "OPERATING", requestId]));
  server.clock.advance(SETTLE_MS);
  const ended = await describe(c, ids);
  expect(ended.map(operationOf)).toEqual(ids.map(() => [after, action, "SUCCESS", requestId]));
  return ended;
}

async function expectOperation(id: string, action: string, requestId: string | undefined, during: string, after = during): Promise<M.Instance> {
  return (await expectOperations([id], action, requestId, during, after))[0]!;
}

async function errorCode(call: Promise<unknown>): Promise<string | undefined> {
  return (await sdkError(call)).code;
}

/** Each action called on one instance id with otherwise valid parameters. */
const CALLS: Record<string, (client: CvmClientType, id: string) => Promise<unknown>> = {
  ResetInstance: (client, id) => client.ResetInstance({ InstanceId: id }),
  ResetInstancesPassword: (client, id) => client.ResetInstancesPassword({ InstanceIds: [id], Password: PASSWORD, ForceStop: true }),
  ResetInstancesType: (client, id) => client.ResetInstancesType({ InstanceIds: [id], InstanceType: "S5.LARGE8", ForceStop: true }),
  ResizeInstanceDisks: (client, id) => client.ResizeInstanceDisks({ InstanceId: id, SystemDisk: { DiskSize: 200 }, ForceStop: true }),
  ModifyInstancesAttribute: (client, id) => client.ModifyInstancesAttribute({ InstanceIds: [id], InstanceName: "renamed" }),
  ModifyInstancesProject: (client, id) => client.ModifyInstancesProject({ InstanceIds: [id], ProjectId: 1 }),
};
const ACTIONS = Object.keys(CALLS);

suite("every action", () => {
  it.each(ACTIONS)("%s: a malformed id is InvalidInstanceId.Malformed, an unknown one InvalidInstanceId.NotFound", async (action) => {
    expect(await errorCode(CALLS[action]!(c, "i-123"))).toBe("InvalidInstanceId.Malformed");
    expect(await errorCode(CALLS[action]!(c, UNKNOWN_ID))).toBe("InvalidInstanceId.NotFound");
  });

  it.each(ACTIONS)("%s: another account's instance is InvalidInstanceId.NotFound and stays untouched", async (action) => {
    const id = await launchOne();
    const other = await createAccount(server);
    const stranger = cvmClient(server, { secretId: other.SecretId, secretKey: other.SecretKey });
    expect(await errorCode(CALLS[action]!(stranger, id))).toBe("InvalidInstanceId.NotFound");
    expect((await describeOne(c, id)).LatestOperation).toBe("RunInstances");
  });

  it.each(ACTIONS)("%s: a PENDING instance is UnsupportedOperation.InstanceStatePending", async (action) => {
    const id = await launchPending();
    expect(await errorCode(CALLS[action]!(c, id))).toBe("UnsupportedOperation.InstanceStatePending");
    server.clock.advance(SETTLE_MS);
  });

  it.each(ACTIONS)("%s: an instance whose last operation is still OPERATING is OperationDenied.InstanceOperationInProgress", async (action) => {
    const id = await launchOne();
    await c.ModifyInstancesAttribute({ InstanceIds: [id], DisableApiTermination: false });
    expect(await errorCode(CALLS[action]!(c, id))).toBe("OperationDenied.InstanceOperationInProgress");
    server.clock.advance(SETTLE_MS);
    await CALLS[action]!(c, id);
    expect((await describeOne(c, id)).LatestOperation).toBe(action);
  });

  it.each(ACTIONS)("%s: a STOPPING instance is UnsupportedOperation.InstanceStateStopping", async (action) => {
    const id = await launchOne();
    await c.StopInstances({ InstanceIds: [id] });
    expect(await errorCode(CALLS[action]!(c, id))).toBe("UnsupportedOperation.InstanceStateStopping");
    server.clock.advance(SETTLE_MS);
  });

  it("batch actions take at most 100 ids; ResetInstancesType takes one", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `ins-${String(i).padStart(8, "0")}`);
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: ids, Password: PASSWORD }))).toBe("InvalidParameterValue.LimitExceeded");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: ids, InstanceName: "x" }))).toBe("InvalidParameterValue.LimitExceeded");
    expect(await errorCode(c.ModifyInstancesProject({ InstanceIds: ids, ProjectId: 1 }))).toBe("InvalidParameterValue.LimitExceeded");
    const two = await launchInstances(server, c, { InstanceCount: 2 });
    await stopInstances(server, c, two);
    expect(await errorCode(c.ResetInstancesType({ InstanceIds: two, InstanceType: "S5.LARGE8" }))).toBe("InvalidParameterValue.LimitExceeded");
  });

  it("an empty id list is MissingParameter", async () => {
    expect(await errorCode(c.ModifyInstancesProject({ InstanceIds: [], ProjectId: 1 }))).toBe("MissingParameter");
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [], Password: PASSWORD }))).toBe("MissingParameter");
  });
});

suite("ResetInstance", () => {
  it("reinstalls a running instance from another image: image, OS, login user, system disk and host name change", async () => {
    const id = await launchOne();
    const before = await describeOne(c, id);
    expect(before.SystemDisk?.DiskSize).toBe(50);
    const r = await c.ResetInstance({
      InstanceId: id,
      ImageId: "img-487zeit5",
      LoginSettings: { Password: PASSWORD },
      SystemDisk: { DiskSize: 80 },
      HostName: "web-01",
    });
    const i = await expectOperation(id, "ResetInstance", r.RequestId, "RUNNING");
    expect(i.ImageId).toBe("img-487zeit5");
    expect(i.OsName).toBe("Ubuntu Server 22.04 LTS 64位");
    expect(i.DefaultLoginUser).toBe("ubuntu");
    expect(i.SystemDisk).toEqual({ ...before.SystemDisk, DiskSize: 80 });
    expect(i.HostName).toBe("web-01");
  });

  it("reinstalls a stopped instance from its current image by default, and it stays STOPPED", async () => {
    const id = await launchStopped();
    const r = await c.ResetInstance({ InstanceId: id });
    const i = await expectOperation(id, "ResetInstance", r.RequestId, "STOPPED");
    expect(i.ImageId).toBe(BASIC_RUN.ImageId);
    expect(i.OsName).toBe("CentOS 7.6 64位");
    expect(i.DefaultLoginUser).toBe("root");
    expect(i.SystemDisk?.DiskSize).toBe(50);
  });

  it("switches a Linux instance to Windows with a Windows-grade password", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ResetInstance({ InstanceId: id, ImageId: "img-9tzezztj", LoginSettings: { Password: "abc12345" } }))).toBe(
      "InvalidParameterValue.InvalidPassword",
    );
    await c.ResetInstance({ InstanceId: id, ImageId: "img-9tzezztj", LoginSettings: { Password: PASSWORD } });
    const i = await describeOne(c, id);
    expect(i.DefaultLoginUser).toBe("Administrator");
    expect(i.DefaultLoginPort).toBe(3389);
    server.clock.advance(SETTLE_MS);
  });

  it("checks the image: malformed, unknown, and of another architecture", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ResetInstance({ InstanceId: id, ImageId: "image-1" }))).toBe("InvalidImageId.Malformed");
    expect(await errorCode(c.ResetInstance({ InstanceId: id, ImageId: "img-zzzzzzzz" }))).toBe("InvalidImageId.NotFound");
    expect(await errorCode(c.ResetInstance({ InstanceId: id, ImageId: "img-3wnd9xpl" }))).toBe("InvalidParameterValue.InvalidImageForGivenInstanceType");
    expect((await describeOne(c, id)).LatestOperation).toBe("RunInstances");
  });

  it("checks the login settings, system disk and host name", async () => {
    const id = await launchOne();
    const cases: Array<[M.ResetInstanceRequest, string]> = [
      [{ InstanceId: id, LoginSettings: { Password: "short1" } }, "InvalidParameterValue.InvalidPassword"],
      [{ InstanceId: id, LoginSettings: { KeyIds: ["skey-abc"] } }, "InvalidKeyPairId.Malformed"],
      [{ InstanceId: id, LoginSettings: { KeyIds: ["skey-abcd1234"] } }, "InvalidParameterValue.KeyPairNotFound"],
      [{ InstanceId: id, SystemDisk: { DiskSize: 40 } }, "InvalidParameterValue"],
      [{ InstanceId: id, SystemDisk: { DiskSize: 2000 } }, "InvalidParameterValue"],
      [{ InstanceId: id, SystemDisk: { DiskType: "CLOUD_SSD" } }, "InvalidParameterValue"],
      [{ InstanceId: id, HostName: "-web" }, "InvalidParameter.HostNameIllegal"],
      [{ InstanceId: id, ImageId: "img-9tzezztj", HostName: "a.windows.name" }, "InvalidParameter.HostNameIllegal"],
      [{ InstanceId: id, UserData: "not base64!" }, "InvalidParameterValue.InvalidUserDataFormat"],
    ];
    for (const [req, code] of cases) expect([req, await errorCode(c.ResetInstance(req))]).toEqual([req, code]);
    expect((await describeOne(c, id)).LatestOperation).toBe("RunInstances");
  });
});

suite("ResetInstancesPassword", () => {
  it("resets the password of stopped instances, which stay STOPPED", async () => {
    const ids = await launchInstances(server, c, { InstanceCount: 2 });
    await stopInstances(server, c, ids);
    const r = await c.ResetInstancesPassword({ InstanceIds: ids, Password: PASSWORD, UserName: "root" });
    await expectOperations(ids, "ResetInstancesPassword", r.RequestId, "STOPPED");
  });

  it("refuses a running instance without ForceStop, for the whole batch", async () => {
    const stopped = await launchStopped();
    const running = await launchOne();
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [stopped, running], Password: PASSWORD }))).toBe("UnsupportedOperation.InstanceStateRunning");
    expect((await describeOne(c, stopped)).LatestOperation).toBe("StopInstances");
  });

  it("resets a running instance with ForceStop", async () => {
    const id = await launchOne();
    const r = await c.ResetInstancesPassword({ InstanceIds: [id], Password: PASSWORD, ForceStop: true });
    await expectOperation(id, "ResetInstancesPassword", r.RequestId, "RUNNING");
  });

  it("wants three character classes on Linux too, and Windows rules in a batch with Windows", async () => {
    const linux = await launchStopped();
    const windows = await launchStopped({ ImageId: "img-9tzezztj" });
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [linux], Password: "abcd12345" }))).toBe("InvalidParameterValue.InvalidPassword");
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [linux], Password: "/Abcd12345" }))).toBe("InvalidParameterValue.InvalidPassword");
    // 10 characters of three classes: enough for Linux, too short for Windows.
    await c.ResetInstancesPassword({ InstanceIds: [linux], Password: "Abcde12345" });
    server.clock.advance(SETTLE_MS);
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [linux, windows], Password: "Abcde12345" }))).toBe("InvalidParameterValue.InvalidPassword");
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [windows], Password: "Administrator1!" }))).toBe("InvalidParameterValue.InvalidPassword");
    const r = await c.ResetInstancesPassword({ InstanceIds: [linux, windows], Password: PASSWORD });
    await expectOperation(windows, "ResetInstancesPassword", r.RequestId, "STOPPED");
  });

  it("limits UserName to 64 characters", async () => {
    const id = await launchStopped();
    expect(await errorCode(c.ResetInstancesPassword({ InstanceIds: [id], Password: PASSWORD, UserName: "u".repeat(65) }))).toBe("InvalidParameterValue.TooLong");
  });
});

suite("ResetInstancesType", () => {
  it("changes the type of a stopped instance: type, CPU and memory follow", async () => {
    const id = await launchStopped();
    const r = await c.ResetInstancesType({ InstanceIds: [id], InstanceType: "S5.LARGE8" });
    const i = await expectOperation(id, "ResetInstancesType", r.RequestId, "STOPPED");
    expect([i.InstanceType, i.CPU, i.Memory]).toEqual(["S5.LARGE8", 4, 8]);
    expect((await c.DescribeInstances({ Filters: [{ Name: "instance-id", Values: [id] }] })).InstanceSet![0]!.InstanceType).toBe("S5.LARGE8");
  });

  it("needs ForceStop for a running instance", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ResetInstancesType({ InstanceIds: [id], InstanceType: "S5.LARGE8" }))).toBe("UnsupportedOperation.InstanceStateRunning");
    const r = await c.ResetInstancesType({ InstanceIds: [id], InstanceType: "S5.LARGE8", ForceStop: true });
    const i = await expectOperation(id, "ResetInstancesType", r.RequestId, "RUNNING");
    expect(i.InstanceType).toBe("S5.LARGE8");
  });

  it("refuses the current type, malformed and unknown types, and types the zone does not sell", async () => {
    const id = await launchStopped();
    const { InstanceTypeQuotaSet } = await c.DescribeZoneInstanceConfigInfos({
      Filters: [
        { Name: "zone", Values: ["ap-guangzhou-3"] },
        { Name: "instance-charge-type", Values: ["POSTPAID_BY_HOUR"] },
      ],
    });
    const soldOut = InstanceTypeQuotaSet!.find((o) => o.Status === "SOLD_OUT")!.InstanceType!;
    const cases: Array<[string, string]> = [
      ["S5.MEDIUM4", "InvalidParameterValue"],
      ["s5-medium", "InvalidInstanceType.Malformed"],
      ["S5.HUGE999", "InvalidParameterValue.InstanceTypeNotFound"],
      ["SR1.MEDIUM4", "ResourceNotFound.InvalidZoneInstanceType"],
      [soldOut, "ResourcesSoldOut.SpecifiedInstanceType"],
      ["GN7.2XLARGE32", "InvalidParameterValue.GPUInstanceFamily"],
    ];
    for (const [type, code] of cases) expect([type, await errorCode(c.ResetInstancesType({ InstanceIds: [id], InstanceType: type }))]).toEqual([type, code]);
    expect((await describeOne(c, id)).InstanceType).toBe("S5.MEDIUM4");
  });

  it("keeps the architecture and the GPU", async () => {
    const zone = { Placement: { Zone: "ap-guangzhou-6" } };
    const x86 = await launchStopped(zone);
    const arm = await launchStopped({ ...zone, ImageId: "img-3wnd9xpl", InstanceType: "SR1.MEDIUM4" });
    const gpu = await launchStopped({ ...zone, InstanceType: "GN7.2XLARGE32" });
    expect(await errorCode(c.ResetInstancesType({ InstanceIds: [x86], InstanceType: "SR1.MEDIUM4" }))).toBe("UnsupportedOperation.UnsupportedChangeInstanceFamilyToARM");
    expect(await errorCode(c.ResetInstancesType({ InstanceIds: [arm], InstanceType: "S5.MEDIUM4" }))).toBe("UnsupportedOperation.UnsupportedARMChangeInstanceFamily");
    expect(await errorCode(c.ResetInstancesType({ InstanceIds: [gpu], InstanceType: "S5.2XLARGE16" }))).toBe("InvalidParameterValue.InvalidGPUFamilyChange");
    const r = await c.ResetInstancesType({ InstanceIds: [arm], InstanceType: "SR1.LARGE8" });
    const i = await expectOperation(arm, "ResetInstancesType", r.RequestId, "STOPPED");
    expect([i.InstanceType, i.CPU, i.Memory]).toEqual(["SR1.LARGE8", 4, 8]);
    await c.ResetInstancesType({ InstanceIds: [gpu], InstanceType: "GN7.5XLARGE80" });
    server.clock.advance(SETTLE_MS);
    expect((await describeOne(c, gpu)).GPUInfo?.GPUType).toBe("NVIDIA T4");
  });
});

suite("ResizeInstanceDisks", () => {
  const withDataDisk = { DataDisks: [{ DiskSize: 100, DiskType: "CLOUD_PREMIUM" }] };

  it("grows a data disk of a stopped instance", async () => {
    const id = await launchStopped(withDataDisk);
    const disk = (await describeOne(c, id)).DataDisks![0]!;
    const r = await c.ResizeInstanceDisks({ InstanceId: id, DataDisks: [{ DiskId: disk.DiskId, DiskSize: 200 }] });
    const i = await expectOperation(id, "ResizeInstanceDisks", r.RequestId, "STOPPED");
    expect(i.DataDisks).toEqual([{ ...disk, DiskSize: 200 }]);
  });

  it("grows the system disk of a running instance with ForceStop or ResizeOnline, and refuses it without", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ResizeInstanceDisks({ InstanceId: id, SystemDisk: { DiskSize: 100 } }))).toBe("UnsupportedOperation.InstanceStateRunning");
    let r = await c.ResizeInstanceDisks({ InstanceId: id, SystemDisk: { DiskSize: 100 }, ForceStop: true });
    expect((await expectOperation(id, "ResizeInstanceDisks", r.RequestId, "RUNNING")).SystemDisk?.DiskSize).toBe(100);
    r = await c.ResizeInstanceDisks({ InstanceId: id, SystemDisk: { DiskSize: 120, DiskType: "CLOUD_PREMIUM" }, ResizeOnline: true });
    expect((await expectOperation(id, "ResizeInstanceDisks", r.RequestId, "RUNNING")).SystemDisk?.DiskSize).toBe(120);
  });

  it("wants exactly one of DataDisks and SystemDisk, and one data disk", async () => {
    const id = await launchStopped({ DataDisks: [{ DiskSize: 100 }, { DiskSize: 100 }] });
    const disks = (await describeOne(c, id)).DataDisks!;
    expect(await errorCode(c.ResizeInstanceDisks({ InstanceId: id }))).toBe("MissingParameter.AtLeastOne");
    expect(await errorCode(c.ResizeInstanceDisks({ InstanceId: id, DataDisks: [{ DiskId: disks[0]!.DiskId, DiskSize: 200 }], SystemDisk: { DiskSize: 100 } }))).toBe(
      "InvalidParameterValue",
    );
    expect(await errorCode(c.ResizeInstanceDisks({ InstanceId: id, DataDisks: disks.map((d) => ({ DiskId: d.DiskId, DiskSize: 200 })) }))).toBe("InvalidParameterValue");
  });

  it("only grows disks of the instance", async () => {
    const id = await launchStopped(withDataDisk);
    const other = await launchStopped(withDataDisk);
    const disk = (await describeOne(c, id)).DataDisks![0]!;
    const foreign = (await describeOne(c, other)).DataDisks![0]!;
    const cases: Array<[M.ResizeInstanceDisksRequest, string]> = [
      [{ InstanceId: id, DataDisks: [{ DiskId: foreign.DiskId, DiskSize: 200 }] }, "InvalidParameterValue"],
      [{ InstanceId: id, DataDisks: [{ DiskSize: 200 }] }, "MissingParameter"],
      [{ InstanceId: id, DataDisks: [{ DiskId: disk.DiskId, DiskSize: 50 }] }, "InvalidParameterValue"],
      [{ InstanceId: id, DataDisks: [{ DiskId: disk.DiskId, DiskSize: 100 }] }, "InvalidParameterValue"],
      [{ InstanceId: id, DataDisks: [{ DiskId: disk.DiskId, DiskSize: 155 }] }, "InvalidParameterValue"],
      [{ InstanceId: id, DataDisks: [{ DiskId: disk.DiskId, DiskSize: 200, DiskType: "CLOUD_SSD" }] }, "InvalidParameterValue"],
      [{ InstanceId: id, SystemDisk: { DiskSize: 50 } }, "InvalidParameterValue"],
      [{ InstanceId: id, SystemDisk: { DiskSize: 30 } }, "InvalidParameterValue"],
      [{ InstanceId: id, SystemDisk: { DiskSize: 1100 } }, "InvalidParameterValue"],
    ];
    for (const [req, code] of cases) expect([req, await errorCode(c.ResizeInstanceDisks(req))]).toEqual([req, code]);
    expect((await describeOne(c, id)).LatestOperation).toBe("StopInstances");
  });
});

suite("ModifyInstancesAttribute", () => {
  it("renames instances at once", async () => {
    const ids = await launchInstances(server, c, { InstanceCount: 2 });
    const r = await c.ModifyInstancesAttribute({ InstanceIds: ids, InstanceName: "renamed-web" });
    expect((await c.DescribeInstances({ Filters: [{ Name: "instance-name", Values: ["renamed-web"] }] })).TotalCount).toBe(2);
    const ended = await expectOperations(ids, "ModifyInstancesAttribute", r.RequestId, "RUNNING");
    expect(ended.map((i) => i.InstanceName)).toEqual(["renamed-web", "renamed-web"]);
  });

  it("wants an attribute, and a name of at most 60 characters", async () => {
    const id = await launchOne();
    const missing = await sdkError(c.ModifyInstancesAttribute({ InstanceIds: [id] }));
    expect(missing.code).toBe("MissingParameter");
    expect(missing.message).toContain("InstanceName");
    expect(missing.message).toContain("SecurityGroups");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], AutoReboot: true }))).toBe("MissingParameter");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], InstanceName: "n".repeat(61) }))).toBe("InvalidInstanceName.TooLong");
    await c.ModifyInstancesAttribute({ InstanceIds: [id], InstanceName: "n".repeat(60) });
    expect((await describeOne(c, id)).InstanceName).toBe("n".repeat(60));
    server.clock.advance(SETTLE_MS);
  });

  it("replaces the security groups, which must exist", async () => {
    const id = await launchOne();
    const groups = (await describeOne(c, id)).SecurityGroupIds!;
    expect(groups).toHaveLength(1);
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], SecurityGroups: ["sg-12"] }))).toBe("InvalidSgId.Malformed");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], SecurityGroups: ["sg-zzzzzzzz"] }))).toBe("InvalidSecurityGroupId.NotFound");
    const six = ["sg-aaaaaaa1", "sg-aaaaaaa2", "sg-aaaaaaa3", "sg-aaaaaaa4", "sg-aaaaaaa5", "sg-aaaaaaa6"];
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], SecurityGroups: six }))).toBe("LimitExceeded.AssociateUSGLimitExceeded");
    const r = await c.ModifyInstancesAttribute({ InstanceIds: [id], SecurityGroups: [groups[0]!, groups[0]!] });
    expect((await expectOperation(id, "ModifyInstancesAttribute", r.RequestId, "RUNNING")).SecurityGroupIds).toEqual(groups);
  });

  it("reboots a running instance for a new host name, unless AutoReboot is false", async () => {
    const id = await launchOne();
    let r = await c.ModifyInstancesAttribute({ InstanceIds: [id], HostName: "app-server-1" });
    expect((await describeOne(c, id)).HostName).toBe("app-server-1");
    await expectOperation(id, "ModifyInstancesAttribute", r.RequestId, "REBOOTING", "RUNNING");
    r = await c.ModifyInstancesAttribute({ InstanceIds: [id], HostName: "app-server-2", AutoReboot: false });
    expect((await expectOperation(id, "ModifyInstancesAttribute", r.RequestId, "RUNNING")).HostName).toBe("app-server-2");
    const stopped = await launchStopped();
    r = await c.ModifyInstancesAttribute({ InstanceIds: [stopped], HostName: "app-server-3" });
    expect((await expectOperation(stopped, "ModifyInstancesAttribute", r.RequestId, "STOPPED")).HostName).toBe("app-server-3");
  });

  it("checks host names against each instance's OS", async () => {
    const linux = await launchOne();
    const windows = await launchOne({ ImageId: "img-9tzezztj" });
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [linux], HostName: "bad..name" }))).toBe("InvalidParameter.HostNameIllegal");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [linux, windows], HostName: "web.example" }))).toBe("InvalidParameter.HostNameIllegal");
    expect((await describeOne(c, linux)).LatestOperation).toBe("RunInstances");
  });

  it("turns termination protection on and off", async () => {
    const id = await launchOne();
    const r = await c.ModifyInstancesAttribute({ InstanceIds: [id], DisableApiTermination: true });
    expect((await expectOperation(id, "ModifyInstancesAttribute", r.RequestId, "RUNNING")).DisableApiTermination).toBe(true);
    expect(await errorCode(c.TerminateInstances({ InstanceIds: [id] }))).toBe("UnsupportedOperation.InstancesProtected");
    await c.ModifyInstancesAttribute({ InstanceIds: [id], DisableApiTermination: false });
    server.clock.advance(SETTLE_MS);
    await c.TerminateInstances({ InstanceIds: [id] });
    server.clock.advance(SETTLE_MS);
    expect(await describe(c, [id])).toEqual([]);
  });

  it("binds and unbinds a CAM role, and checks its name", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], CamRoleName: "bad role!" }))).toBe("InvalidParameterValue.CamRoleNameMalformed");
    expect(await errorCode(c.ModifyInstancesAttribute({ InstanceIds: [id], CamRoleName: "CVM_QcsRole", CamRoleType: "robot" }))).toBe("InvalidParameterValue");
    await c.ModifyInstancesAttribute({ InstanceIds: [id], CamRoleName: "CVM_QcsRole" });
    server.clock.advance(SETTLE_MS);
    expect((await describeOne(c, id)).CamRoleName).toBe("CVM_QcsRole");
    await c.ModifyInstancesAttribute({ InstanceIds: [id], CamRoleName: "" });
    server.clock.advance(SETTLE_MS);
    expect((await describeOne(c, id)).CamRoleName).toBe("");
  });
});

suite("ModifyInstancesProject", () => {
  it("moves instances to a project at once", async () => {
    const ids = await launchInstances(server, c, { InstanceCount: 2 });
    const r = await c.ModifyInstancesProject({ InstanceIds: ids, ProjectId: 1001 });
    expect((await c.DescribeInstances({ Filters: [{ Name: "project-id", Values: ["1001"] }] })).InstanceSet!.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());
    const ended = await expectOperations(ids, "ModifyInstancesProject", r.RequestId, "RUNNING");
    expect(ended.map((i) => i.Placement?.ProjectId)).toEqual([1001, 1001]);
  });

  it("refuses a negative project id", async () => {
    const id = await launchOne();
    expect(await errorCode(c.ModifyInstancesProject({ InstanceIds: [id], ProjectId: -1 }))).toBe("InvalidProjectId.NotFound");
    expect((await describeOne(c, id)).Placement?.ProjectId).toBe(0);
  });
});
