// Billing (charge type, renew flag, renewal), network (VPC attributes, security groups) and the read-only
// questions (attributes, operation limits, account quota), through the official SDK.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { describe as suite, expect, it } from "vitest";
import { NetworkRepository } from "../../src/products/cvm/network/repository.js";
import { BASIC_RUN, describeOne, launchInstances, SETTLE_MS, stopInstances, useTestServer } from "../helpers/instances.js";
import { createAccount, cvmClient, sdkError } from "../helpers/server.js";
import { writeDirectly } from "../helpers/store.js";

const env = useTestServer();

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  return (await sdkError(call)).code;
}

/** An API time: ISO 8601 in UTC without milliseconds. */
function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function monthsLater(ms: number, months: number): number {
  const date = new Date(ms);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.getTime();
}

const UNKNOWN_ID = "ins-zzzzzzzz";
const PREPAID_RUN: Partial<M.RunInstancesRequest> = { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } };
/** 101 well-formed ids: one more than a batch takes. */
const TOO_MANY_IDS = Array.from({ length: 101 }, (_, i) => `ins-${String(i).padStart(8, "0")}`);


/** Security groups made directly in the store (the VPC API that creates them is not emulated yet). */
async function createGroups(count: number): Promise<string[]> {
  const groups: string[] = [];
  for (let i = 0; i < count; i++) {
    groups.push(await writeDirectly(env.server, (sql) => new NetworkRepository(sql, env.server.defaultAccount.uin, "ap-guangzhou").createSecurityGroup(`group-${i}`, env.server.clock.now())));
  }
  return groups;
}

/** A subnet (and, if asked, its own VPC) made directly in the store, as a fixture for moving instances. */
async function createSubnet(zone: string, cidr: string, vpcId: string): Promise<string> {
  const subnetId = `subnet-fx${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
  await writeDirectly(env.server, (sql) =>
    sql.run("INSERT INTO cvm_subnets (account_uin, region, subnet_id, vpc_id, zone, cidr, is_default, next_host, created_at) VALUES (?, 'ap-guangzhou', ?, ?, ?, ?, 0, 2, ?)", [
      env.server.defaultAccount.uin,
      subnetId,
      vpcId,
      zone,
      cidr,
      env.server.clock.now(),
    ]),
  );
  return subnetId;
}

async function createVpc(cidr: string): Promise<string> {
  const vpcId = `vpc-fx${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
  await writeDirectly(env.server, (sql) =>
    sql.run("INSERT INTO cvm_vpcs (account_uin, region, vpc_id, cidr, is_default, created_at) VALUES (?, 'ap-guangzhou', ?, ?, 0, ?)", [
      env.server.defaultAccount.uin,
      vpcId,
      cidr,
      env.server.clock.now(),
    ]),
  );
  return vpcId;
}

suite("ModifyInstancesChargeType", () => {
  it("switches a pay-as-you-go instance to a monthly subscription, then back", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const now = env.server.clock.now();
    const answer = await env.client.ModifyInstancesChargeType({
      InstanceIds: [id!],
      InstanceChargeType: "PREPAID",
      InstanceChargePrepaid: { Period: 3, RenewFlag: "NOTIFY_AND_AUTO_RENEW" },
    });
    let i = await describeOne(env.client, id!);
    expect(i.InstanceChargeType).toBe("PREPAID");
    expect(i.ExpiredTime).toBe(apiTime(monthsLater(now, 3)));
    expect(i.RenewFlag).toBe("NOTIFY_AND_AUTO_RENEW");
    expect(i.InstanceState).toBe("RUNNING");
    expect(i.LatestOperation).toBe("ModifyInstancesChargeType");
    expect(i.LatestOperationState).toBe("OPERATING");
    expect(i.LatestOperationRequestId).toBe(answer.RequestId);
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: [id!], InstanceChargeType: "POSTPAID_BY_HOUR" }))).toBe(
      "OperationDenied.InstanceOperationInProgress",
    );
    env.server.clock.advance(SETTLE_MS);
    expect((await describeOne(env.client, id!)).LatestOperationState).toBe("SUCCESS");

    await env.client.ModifyInstancesChargeType({ InstanceIds: [id!], InstanceChargeType: "POSTPAID_BY_HOUR" });
    env.server.clock.advance(SETTLE_MS);
    i = await describeOne(env.client, id!);
    expect(i.InstanceChargeType).toBe("POSTPAID_BY_HOUR");
    expect(i.ExpiredTime).toBeNull();
    expect(i.RenewFlag).toBeNull();
  });

  it("defaults the renew flag to NOTIFY_AND_MANUAL_RENEW and works on stopped instances", async () => {
    const [id] = await launchInstances(env.server, env.client);
    await stopInstances(env.server, env.client, [id!]);
    await env.client.ModifyInstancesChargeType({ InstanceIds: [id!], InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 12 } });
    const i = await describeOne(env.client, id!);
    expect(i.RenewFlag).toBe("NOTIFY_AND_MANUAL_RENEW");
    expect(i.InstanceState).toBe("STOPPED");
    expect(i.ExpiredTime).toBe(apiTime(monthsLater(env.server.clock.now(), 12)));
  });

  it("refuses the charge type an instance already has", async () => {
    const [postpaid] = await launchInstances(env.server, env.client);
    const [prepaid] = await launchInstances(env.server, env.client, PREPAID_RUN);
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: [postpaid!], InstanceChargeType: "POSTPAID_BY_HOUR" }))).toBe(
      "UnsupportedOperation.InstanceChargeType",
    );
    expect(
      await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: [postpaid!, prepaid!], InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } })),
    ).toBe("UnsupportedOperation.InstanceChargeType");
    // All or nothing: the pay-as-you-go instance of the refused batch did not switch.
    expect((await describeOne(env.client, postpaid!)).InstanceChargeType).toBe("POSTPAID_BY_HOUR");
  });

  it("validates the charge parameters", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const ids = [id!];
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ids, InstanceChargeType: "PREPAID" }))).toBe("MissingParameter");
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ids, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 13 } }))).toBe(
      "InvalidPeriod",
    );
    expect(
      await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ids, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1, RenewFlag: "ALWAYS" } })),
    ).toBe("InvalidParameterValue");
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ids, InstanceChargeType: "SPOTPAID" }))).toBe("InvalidParameterValue");
  });

  it("checks ids: at most 20, well formed, existing, all or nothing", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const prepaid = { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } };
    const ids21 = TOO_MANY_IDS.slice(0, 21);
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ids21, ...prepaid }))).toBe("InvalidParameterValue.LimitExceeded");
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: ["ins-SHORT"], ...prepaid }))).toBe("InvalidInstanceId.Malformed");
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: [id!, UNKNOWN_ID], ...prepaid }))).toBe("InvalidInstanceId.NotFound");
    expect((await describeOne(env.client, id!)).InstanceChargeType).toBe("POSTPAID_BY_HOUR");
  });

  it("refuses pending, stopping and stopped-without-charging instances", async () => {
    const { InstanceIdSet } = await env.client.RunInstances(BASIC_RUN);
    const prepaid = { InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } };
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: InstanceIdSet!, ...prepaid }))).toBe("UnsupportedOperation.InstanceStatePending");
    env.server.clock.advance(SETTLE_MS);
    await env.client.StopInstances({ InstanceIds: InstanceIdSet!, StoppedMode: "STOP_CHARGING" });
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: InstanceIdSet!, ...prepaid }))).toBe("UnsupportedOperation.InstanceStateStopping");
    env.server.clock.advance(SETTLE_MS);
    expect(await codeOf(env.client.ModifyInstancesChargeType({ InstanceIds: InstanceIdSet!, ...prepaid }))).toBe("InvalidInstance.NotSupported");
  });
});

