// Error messages of the instance actions in both languages, through the official SDK: under zh-CN (what the
// SDKs and tccli send by default) the message is Chinese and, like the English one, names the parameter in
// backticks and the value that is wrong. A generic catalog text (no parameter, no value) or an English
// fallback fails these tests.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { beforeAll, describe as suite, expect, it } from "vitest";
import { BASIC_RUN, launchInstances, stopInstances, useTestServer } from "../helpers/instances.js";
import { cvmClient, sdkError, type CvmClientType } from "../helpers/server.js";

const CJK_RE = /[\u4e00-\u9fff]/;
const UNKNOWN_ID = "ins-zzzzzzzz";

interface Expected {
  code: string;
  /** The parameter both messages name, in backticks. */
  parameter: string;
  /** The offending values both messages contain. */
  values: ReadonlyArray<string | number>;
}

/**
 * Makes the same failing call in English (the SDK's default) and in Chinese, and checks both answers: the
 * same code; each message names the parameter and every value; the Chinese one is Chinese, the English one not.
 */
async function expectBoth(
  en: CvmClientType,
  zh: CvmClientType,
  call: (client: CvmClientType) => Promise<unknown>,
  { code, parameter, values }: Expected,
): Promise<{ en: string; zh: string }> {
  const inEnglish = await sdkError(call(en));
  const inChinese = await sdkError(call(zh));
  expect(inEnglish.code).toBe(code);
  expect(inChinese.code).toBe(code);
  expect(inEnglish.message).not.toMatch(CJK_RE);
  expect(inChinese.message).toMatch(CJK_RE);
  for (const message of [inEnglish.message, inChinese.message]) {
    expect(message).toContain(`\`${parameter}\``);
    for (const value of values) expect(message).toContain(String(value));
  }
  expect(inChinese.message).not.toBe(inEnglish.message);
  return { en: inEnglish.message, zh: inChinese.message };
}

