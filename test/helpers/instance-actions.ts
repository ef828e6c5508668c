// Requests for the instance actions (those that name instances by InstanceIds or InstanceId), valid in every
// respect but the ids they are given: for tests that send every instance action the same ids and compare what
// each answers (list bounds, account isolation).
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";

/** The network resources of an account that an instance action may name (its VPC, subnet and security group). */
export interface InstanceNetwork {
  vpcId: string;
  subnetId: string;
  securityGroupId: string;
}

/** The VPC, subnet and first security group of an instance, as DescribeInstances shows it. */
export function networkOf(instance: M.Instance): InstanceNetwork {
  return { vpcId: instance.VirtualPrivateCloud!.VpcId, subnetId: instance.VirtualPrivateCloud!.SubnetId, securityGroupId: instance.SecurityGroupIds![0]! };
}

/**
 * A request of `action` naming `ids` (InstanceId, the first of them, for a single-instance action), valid in
 * every other respect for an account with `net`. `instanceName` is the name ModifyInstancesAttribute sets.
 * Throws for an action it has no case for, so that a test covering every instance action notices a new one.
 */
export function instanceActionRequest(action: string, ids: readonly string[], net: InstanceNetwork, instanceName = "renamed"): Record<string, unknown> {
  const one = { InstanceId: ids[0] };
  const many = { InstanceIds: [...ids] };
  switch (action) {
    case "DescribeInstances":
    case "DescribeInstancesStatus":
    case "StartInstances":
    case "StopInstances":
    case "RebootInstances":
    case "TerminateInstances":
      return many;
    case "ResetInstance":
      return one;
    case "ResizeInstanceDisks":
      return { ...one, SystemDisk: { DiskSize: 100 }, ForceStop: true };
    case "ResetInstancesPassword":
      return { ...many, Password: "Tclocal2026pass", ForceStop: true };
    case "ResetInstancesType":
      return { ...many, InstanceType: "S5.LARGE8", ForceStop: true };
    case "ModifyInstancesAttribute":
      return { ...many, InstanceName: instanceName };
    case "ModifyInstancesProject":
      return { ...many, ProjectId: 0 };
    case "ModifyInstancesChargeType":
      return { ...many, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } };
    case "ModifyInstancesRenewFlag":
      return { ...many, RenewFlag: "NOTIFY_AND_AUTO_RENEW" };
    case "RenewInstances":
      return { ...many, InstanceChargePrepaid: { Period: 1 } };
    case "ModifyInstancesVpcAttribute":
      return { ...many, VirtualPrivateCloud: { VpcId: net.vpcId, SubnetId: net.subnetId } };
    case "AssociateSecurityGroups":
    case "DisassociateSecurityGroups":
      return { ...many, SecurityGroupIds: [net.securityGroupId] };
    case "DescribeInstancesAttributes":
      return { ...many, Attributes: ["UserData"] };
    case "DescribeInstancesOperationLimit":
      return { ...many, Operation: "INSTANCE_DEGRADE" };
    default:
      throw new Error(`no request case for ${action}: add one in test/helpers/instance-actions.ts`);
  }
}