suite("ModifyInstancesRenewFlag", () => {
  it("changes the renew flag of monthly-subscription instances", async () => {
    const ids = await launchInstances(env.server, env.client, { ...PREPAID_RUN, InstanceCount: 2 });
    expect((await describeOne(env.client, ids[0]!)).RenewFlag).toBe("NOTIFY_AND_MANUAL_RENEW");
    const answer = await env.client.ModifyInstancesRenewFlag({ InstanceIds: ids, RenewFlag: "DISABLE_NOTIFY_AND_MANUAL_RENEW" });
    for (const id of ids) {
      const i = await describeOne(env.client, id);
      expect(i.RenewFlag).toBe("DISABLE_NOTIFY_AND_MANUAL_RENEW");
      expect(i.LatestOperation).toBe("ModifyInstancesRenewFlag");
      expect(i.LatestOperationRequestId).toBe(answer.RequestId);
    }
    env.server.clock.advance(SETTLE_MS);
    expect((await describeOne(env.client, ids[1]!)).LatestOperationState).toBe("SUCCESS");
  });

  it("refuses pay-as-you-go instances, unknown flags and too many ids", async () => {
    const [postpaid] = await launchInstances(env.server, env.client);
    const [prepaid] = await launchInstances(env.server, env.client, PREPAID_RUN);
    expect(await codeOf(env.client.ModifyInstancesRenewFlag({ InstanceIds: [prepaid!, postpaid!], RenewFlag: "NOTIFY_AND_AUTO_RENEW" }))).toBe(
      "UnsupportedOperation.InstanceChargeType",
    );
    expect((await describeOne(env.client, prepaid!)).RenewFlag).toBe("NOTIFY_AND_MANUAL_RENEW");
    expect(await codeOf(env.client.ModifyInstancesRenewFlag({ InstanceIds: [prepaid!], RenewFlag: "AUTO" }))).toBe("InvalidParameterValue");
    expect(await codeOf(env.client.ModifyInstancesRenewFlag({ InstanceIds: TOO_MANY_IDS, RenewFlag: "NOTIFY_AND_AUTO_RENEW" }))).toBe(
      "InvalidParameterValue.LimitExceeded",
    );
    expect(await codeOf(env.client.ModifyInstancesRenewFlag({ InstanceIds: ["i-123"], RenewFlag: "NOTIFY_AND_AUTO_RENEW" }))).toBe("InvalidInstanceId.Malformed");
  });
});

