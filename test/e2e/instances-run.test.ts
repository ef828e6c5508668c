// RunInstances: defaults, naming, networks, idempotency and every documented validation error.
import { afterAll, beforeAll, beforeEach, describe as suite, expect, it } from "vitest";
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { BASIC_RUN, describe, describeOne, launchInstances, SETTLE_MS } from "../helpers/instances.js";
import { adminRequest, cvmClient, sdkError, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

let server: TestServer;
let client: CvmClientType;

beforeAll(async () => {
  server = await startTestServer({ instanceQuota: 30 });
  client = cvmClient(server);
});
afterAll(() => server.close());
beforeEach(async () => {
  await adminRequest(server, "POST", "/_tclocal/reset");
  server.clock.freeze();
});

async function runError(params: Partial<M.RunInstancesRequest>): Promise<{ code?: string; message: string }> {
  return sdkError(client.RunInstances({ ...BASIC_RUN, ...params } as M.RunInstancesRequest));
}

suite("RunInstances success", () => {
  it("creates a PENDING instance that DescribeInstances lists at once, then RUNNING", async () => {
    const { InstanceIdSet, RequestId } = await client.RunInstances(BASIC_RUN);
    expect(InstanceIdSet).toHaveLength(1);
    const id = InstanceIdSet![0]!;
    expect(id).toMatch(/^ins-[a-z0-9]{8}$/);
    let instance = await describeOne(client, id);
    expect(instance.InstanceState).toBe("PENDING");
    expect(instance.LatestOperation).toBe("RunInstances");
    expect(instance.LatestOperationState).toBe("OPERATING");
    expect(instance.LatestOperationRequestId).toBe(RequestId);
    server.clock.advance(SETTLE_MS);
    instance = await describeOne(client, id);
    expect(instance.InstanceState).toBe("RUNNING");
    expect(instance.LatestOperationState).toBe("SUCCESS");
  });

  it("fills the documented defaults and never returns null where the service does not", async () => {
    const [id] = await launchInstances(server, client);
    const i = await describeOne(client, id!);
    expect(i.InstanceChargeType).toBe("POSTPAID_BY_HOUR");
    expect(i.InstanceName).toBe("未命名");
    expect(i.Placement).toEqual({ Zone: "ap-guangzhou-3", ProjectId: 0 });
    expect(i.CPU).toBe(2);
    expect(i.Memory).toBe(4);
    expect(i.SystemDisk).toMatchObject({ DiskType: "CLOUD_PREMIUM", DiskSize: 50 });
    expect(i.SystemDisk!.DiskId).toMatch(/^disk-[a-z0-9]{8}$/);
    expect(i.DataDisks).toEqual([]);
    expect(i.InternetAccessible).toMatchObject({ InternetMaxBandwidthOut: 0, PublicIpAssigned: false });
    expect(i.PublicIpAddresses).toBeNull();
    expect(i.VirtualPrivateCloud!.VpcId).toMatch(/^vpc-[a-z0-9]{8}$/);
    expect(i.VirtualPrivateCloud!.SubnetId).toMatch(/^subnet-[a-z0-9]{8}$/);
    expect(i.PrivateIpAddresses![0]).toMatch(/^172\.16\.\d+\.\d+$/);
    expect(i.SecurityGroupIds![0]).toMatch(/^sg-[a-z0-9]{8}$/);
    expect(i.LoginSettings).toEqual({ KeyIds: [] });
    expect(i.Tags).toEqual([]);
    expect(i.RenewFlag).toBeNull();
    expect(i.ExpiredTime).toBeNull();
    expect(i.RestrictState).toBe("NORMAL");
    expect(i.StopChargingMode).toBe("NOT_APPLICABLE");
    expect(i.OsName).toBe("CentOS 7.6 64位");
    expect(i.Uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(i.CreatedTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(i.DefaultLoginUser).toBe("root");
    expect(i.DefaultLoginPort).toBe(22);
    expect(i.DisableApiTermination).toBe(false);
  });

  it("gives each instance of the default network a distinct private IP in its zone's subnet, and a public IP with bandwidth", async () => {
    const ids = await launchInstances(server, client, { InstanceCount: 3, InternetAccessible: { InternetMaxBandwidthOut: 5 } });
    const instances = await describe(client, ids);
    const ips = instances.map((i) => i.PrivateIpAddresses![0]);
    expect(new Set(ips).size).toBe(3);
    expect(new Set(instances.map((i) => i.VirtualPrivateCloud!.SubnetId)).size).toBe(1);
    for (const i of instances) {
      expect(i.PublicIpAddresses).toHaveLength(1);
      expect(i.InternetAccessible!.PublicIpAssigned).toBe(true);
    }
    const [other] = await launchInstances(server, client, { Placement: { Zone: "ap-guangzhou-4" } });
    const o = await describeOne(client, other!);
    expect(o.VirtualPrivateCloud!.VpcId).toBe(instances[0]!.VirtualPrivateCloud!.VpcId);
    expect(o.VirtualPrivateCloud!.SubnetId).not.toBe(instances[0]!.VirtualPrivateCloud!.SubnetId);
  });

  it("accepts explicit private IPs of the subnet and refuses used or foreign ones", async () => {
    const [first] = await launchInstances(server, client);
    const i = await describeOne(client, first!);
    const vpc = i.VirtualPrivateCloud!;
    const [second] = await launchInstances(server, client, { VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.32.100"] } });
    expect((await describeOne(client, second!)).PrivateIpAddresses).toEqual(["172.16.32.100"]);
    expect((await runError({ VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.32.100"] } })).code).toBe("VpcIpIsUsed");
    expect((await runError({ VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["10.0.0.5"] } })).code).toBe("VpcAddrNotInSubNet");
    expect((await runError({ VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.32"] } })).code).toBe("InvalidParameter.InvalidIpFormat");
    expect((await runError({ VirtualPrivateCloud: { VpcId: "vpc-zzzzzzzz", SubnetId: vpc.SubnetId } })).code).toBe("InvalidParameterValue.VpcIdNotExist");
    expect((await runError({ VirtualPrivateCloud: { VpcId: "vpc-1", SubnetId: vpc.SubnetId } })).code).toBe("InvalidParameterValue.VpcIdMalformed");
    expect((await runError({ VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: "subnet-zzzzzzzz" } })).code).toBe("InvalidParameterValue.SubnetNotExist");
    expect((await runError({ Placement: { Zone: "ap-guangzhou-4" }, VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId } })).code).toBe(
      "InvalidParameterValue.SubnetIdZoneIdNotMatch",
    );
  });

  it("expands name and host name patterns, and suffixes a plain name in a batch", async () => {
    const patterned = await launchInstances(server, client, { InstanceCount: 3, InstanceName: "app_{R:99,F:2}", HostName: "node-{R:1}" });
    const a = await describe(client, patterned);
    expect(a.map((i) => i.InstanceName)).toEqual(["app_99", "app_100", "app_101"]);
    expect(a.map((i) => i.HostName)).toEqual(["node-1", "node-2", "node-3"]);
    const plain = await launchInstances(server, client, { InstanceCount: 2, InstanceName: "server_" });
    expect((await describe(client, plain)).map((i) => i.InstanceName)).toEqual(["server_1", "server_2"]);
    const single = await launchInstances(server, client, { InstanceName: "server_{R:3}" });
    expect((await describeOne(client, single[0]!)).InstanceName).toBe("server_3");
    const ip = await launchInstances(server, client, { HostName: "web-{IP}" });
    const withIp = await describeOne(client, ip[0]!);
    expect(withIp.HostName).toBe(`web-${withIp.PrivateIpAddresses![0]}`);
  });

  it("is idempotent with ClientToken: the same token returns the same ids and creates nothing", async () => {
    const first = await client.RunInstances({ ...BASIC_RUN, InstanceCount: 2, ClientToken: "tf-create-0001" });
    const again = await client.RunInstances({ ...BASIC_RUN, InstanceCount: 2, ClientToken: "tf-create-0001" });
    expect(again.InstanceIdSet).toEqual(first.InstanceIdSet);
    expect((await client.DescribeInstances({})).TotalCount).toBe(2);
    expect((await runError({ ClientToken: "x".repeat(65) })).code).toBe("InvalidClientToken.TooLong");
  });

  it("applies instance tags from TagSpecification and buys prepaid instances with an expiry", async () => {
    const [tagged] = await launchInstances(server, client, { TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "env", Value: "ci" }] }] });
    expect((await describeOne(client, tagged!)).Tags).toEqual([{ Key: "env", Value: "ci" }]);
    const [prepaid] = await launchInstances(server, client, { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1, RenewFlag: "NOTIFY_AND_AUTO_RENEW" } });
    const p = await describeOne(client, prepaid!);
    expect(p.InstanceChargeType).toBe("PREPAID");
    expect(p.RenewFlag).toBe("NOTIFY_AND_AUTO_RENEW");
    expect(Date.parse(p.ExpiredTime!) - Date.parse(p.CreatedTime!)).toBeGreaterThanOrEqual(28 * 86400_000);
  });

  it("changes nothing on DryRun, and reports DryRunOperation when the request would succeed", async () => {
    expect((await runError({ DryRun: true })).code).toBe("DryRunOperation");
    expect((await client.DescribeInstances({})).TotalCount).toBe(0);
    expect((await runError({ DryRun: true, ImageId: "img-00000000" })).code).toBe("InvalidImageId.NotFound");
  });
});

suite("RunInstances validation", () => {
  const cases: Array<[string, Partial<M.RunInstancesRequest>, string]> = [
    ["zone of another region", { Placement: { Zone: "ap-shanghai-2" } }, "InvalidZone.MismatchRegion"],
    ["unknown zone", { Placement: { Zone: "ap-guangzhou-99" } }, "InvalidParameterValue.ZoneNotSupported"],
    ["sold-out zone", { Placement: { Zone: "ap-guangzhou-1" } }, "ResourceInsufficient.AvailabilityZoneSoldOut"],
    ["malformed image", { ImageId: "img-123" }, "InvalidImageId.Malformed"],
    ["unknown image", { ImageId: "img-zzzzzzzz" }, "InvalidImageId.NotFound"],
    ["malformed instance type", { InstanceType: "s5-medium" }, "InvalidInstanceType.Malformed"],
    ["unknown instance type", { InstanceType: "ZZ9.HUGE1" }, "InvalidParameterValue.InstanceTypeNotFound"],
    ["bad charge type", { InstanceChargeType: "FREE" }, "InvalidParameterValue"],
    ["prepaid without period", { InstanceChargeType: "PREPAID" }, "MissingParameter"],
    ["bad period", { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 13 } }, "InvalidPeriod"],
    ["instance count 0", { InstanceCount: 0 }, "InvalidParameterValue.Range"],
    ["instance count 501", { InstanceCount: 501 }, "InvalidParameterValue.Range"],
    ["MinCount above InstanceCount", { InstanceCount: 2, MinCount: 3 }, "InvalidParameterValue.InvalidParameterMinCount"],
    ["system disk too small", { SystemDisk: { DiskSize: 10 } }, "InvalidParameterValue.Range"],
    ["bad disk type", { SystemDisk: { DiskType: "FLOPPY" } }, "InvalidParameterValue"],
    ["small CLOUD_SSD data disk", { DataDisks: [{ DiskSize: 50, DiskType: "CLOUD_SSD" }] }, "InvalidParameterValue.CloudSsdDataDiskSizeTooSmall"],
    ["too many data disks", { DataDisks: Array.from({ length: 22 }, () => ({ DiskSize: 20 })) }, "InvalidParameterValue.LimitExceeded"],
    ["short Linux password", { LoginSettings: { Password: "abc" } }, "InvalidPassword"],
    ["one-class Linux password", { LoginSettings: { Password: "abcdefghij" } }, "InvalidPassword"],
    ["password with key pairs", { LoginSettings: { Password: "Qcloud@TestApi123++", KeyIds: ["skey-abcdefgh"] } }, "InvalidParameterCombination"],
    ["malformed key pair", { LoginSettings: { KeyIds: ["skey-1"] } }, "InvalidKeyPairId.Malformed"],
    ["unknown key pair", { LoginSettings: { KeyIds: ["skey-abcdefgh"] } }, "InvalidParameterValue.KeyPairNotFound"],
    ["name too long", { InstanceName: "n".repeat(129) }, "InvalidInstanceName.TooLong"],
    ["bad host name", { HostName: "-bad-" }, "InvalidParameterValue.IllegalHostName"],
    ["unknown security group", { SecurityGroupIds: ["sg-zzzzzzzz"] }, "InvalidSecurityGroupId.NotFound"],
    ["reserved tag key", { TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "qcloud:x", Value: "1" }] }] }, "FailedOperation.TagKeyReserved"],
    ["duplicate tag keys", { TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] }] }, "InvalidParameterValue.DuplicateTags"],
    ["user data not base64", { UserData: "not base64!" }, "InvalidParameterValue.InvalidUserDataFormat"],
    ["bandwidth out of range", { InternetAccessible: { InternetMaxBandwidthOut: 1000 } }, "InvalidParameterValue.Range"],
    ["half a CPU topology", { CpuTopology: { CoreCount: 2 } }, "InvalidParameter.LackCoreCountOrThreadPerCore"],
  ];
  for (const [name, params, code] of cases) {
    it(`${name} → ${code}`, async () => {
      const error = await runError(params);
      expect(error.code).toBe(code);
      expect((await client.DescribeInstances({})).TotalCount).toBe(0);
    });
  }

  it("needs Placement and ImageId", async () => {
    const noPlacement = await sdkError(client.RunInstances({ ImageId: "img-9qabwvbn" }));
    expect(noPlacement.code).toBe("MissingParameter");
    expect(noPlacement.message).toContain("Placement");
    const noImage = await sdkError(client.RunInstances({ Placement: { Zone: "ap-guangzhou-3" } }));
    expect(noImage.code).toBe("MissingParameter");
    expect(noImage.message).toContain("ImageId");
  });

  it("applies Windows password rules to Windows images and refuses key pairs there", async () => {
    const { ImageSet } = await client.DescribeImages({ Filters: [{ Name: "platform", Values: ["Windows"] }] });
    const windows = ImageSet![0]!.ImageId!;
    expect((await runError({ ImageId: windows, LoginSettings: { Password: "Abcdef12" } })).code).toBe("InvalidPassword");
    expect((await runError({ ImageId: windows, LoginSettings: { KeyIds: ["skey-abcdefgh"] } })).code).toBe("UnsupportedOperation.KeyPairUnsupportedWindows");
    const [ok] = await launchInstances(server, client, { ImageId: windows, LoginSettings: { Password: "Qcloud@TestApi123++" } });
    const instance = await describeOne(client, ok!);
    expect(instance.DefaultLoginUser).toBe("Administrator");
  });

  it("enforces the per-zone instance quota", async () => {
    await launchInstances(server, client, { InstanceCount: 25 });
    const error = await runError({ InstanceCount: 6 });
    expect(error.code).toBe("LimitExceeded.InstanceQuota");
    expect(error.message).toContain("30");
    await launchInstances(server, client, { InstanceCount: 5 });
    expect((await client.DescribeInstances({ Limit: 100 })).TotalCount).toBe(30);
  });
});