suite("instance error messages in English and Chinese", () => {
  const env = useTestServer();
  let zh: CvmClientType;
  beforeAll(() => {
    zh = cvmClient(env.server, { language: "zh-CN" });
  });
  const both = (call: (client: CvmClientType) => Promise<unknown>, expected: Expected) => expectBoth(env.client, zh, call, expected);

  suite("instance ids and states", () => {
    it("InvalidInstanceId.NotFound names InstanceIds and the missing id", async () => {
      const { zh: text } = await both((c) => c.StartInstances({ InstanceIds: [UNKNOWN_ID] }), {
        code: "InvalidInstanceId.NotFound",
        parameter: "InstanceIds",
        values: [UNKNOWN_ID],
      });
      expect(text).toContain("不存在");
    });

    it("InvalidInstanceId.NotFound names InstanceId for a single-instance action", async () => {
      await both((c) => c.ResetInstance({ InstanceId: UNKNOWN_ID }), { code: "InvalidInstanceId.NotFound", parameter: "InstanceId", values: [UNKNOWN_ID] });
    });

    it("InvalidInstanceId.Malformed names the list entry and the malformed id", async () => {
      await both((c) => c.StopInstances({ InstanceIds: ["ins-BAD!"] }), { code: "InvalidInstanceId.Malformed", parameter: "InstanceIds.0", values: ["ins-BAD!"] });
    });

    it("InvalidParameterValue.InstanceIdMalformed (DescribeInstancesAttributes) says what an id looks like", async () => {
      const { zh: text } = await both((c) => c.DescribeInstancesAttributes({ InstanceIds: ["i-123"], Attributes: ["UserData"] }), {
        code: "InvalidParameterValue.InstanceIdMalformed",
        parameter: "InstanceIds.0",
        values: ["i-123", "ins-"],
      });
      expect(text).toContain("格式错误");
    });

    it("MissingParameter for an empty InstanceIds", async () => {
      await both((c) => c.ModifyInstancesProject({ InstanceIds: [], ProjectId: 0 }), { code: "MissingParameter", parameter: "InstanceIds", values: [] });
    });

    it("UnsupportedOperation.InstanceStateRunning: StartInstances on a running instance names the instance and its state", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.StartInstances({ InstanceIds: [id!] }), {
        code: "UnsupportedOperation.InstanceStateRunning",
        parameter: "InstanceIds",
        values: [id!, "RUNNING", "StartInstances"],
      });
    });

    it("a state refusal of a single-instance action names InstanceId", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ResizeInstanceDisks({ InstanceId: id!, SystemDisk: { DiskSize: 100 } }), {
        code: "UnsupportedOperation.InstanceStateRunning",
        parameter: "InstanceId",
        values: [id!, "RUNNING"],
      });
    });

    it("OperationDenied.InstanceOperationInProgress names the instance and the operation under way", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await env.client.ModifyInstancesAttribute({ InstanceIds: [id!], InstanceName: "renamed" });
      await both((c) => c.StopInstances({ InstanceIds: [id!] }), {
        code: "OperationDenied.InstanceOperationInProgress",
        parameter: "InstanceIds",
        values: [id!, "ModifyInstancesAttribute", "StopInstances"],
      });
    });

    it("UnsupportedOperation.InstancesProtected names the protected instance", async () => {
      const [id] = await launchInstances(env.server, env.client, { DisableApiTermination: true });
      await both((c) => c.TerminateInstances({ InstanceIds: [id!] }), {
        code: "UnsupportedOperation.InstancesProtected",
        parameter: "InstanceIds",
        values: [id!, "DisableApiTermination"],
      });
    });

    it("InvalidParameterValue for StopType names the value and the choices", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.StopInstances({ InstanceIds: [id!], StopType: "NOW" }), {
        code: "InvalidParameterValue",
        parameter: "StopType",
        values: ["NOW", "SOFT_FIRST"],
      });
    });
  });

  suite("RunInstances parameters", () => {
    const run = (params: Partial<M.RunInstancesRequest>) => (c: CvmClientType) => c.RunInstances({ ...BASIC_RUN, ...params });

    it("a zone the region does not have", async () => {
      await both(run({ Placement: { Zone: "ap-guangzhou-99" } }), {
        code: "InvalidParameterValue.ZoneNotSupported",
        parameter: "Placement.Zone",
        values: ["ap-guangzhou-99", "ap-guangzhou"],
      });
    });

    it("a zone of another region", async () => {
      await both(run({ Placement: { Zone: "ap-shanghai-2" } }), {
        code: "InvalidZone.MismatchRegion",
        parameter: "Placement.Zone",
        values: ["ap-shanghai-2", "ap-shanghai", "ap-guangzhou"],
      });
    });

    it("a malformed instance type, and one that does not exist", async () => {
      const { zh: text } = await both(run({ InstanceType: "huge" }), { code: "InvalidInstanceType.Malformed", parameter: "InstanceType", values: ["huge", "S5.MEDIUM4"] });
      expect(text).toContain("格式错误");
      await both(run({ InstanceType: "S5.HUGE999" }), { code: "InvalidParameterValue.InstanceTypeNotFound", parameter: "InstanceType", values: ["S5.HUGE999"] });
    });

    it("an image that does not exist", async () => {
      await both(run({ ImageId: "img-zzzzzzzz" }), { code: "InvalidImageId.NotFound", parameter: "ImageId", values: ["img-zzzzzzzz"] });
    });

    it("a charge type outside the list", async () => {
      await both(run({ InstanceChargeType: "MONTHLY" }), { code: "InvalidParameterValue", parameter: "InstanceChargeType", values: ["MONTHLY", "PREPAID", "POSTPAID_BY_HOUR"] });
    });

    it("a system disk outside its range", async () => {
      await both(run({ SystemDisk: { DiskSize: 5 } }), { code: "InvalidParameterValue.Range", parameter: "SystemDisk.DiskSize", values: [5, 20, 1024] });
    });

    it("a password that breaks the rules is named, but never echoed", async () => {
      const password = "short1";
      const { en, zh: text } = await both(run({ LoginSettings: { Password: password } }), {
        code: "InvalidPassword",
        parameter: "LoginSettings.Password",
        values: [password.length, 8, 30],
      });
      expect(en).not.toContain(password);
      expect(text).not.toContain(password);
      expect(text).toContain("密码");
    });

    it("an InstanceName that is too long names its start and its length", async () => {
      const name = `web-server-${"x".repeat(130)}`;
      await both(run({ InstanceName: name }), {
        code: "InvalidInstanceName.TooLong",
        parameter: "InstanceName",
        values: [name.slice(0, 32), name.length, 128],
      });
    });

    it("an illegal host name says why", async () => {
      const { zh: text } = await both(run({ HostName: "-web" }), { code: "InvalidParameterValue.IllegalHostName", parameter: "HostName", values: ["-web"] });
      expect(text).toContain("不能位于首尾");
    });

    it("a security group that does not exist names its place in SecurityGroupIds", async () => {
      await both(run({ SecurityGroupIds: ["sg-zzzzzzzz"] }), {
        code: "InvalidSecurityGroupId.NotFound",
        parameter: "SecurityGroupIds.0",
        values: ["sg-zzzzzzzz", "ap-guangzhou"],
      });
    });

    it("a key pair id that is malformed", async () => {
      await both(run({ LoginSettings: { KeyIds: ["key-1"] } }), { code: "InvalidKeyPairId.Malformed", parameter: "LoginSettings.KeyIds.0", values: ["key-1", "skey-"] });
    });
  });

  suite("ResetInstancesType, ResizeInstanceDisks and ModifyInstancesAttribute", () => {
    it("ResetInstancesType to the type the instance already has", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await stopInstances(env.server, env.client, [id!]);
      await both((c) => c.ResetInstancesType({ InstanceIds: [id!], InstanceType: "S5.MEDIUM4" }), {
        code: "InvalidParameterValue",
        parameter: "InstanceType",
        values: [id!, "S5.MEDIUM4"],
      });
    });

    it("ResetInstancesType to a malformed type", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ResetInstancesType({ InstanceIds: [id!], InstanceType: "s5", ForceStop: true }), {
        code: "InvalidInstanceType.Malformed",
        parameter: "InstanceType",
        values: ["s5"],
      });
    });

    it("ResizeInstanceDisks that would shrink the system disk", async () => {
      const [id] = await launchInstances(env.server, env.client, { SystemDisk: { DiskSize: 60 } });
      await both((c) => c.ResizeInstanceDisks({ InstanceId: id!, SystemDisk: { DiskSize: 40 }, ForceStop: true }), {
        code: "InvalidParameterValue",
        parameter: "SystemDisk.DiskSize",
        values: [40, 60, id!],
      });
    });

    it("ResizeInstanceDisks naming a disk the instance does not have", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ResizeInstanceDisks({ InstanceId: id!, DataDisks: [{ DiskId: "disk-zzzzzzzz", DiskSize: 100 }], ForceStop: true }), {
        code: "InvalidParameterValue",
        parameter: "DataDisks.0.DiskId",
        values: ["disk-zzzzzzzz", id!],
      });
    });

    it("ModifyInstancesAttribute with a security group that does not exist", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ModifyInstancesAttribute({ InstanceIds: [id!], SecurityGroups: ["sg-zzzzzzzz"] }), {
        code: "InvalidSecurityGroupId.NotFound",
        parameter: "SecurityGroups.0",
        values: ["sg-zzzzzzzz"],
      });
    });

    it("ModifyInstancesAttribute with a CamRoleType outside the list", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ModifyInstancesAttribute({ InstanceIds: [id!], CamRoleName: "role", CamRoleType: "robot" }), {
        code: "InvalidParameterValue",
        parameter: "CamRoleType",
        values: ["robot", "service_linked"],
      });
    });

    it("ModifyInstancesAttribute with an illegal host name names the instance too", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ModifyInstancesAttribute({ InstanceIds: [id!], HostName: "a..b" }), {
        code: "InvalidParameter.HostNameIllegal",
        parameter: "HostName",
        values: ["a..b", id!],
      });
    });
  });

  suite("billing, network and queries", () => {
    it("ModifyInstancesRenewFlag on a pay-as-you-go instance names it and its charge type", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.ModifyInstancesRenewFlag({ InstanceIds: [id!], RenewFlag: "NOTIFY_AND_AUTO_RENEW" }), {
        code: "UnsupportedOperation.InstanceChargeType",
        parameter: "InstanceIds",
        values: [id!, "POSTPAID_BY_HOUR", "PREPAID"],
      });
    });

    it("AssociateSecurityGroups with a malformed security group id", async () => {
      const [id] = await launchInstances(env.server, env.client);
      await both((c) => c.AssociateSecurityGroups({ InstanceIds: [id!], SecurityGroupIds: ["sg-1"] }), {
        code: "InvalidSgId.Malformed",
        parameter: "SecurityGroupIds.0",
        values: ["sg-1", "sg-"],
      });
    });

    it("DescribeInstances with a zone filter of another region", async () => {
      await both((c) => c.DescribeInstances({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3", "ap-shanghai-2"] }] }), {
        code: "InvalidZone.MismatchRegion",
        parameter: "Filters.0.Values.1",
        values: ["ap-shanghai-2", "ap-guangzhou"],
      });
    });

    it("DescribeInstances with a malformed creation time", async () => {
      await both((c) => c.DescribeInstances({ Filters: [{ Name: "creation-start-time", Values: ["yesterday"] }] }), {
        code: "InvalidParameterValue.InvalidTimeFormat",
        parameter: "Filters.0.Values.0",
        values: ["yesterday", "2023-06-01 00:00:00"],
      });
    });
  });
});

suite("the instance quota in English and Chinese", () => {
  const env = useTestServer({ instanceQuota: 2 });

  it("LimitExceeded.InstanceQuota names InstanceCount, the count asked for and the quota", async () => {
    const zh = cvmClient(env.server, { language: "zh-CN" });
    await expectBoth(env.client, zh, (c) => c.RunInstances({ ...BASIC_RUN, InstanceCount: 3 }), {
      code: "LimitExceeded.InstanceQuota",
      parameter: "InstanceCount",
      values: [3, "ap-guangzhou-3"],
    });
  });
});