suite("RenewInstances", () => {
  it("extends the expiry by whole months and can change the renew flag", async () => {
    const launchedAt = env.server.clock.now();
    const [id] = await launchInstances(env.server, env.client, PREPAID_RUN);
    expect((await describeOne(env.client, id!)).ExpiredTime).toBe(apiTime(monthsLater(launchedAt, 1)));
    const answer = await env.client.RenewInstances({ InstanceIds: [id!], InstanceChargePrepaid: { Period: 2, RenewFlag: "NOTIFY_AND_AUTO_RENEW" } });
    const i = await describeOne(env.client, id!);
    expect(i.ExpiredTime).toBe(apiTime(monthsLater(monthsLater(launchedAt, 1), 2)));
    expect(i.RenewFlag).toBe("NOTIFY_AND_AUTO_RENEW");
    expect(i.LatestOperation).toBe("RenewInstances");
    expect(i.LatestOperationRequestId).toBe(answer.RequestId);
  });

  it("restores a monthly-subscription instance from the recycle bin", async () => {
    const [id] = await launchInstances(env.server, env.client, PREPAID_RUN);
    await env.client.TerminateInstances({ InstanceIds: [id!] });
    env.server.clock.advance(SETTLE_MS);
    expect((await describeOne(env.client, id!)).InstanceState).toBe("SHUTDOWN");
    await env.client.RenewInstances({ InstanceIds: [id!], InstanceChargePrepaid: { Period: 1 } });
    env.server.clock.advance(SETTLE_MS);
    const i = await describeOne(env.client, id!);
    expect(i.InstanceState).toBe("STOPPED");
    expect(i.IsolatedSource).toBe("NOTISOLATED");
    expect(i.LatestOperationState).toBe("SUCCESS");
  });

  it("refuses pay-as-you-go and mixed batches, and validates the period", async () => {
    const [postpaid] = await launchInstances(env.server, env.client);
    const [prepaid] = await launchInstances(env.server, env.client, PREPAID_RUN);
    const month = { Period: 1 };
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [postpaid!], InstanceChargePrepaid: month }))).toBe("UnsupportedOperation.InstanceChargeType");
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [prepaid!, postpaid!], InstanceChargePrepaid: month }))).toBe(
      "InvalidParameterValue.InstanceNotSupportedMixPricingModel",
    );
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [prepaid!] }))).toBe("MissingParameter");
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [prepaid!], InstanceChargePrepaid: { Period: 0 } }))).toBe("InvalidPeriod");
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [prepaid!], InstanceChargePrepaid: { Period: 1, RenewFlag: "X" } }))).toBe("InvalidParameterValue");
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: TOO_MANY_IDS, InstanceChargePrepaid: month }))).toBe("InvalidParameterValue.LimitExceeded");
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: [UNKNOWN_ID], InstanceChargePrepaid: month }))).toBe("InvalidInstanceId.NotFound");
  });

  it("refuses a pending instance", async () => {
    const { InstanceIdSet } = await env.client.RunInstances({ ...BASIC_RUN, ...PREPAID_RUN });
    expect(await codeOf(env.client.RenewInstances({ InstanceIds: InstanceIdSet!, InstanceChargePrepaid: { Period: 1 } }))).toBe(
      "UnsupportedOperation.InstanceStatePending",
    );
  });
});

suite("ModifyInstancesVpcAttribute", () => {
  it("changes the private IP of a running instance in its subnet", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const before = await describeOne(env.client, id!);
    // The default subnet of ap-guangzhou-3 (the third zone) is 172.16.32.0/20; the first host is .2.
    expect(before.PrivateIpAddresses).toEqual(["172.16.32.2"]);
    expect(before.HostName).toBe("VM-32-2-centos");
    const vpc = before.VirtualPrivateCloud!;
    const answer = await env.client.ModifyInstancesVpcAttribute({
      InstanceIds: [id!],
      VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.40.9"] },
    });
    let i = await describeOne(env.client, id!);
    expect(i.PrivateIpAddresses).toEqual(["172.16.40.9"]);
    expect(i.HostName).toBe("VM-32-2-centos");
    expect(i.InstanceState).toBe("RUNNING");
    expect(i.LatestOperation).toBe("ModifyInstancesVpcAttribute");
    expect(i.LatestOperationState).toBe("OPERATING");
    expect(i.LatestOperationRequestId).toBe(answer.RequestId);
    env.server.clock.advance(SETTLE_MS);
    i = await describeOne(env.client, id!);
    expect(i.LatestOperationState).toBe("SUCCESS");
    expect((await env.client.DescribeInstances({ Filters: [{ Name: "private-ip-address", Values: ["172.16.40.9"] }] })).TotalCount).toBe(1);

    // The freed address can be used again; without ReserveHostName the default host name follows the address.
    await env.client.ModifyInstancesVpcAttribute({
      InstanceIds: [id!],
      VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.32.2"] },
      ReserveHostName: false,
    });
    i = await describeOne(env.client, id!);
    expect(i.PrivateIpAddresses).toEqual(["172.16.32.2"]);
    expect(i.HostName).toBe("VM-32-2-centos");
  });

  it("renames a default host name after the new address when ReserveHostName is false", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const vpc = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    await env.client.ModifyInstancesVpcAttribute({
      InstanceIds: [id!],
      VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.33.7"] },
      ReserveHostName: false,
    });
    expect((await describeOne(env.client, id!)).HostName).toBe("VM-33-7-centos");
  });

  it("moves instances to another subnet of their zone, allocating addresses there", async () => {
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 2 });
    const vpcId = (await describeOne(env.client, ids[0]!)).VirtualPrivateCloud!.VpcId;
    const subnetId = await createSubnet("ap-guangzhou-3", "172.16.200.0/24", vpcId);
    await env.client.ModifyInstancesVpcAttribute({ InstanceIds: ids, VirtualPrivateCloud: { VpcId: vpcId, SubnetId: subnetId } });
    const moved = await Promise.all(ids.map((id) => describeOne(env.client, id)));
    expect(moved.map((i) => i.VirtualPrivateCloud!.SubnetId)).toEqual([subnetId, subnetId]);
    expect(moved.map((i) => i.PrivateIpAddresses![0])).toEqual(["172.16.200.2", "172.16.200.3"]);
    expect((await env.client.DescribeInstances({ Filters: [{ Name: "subnet-id", Values: [subnetId] }] })).TotalCount).toBe(2);
  });

  it("refuses a running instance when ForceStop is false, and accepts it stopped", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const vpc = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    const request = { InstanceIds: [id!], VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ["172.16.32.50"] }, ForceStop: false };
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute(request))).toBe("UnsupportedOperation.InstanceStateRunning");
    await stopInstances(env.server, env.client, [id!]);
    await env.client.ModifyInstancesVpcAttribute(request);
    const i = await describeOne(env.client, id!);
    expect(i.PrivateIpAddresses).toEqual(["172.16.32.50"]);
    expect(i.InstanceState).toBe("STOPPED");
  });

  it("refuses instances stopped without charging, and pending ones", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const vpc = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    await env.client.StopInstances({ InstanceIds: [id!], StoppedMode: "STOP_CHARGING" });
    env.server.clock.advance(SETTLE_MS);
    const target = { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId };
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: [id!], VirtualPrivateCloud: target }))).toBe(
      "UnsupportedOperation.StoppedModeStopCharging",
    );
    const { InstanceIdSet } = await env.client.RunInstances(BASIC_RUN);
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: InstanceIdSet!, VirtualPrivateCloud: target }))).toBe(
      "UnsupportedOperation.InstanceStatePending",
    );
  });

  it("checks the requested addresses", async () => {
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 2 });
    const vpc = (await describeOne(env.client, ids[0]!)).VirtualPrivateCloud!;
    const other = (await describeOne(env.client, ids[1]!)).PrivateIpAddresses![0]!;
    const modify = (instanceIds: string[], ips: string[]) =>
      codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: instanceIds, VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId, PrivateIpAddresses: ips } }));
    expect(await modify([ids[0]!], [other])).toBe("VpcIpIsUsed");
    expect(await modify(ids, ["172.16.33.1", "172.16.33.1"])).toBe("VpcIpIsUsed");
    expect(await modify([ids[0]!], ["10.0.0.8"])).toBe("VpcAddrNotInSubNet");
    expect(await modify([ids[0]!], ["172.16.32.999"])).toBe("InvalidParameterValue.IPAddressMalformed");
    expect(await modify(ids, ["172.16.33.1"])).toBe("InvalidParameterValue");
    expect((await describeOne(env.client, ids[0]!)).PrivateIpAddresses).toEqual(["172.16.32.2"]);
  });

  it("checks the VPC and subnet", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const [elsewhere] = await launchInstances(env.server, env.client, { Placement: { Zone: "ap-guangzhou-4" } });
    const vpc = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    const zone4Subnet = (await describeOne(env.client, elsewhere!)).VirtualPrivateCloud!.SubnetId!;
    const modify = (VpcId: string, SubnetId: string) => codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: [id!], VirtualPrivateCloud: { VpcId, SubnetId } }));
    expect(await modify("vpc-1", vpc.SubnetId)).toBe("InvalidParameterValue.VpcIdMalformed");
    expect(await modify(vpc.VpcId, "subnet-X")).toBe("InvalidParameterValue.SubnetIdMalformed");
    expect(await modify("vpc-zzzzzzzz", vpc.SubnetId)).toBe("InvalidParameterValue.VpcIdNotExist");
    expect(await modify(vpc.VpcId, "subnet-zzzzzzzz")).toBe("InvalidParameterValue.SubnetNotExist");
    expect(await modify(vpc.VpcId, zone4Subnet)).toBe("InvalidParameterValue.SubnetIdZoneIdNotMatch");
    const otherVpc = await createVpc("10.1.0.0/16");
    const foreignSubnet = await createSubnet("ap-guangzhou-3", "10.1.0.0/24", otherVpc);
    expect(await modify(vpc.VpcId, foreignSubnet)).toBe("InvalidParameterValue.VpcIdSubnetIdNotMatch");
    // A batch spanning two zones cannot move to one zone's subnet.
    expect(
      await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: [id!, elsewhere!], VirtualPrivateCloud: { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId } })),
    ).toBe("InvalidParameterValue.SubnetIdZoneIdNotMatch");
  });

  it("checks instance ids", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const vpc = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    const target = { VpcId: vpc.VpcId, SubnetId: vpc.SubnetId };
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: ["ins-1"], VirtualPrivateCloud: target }))).toBe("InvalidInstanceId.Malformed");
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: [id!, UNKNOWN_ID], VirtualPrivateCloud: target }))).toBe("InvalidInstanceId.NotFound");
    expect(await codeOf(env.client.ModifyInstancesVpcAttribute({ InstanceIds: TOO_MANY_IDS, VirtualPrivateCloud: target }))).toBe(
      "InvalidParameterValue.LimitExceeded",
    );
  });
});

suite("AssociateSecurityGroups and DisassociateSecurityGroups", () => {
  it("binds a group after the instance's groups, then unbinds it", async () => {
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 2 });
    const [defaultGroup] = (await describeOne(env.client, ids[0]!)).SecurityGroupIds!;
    const [web] = await createGroups(1);
    const answer = await env.client.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: ids });
    for (const id of ids) {
      const i = await describeOne(env.client, id);
      expect(i.SecurityGroupIds).toEqual([defaultGroup, web]);
      expect(i.LatestOperation).toBe("AssociateSecurityGroups");
      expect(i.LatestOperationState).toBe("OPERATING");
      expect(i.LatestOperationRequestId).toBe(answer.RequestId);
    }
    expect((await env.client.DescribeInstances({ Filters: [{ Name: "security-group-id", Values: [web!] }] })).TotalCount).toBe(2);
    expect(await codeOf(env.client.DisassociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: ids }))).toBe("OperationDenied.InstanceOperationInProgress");
    env.server.clock.advance(SETTLE_MS);
    expect((await describeOne(env.client, ids[0]!)).LatestOperationState).toBe("SUCCESS");

    await env.client.DisassociateSecurityGroups({ SecurityGroupIds: [defaultGroup!], InstanceIds: [ids[0]!] });
    const i = await describeOne(env.client, ids[0]!);
    expect(i.SecurityGroupIds).toEqual([web]);
    expect(i.LatestOperation).toBe("DisassociateSecurityGroups");
    env.server.clock.advance(SETTLE_MS);
    // The last group can go too: nothing in the API reference forbids an instance without groups.
    await env.client.DisassociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: [ids[0]!] });
    expect((await describeOne(env.client, ids[0]!)).SecurityGroupIds).toEqual([]);
  });

  it("binds a group twice only once", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const [web] = await createGroups(1);
    await env.client.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: [id!] });
    env.server.clock.advance(SETTLE_MS);
    await env.client.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: [id!] });
    expect((await describeOne(env.client, id!)).SecurityGroupIds).toHaveLength(2);
  });

  it("keeps an instance at five groups at most, all or nothing", async () => {
    const groups = await createGroups(6);
    const [full] = await launchInstances(env.server, env.client, { SecurityGroupIds: groups.slice(0, 5) });
    const [roomy] = await launchInstances(env.server, env.client);
    expect(await codeOf(env.client.AssociateSecurityGroups({ SecurityGroupIds: [groups[5]!], InstanceIds: [roomy!, full!] }))).toBe(
      "LimitExceeded.AssociateUSGLimitExceeded",
    );
    expect((await describeOne(env.client, roomy!)).SecurityGroupIds).toHaveLength(1);
  });

  it("checks the security group: one per call, well formed, existing, bound (to disassociate)", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const [a, b] = await createGroups(2);
    for (const call of [env.client.AssociateSecurityGroups.bind(env.client), env.client.DisassociateSecurityGroups.bind(env.client)]) {
      expect(await codeOf(call({ SecurityGroupIds: [a!, b!], InstanceIds: [id!] }))).toBe("InvalidParameterValue.LimitExceeded");
      expect(await codeOf(call({ SecurityGroupIds: ["sg-1"], InstanceIds: [id!] }))).toBe("InvalidSgId.Malformed");
      expect(await codeOf(call({ SecurityGroupIds: ["sg-zzzzzzzz"], InstanceIds: [id!] }))).toBe("InvalidSecurityGroupId.NotFound");
    }
    expect(await codeOf(env.client.DisassociateSecurityGroups({ SecurityGroupIds: [a!], InstanceIds: [id!] }))).toBe("FailedOperation.SecurityGroupActionFailed");
  });

  it("checks instance ids and states", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const [web] = await createGroups(1);
    const associate = (InstanceIds: string[]) => codeOf(env.client.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds }));
    expect(await associate(TOO_MANY_IDS)).toBe("InvalidParameterValue.LimitExceeded");
    expect(await associate(["ins-x"])).toBe("InvalidInstanceId.Malformed");
    expect(await associate([id!, UNKNOWN_ID])).toBe("InvalidInstanceId.NotFound");
    const { InstanceIdSet } = await env.client.RunInstances(BASIC_RUN);
    expect(await associate(InstanceIdSet!)).toBe("UnsupportedOperation.InstanceStatePending");
    await env.client.StopInstances({ InstanceIds: [id!] });
    expect(await associate([id!])).toBe("OperationDenied.InstanceOperationInProgress");
  });
});

suite("DescribeInstancesAttributes", () => {
  it("answers the UserData given at purchase, and an empty string without", async () => {
    const userData = Buffer.from("#!/bin/sh\necho hello\n").toString("base64");
    const [withData] = await launchInstances(env.server, env.client, { UserData: userData });
    const [without] = await launchInstances(env.server, env.client);
    const answer = await env.client.DescribeInstancesAttributes({ Attributes: ["UserData"], InstanceIds: [withData!, without!] });
    expect(answer.InstanceSet).toEqual([
      { InstanceId: withData, Attributes: { UserData: userData } },
      { InstanceId: without, Attributes: { UserData: "" } },
    ]);
    // DescribeInstances never shows it.
    expect(Object.keys(await describeOne(env.client, withData!))).not.toContain("UserData");
  });

  it("checks attributes and ids", async () => {
    const [id] = await launchInstances(env.server, env.client);
    expect(await codeOf(env.client.DescribeInstancesAttributes({ Attributes: ["Password"], InstanceIds: [id!] }))).toBe("InvalidParameterValue");
    expect(await codeOf(env.client.DescribeInstancesAttributes({ Attributes: ["UserData"], InstanceIds: ["ins-1"] }))).toBe("InvalidParameterValue.InstanceIdMalformed");
    expect(await codeOf(env.client.DescribeInstancesAttributes({ Attributes: ["UserData"], InstanceIds: [id!, UNKNOWN_ID] }))).toBe("InvalidInstanceId.NotFound");
    expect(await codeOf(env.client.DescribeInstancesAttributes({ Attributes: ["UserData"], InstanceIds: TOO_MANY_IDS }))).toBe("InvalidParameterValue.LimitExceeded");
  });
});

suite("DescribeInstancesOperationLimit", () => {
  it("limits downgrades of monthly-subscription instances only", async () => {
    const [postpaid] = await launchInstances(env.server, env.client);
    const [prepaid] = await launchInstances(env.server, env.client, PREPAID_RUN);
    const answer = await env.client.DescribeInstancesOperationLimit({ InstanceIds: [prepaid!, postpaid!], Operation: "INSTANCE_DEGRADE" });
    expect(answer.InstanceOperationLimitSet).toEqual([
      { Operation: "INSTANCE_DEGRADE", InstanceId: prepaid, CurrentCount: 0, LimitCount: 5 },
      { Operation: "INSTANCE_DEGRADE", InstanceId: postpaid, CurrentCount: -1, LimitCount: -1 },
    ]);
    const bandwidth = await env.client.DescribeInstancesOperationLimit({ InstanceIds: [prepaid!], Operation: "INTERNET_CHARGE_TYPE_CHANGE" });
    expect(bandwidth.InstanceOperationLimitSet).toEqual([{ Operation: "INTERNET_CHARGE_TYPE_CHANGE", InstanceId: prepaid, CurrentCount: -1, LimitCount: -1 }]);
  });

  it("checks the operation and ids", async () => {
    const [id] = await launchInstances(env.server, env.client);
    const degrade = (InstanceIds: string[]) => codeOf(env.client.DescribeInstancesOperationLimit({ InstanceIds, Operation: "INSTANCE_DEGRADE" }));
    expect(await codeOf(env.client.DescribeInstancesOperationLimit({ InstanceIds: [id!], Operation: "INSTANCE_UPGRADE" }))).toBe("InvalidParameterValue");
    expect(await degrade(["ins-1"])).toBe("InvalidInstanceId.Malformed");
    expect(await degrade([UNKNOWN_ID])).toBe("InvalidInstanceId.NotFound");
    expect(await degrade(TOO_MANY_IDS)).toBe("InvalidParameterValue.LimitExceeded");
  });
});

suite("another account", () => {
  it("cannot see or change the first account's instances or security groups", async () => {
    const [id] = await launchInstances(env.server, env.client, PREPAID_RUN);
    const { VpcId, SubnetId } = (await describeOne(env.client, id!)).VirtualPrivateCloud!;
    const [web] = await createGroups(1);
    const key = await createAccount(env.server);
    const other = cvmClient(env.server, { secretId: key.SecretId, secretKey: key.SecretKey });
    const ids = [id!];
    // Each call's outcome is taken as it is sent (codeOf), so that no refusal is left unhandled while another is awaited.
    const codes = await Promise.all([
      codeOf(other.ModifyInstancesChargeType({ InstanceIds: ids, InstanceChargeType: "POSTPAID_BY_HOUR" })),
      codeOf(other.ModifyInstancesRenewFlag({ InstanceIds: ids, RenewFlag: "NOTIFY_AND_AUTO_RENEW" })),
      codeOf(other.RenewInstances({ InstanceIds: ids, InstanceChargePrepaid: { Period: 1 } })),
      codeOf(other.DescribeInstancesAttributes({ Attributes: ["UserData"], InstanceIds: ids })),
      codeOf(other.DescribeInstancesOperationLimit({ InstanceIds: ids, Operation: "INSTANCE_DEGRADE" })),
    ]);
    expect(codes).toEqual(Array(5).fill("InvalidInstanceId.NotFound"));
    // The other account has its own default security group and VPC; the first account's are unknown to it.
    await launchInstances(env.server, other);
    const [otherGroup] = (await other.DescribeInstances({})).InstanceSet![0]!.SecurityGroupIds!;
    expect(await codeOf(other.AssociateSecurityGroups({ SecurityGroupIds: [otherGroup!], InstanceIds: ids }))).toBe("InvalidInstanceId.NotFound");
    expect(await codeOf(other.DisassociateSecurityGroups({ SecurityGroupIds: [otherGroup!], InstanceIds: ids }))).toBe("InvalidInstanceId.NotFound");
    expect(await codeOf(other.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: ids }))).toBe("InvalidSecurityGroupId.NotFound");
    const otherVpc = (await other.DescribeInstances({})).InstanceSet![0]!.VirtualPrivateCloud!;
    expect(
      await codeOf(other.ModifyInstancesVpcAttribute({ InstanceIds: ids, VirtualPrivateCloud: { VpcId: otherVpc.VpcId, SubnetId: otherVpc.SubnetId } })),
    ).toBe("InvalidInstanceId.NotFound");
    expect(await codeOf(other.ModifyInstancesVpcAttribute({ InstanceIds: ids, VirtualPrivateCloud: { VpcId, SubnetId } }))).toBe(
      "InvalidParameterValue.VpcIdNotExist",
    );
    expect((await describeOne(env.client, id!)).InstanceChargeType).toBe("PREPAID");
  });
});

suite("DescribeAccountQuota", () => {
  const quotaEnv = useTestServer({ instanceQuota: 5 });

  const zoneItem = <T extends { Zone?: string }>(items: T[] | undefined, zone: string): T | undefined => items?.find((i) => i.Zone === zone);

  it("lists every available zone of the region, and counts instances as they are run", async () => {
    let answer = await quotaEnv.client.DescribeAccountQuota({});
    expect(answer.AppId).toBe(quotaEnv.server.defaultAccount.appId);
    expect(answer.AccountQuotaOverview!.Region).toBe("ap-guangzhou");
    const quota = answer.AccountQuotaOverview!.AccountQuota!;
    // ap-guangzhou-1 and -2 are sold out.
    expect(quota.PostPaidQuotaSet!.map((q) => q.Zone)).toEqual(["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"]);
    expect(zoneItem(quota.PostPaidQuotaSet, "ap-guangzhou-3")).toEqual({ Zone: "ap-guangzhou-3", UsedQuota: 0, RemainingQuota: 5, TotalQuota: 5 });
    expect(zoneItem(quota.PrePaidQuotaSet, "ap-guangzhou-3")).toEqual({ Zone: "ap-guangzhou-3", UsedQuota: 0, RemainingQuota: 5, TotalQuota: 5, OnceQuota: 500 });
    expect(zoneItem(quota.SpotPaidQuotaSet, "ap-guangzhou-3")).toEqual({ Zone: "ap-guangzhou-3", UsedQuota: 0, RemainingQuota: 5, TotalQuota: 5 });
    expect(quota.ImageQuotaSet).toEqual([{ UsedQuota: 0, TotalQuota: 500 }]);
    expect(quota.DisasterRecoverGroupQuotaSet).toEqual([{ GroupQuota: 10, CurrentNum: 0, CvmInHostGroupQuota: 50, CvmInSwitchGroupQuota: 20, CvmInRackGroupQuota: 30 }]);
    expect(JSON.stringify(answer)).not.toContain("null");

    await launchInstances(quotaEnv.server, quotaEnv.client, { InstanceCount: 2 });
    await launchInstances(quotaEnv.server, quotaEnv.client, PREPAID_RUN);
    answer = await quotaEnv.client.DescribeAccountQuota({});
    const after = answer.AccountQuotaOverview!.AccountQuota!;
    expect(zoneItem(after.PostPaidQuotaSet, "ap-guangzhou-3")).toEqual({ Zone: "ap-guangzhou-3", UsedQuota: 2, RemainingQuota: 3, TotalQuota: 5 });
    expect(zoneItem(after.PrePaidQuotaSet, "ap-guangzhou-3")?.UsedQuota).toBe(1);
    expect(zoneItem(after.PostPaidQuotaSet, "ap-guangzhou-4")?.UsedQuota).toBe(0);

    // Another account has its own quota.
    const key = await createAccount(quotaEnv.server);
    const other = cvmClient(quotaEnv.server, { secretId: key.SecretId, secretKey: key.SecretKey });
    const theirs = (await other.DescribeAccountQuota({})).AccountQuotaOverview!.AccountQuota!;
    expect(zoneItem(theirs.PostPaidQuotaSet, "ap-guangzhou-3")?.UsedQuota).toBe(0);
  });

  it("narrows the sets by zone and quota type", async () => {
    const answer = await quotaEnv.client.DescribeAccountQuota({
      Filters: [
        { Name: "zone", Values: ["ap-guangzhou-6"] },
        { Name: "quota-type", Values: ["PostPaidQuotaSet", "ImageQuotaSet"] },
      ],
    });
    expect(answer.AccountQuotaOverview!.AccountQuota).toEqual({
      PostPaidQuotaSet: [{ Zone: "ap-guangzhou-6", UsedQuota: 0, RemainingQuota: 5, TotalQuota: 5 }],
      PrePaidQuotaSet: [],
      SpotPaidQuotaSet: [],
      ImageQuotaSet: [{ UsedQuota: 0, TotalQuota: 500 }],
      DisasterRecoverGroupQuotaSet: [],
    });
    const soldOut = await quotaEnv.client.DescribeAccountQuota({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-1"] }] });
    expect(soldOut.AccountQuotaOverview!.AccountQuota!.PostPaidQuotaSet).toEqual([]);
  });

  it("checks the filters", async () => {
    expect(await codeOf(quotaEnv.client.DescribeAccountQuota({ Filters: [{ Name: "region", Values: ["ap-guangzhou"] }] }))).toBe("InvalidFilter");
    expect(await codeOf(quotaEnv.client.DescribeAccountQuota({ Filters: [{ Name: "quota-type", Values: ["CdhQuotaSet"] }] }))).toBe("InvalidParameterValue");
    expect(await codeOf(quotaEnv.client.DescribeAccountQuota({ Filters: [{ Name: "zone", Values: ["ap-shanghai-2"] }] }))).toBe("InvalidZone.MismatchRegion");
  });

  it("is the quota ModifyInstancesChargeType and RunInstances enforce", async () => {
    await launchInstances(quotaEnv.server, quotaEnv.client, { ...PREPAID_RUN, InstanceCount: 3 });
    const postpaid = await launchInstances(quotaEnv.server, quotaEnv.client, { InstanceCount: 3 });
    expect(
      await codeOf(quotaEnv.client.ModifyInstancesChargeType({ InstanceIds: postpaid, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } })),
    ).toBe("LimitExceeded.InstanceQuota");
    await quotaEnv.client.ModifyInstancesChargeType({ InstanceIds: postpaid.slice(0, 2), InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } });
    const quota = (await quotaEnv.client.DescribeAccountQuota({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }] })).AccountQuotaOverview!.AccountQuota!;
    expect(quota.PrePaidQuotaSet![0]).toMatchObject({ UsedQuota: 5, RemainingQuota: 0 });
    expect(quota.PostPaidQuotaSet![0]).toMatchObject({ UsedQuota: 1, RemainingQuota: 4 });
    expect(await codeOf(quotaEnv.client.RunInstances({ ...BASIC_RUN, ...PREPAID_RUN }))).toBe("LimitExceeded.PrepayQuota");
  });
});
