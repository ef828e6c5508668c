// ModifyInstancesVpcAttribute, AssociateSecurityGroups and DisassociateSecurityGroups: an instance's place
// in its VPC. All are asynchronous (LatestOperation, OPERATING until the `operation` phase has passed) and
// all or nothing.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { ipToNumber } from "../network/ipv4.js";
import { NetworkRepository } from "../network/repository.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation, runBatch } from "./lifecycle.js";
import { malformedIp, malformedSecurityGroupId, missingParameter, securityGroupNotFound, stoppedWithoutCharging } from "./messages.js";
import type { InstanceRecord } from "./repository.js";
import { defaultHostName, MAX_SECURITY_GROUPS } from "./run.js";
import type { InstanceState } from "./states.js";

const SECURITY_GROUP_ID_RE = /^sg-[a-z0-9]{8}$/;
/** Associate/DisassociateSecurityGroups take one security group per call (API reference, SecurityGroupIds). */
const MAX_GROUPS_PER_CALL = 1;
/**
 * Security groups can change in any stable state but PENDING and SHUTDOWN; an instance that is starting,
 * stopping or rebooting is refused with OperationDenied.InstanceOperationInProgress, as the vendor's list says.
 */
const SECURITY_GROUP_STATES: readonly InstanceState[] = ["RUNNING", "STOPPED", "STARTING", "STOPPING", "REBOOTING"];

function network(ctx: ActionContext): NetworkRepository {
  return new NetworkRepository(ctx.sql, ctx.account.uin, ctx.region);
}

/**
 * Moves instances to another subnet of their zone, or changes their private IP in the same subnet. The
 * service stops a running instance for this and starts it again; ForceStop=false refuses running instances.
 * ReserveHostName defaults to true (the Chinese API reference); false renames a default host name
 * (VM-<octets>-<os>) after the new address.
 */
export function modifyInstancesVpcAttribute(settings: CvmSettings): TypedHandler<M.ModifyInstancesVpcAttributeRequest, M.ModifyInstancesVpcAttributeResponse> {
  return async (ctx, req) => {
    const now = ctx.clock.now();
    const vpc = req.VirtualPrivateCloud;
    const ips = vpc.PrivateIpAddresses;
    if (ips !== undefined && ips.length !== req.InstanceIds.length) {
      throw apiError("InvalidParameterValue", {
        en: `\`VirtualPrivateCloud.PrivateIpAddresses\` must give one address per instance of \`InstanceIds\` (${req.InstanceIds.length}); ${ips.length} were given.`,
        zh: `参数\`VirtualPrivateCloud.PrivateIpAddresses\`应为参数\`InstanceIds\`中的每个实例各指定一个地址（共 ${req.InstanceIds.length} 个），实际指定了 ${ips.length} 个。`,
      });
    }
    ips?.forEach((ip, i) => {
      if (ipToNumber(ip) === undefined) {
        throw apiError("InvalidParameterValue.IPAddressMalformed", malformedIp(ip.slice(0, 64), `VirtualPrivateCloud.PrivateIpAddresses.${i}`));
      }
    });
    const net = network(ctx);
    const subnet = await net.resolveSubnet(vpc, now);
    /** The address asked for an instance, if any. */
    const requestedIp = (r: InstanceRecord) => ips?.[req.InstanceIds.indexOf(r.instanceId)];
    /** An instance keeping its subnet and address needs no new one. */
    const keepsIp = (r: InstanceRecord, ip: string) => r.subnetId === subnet.subnetId && r.privateIp === ip;
    const taken = new Set<string>();
    return runBatch(ctx, req.InstanceIds, {
      action: "ModifyInstancesVpcAttribute",
      allowed: req.ForceStop === false ? ["STOPPED"] : ["RUNNING", "STOPPED"],
      check: async (records) => {
        for (const r of records) {
          net.ensureSubnetInZone(subnet, r.zone);
          if (r.state === "STOPPED" && r.doc.StopChargingMode === "STOP_CHARGING") {
            throw apiError(
              "UnsupportedOperation.StoppedModeStopCharging",
              stoppedWithoutCharging(r.instanceId, "InstanceIds", { en: "changing its VPC attributes", zh: "修改私有网络属性" }),
            );
          }
        }
        const newIps = records.flatMap((r) => {
          const ip = requestedIp(r);
          return ip === undefined || keepsIp(r, ip) ? [] : [ip];
        });
        await net.checkRequestedIps(subnet, newIps);
      },
      apply: async (r) => {
        const asked = requestedIp(r);
        const ip = asked ?? (r.subnetId === subnet.subnetId ? r.privateIp : await net.allocateIp(subnet, taken));
        taken.add(ip);
        const oldPrefix = defaultHostName(r.privateIp, "");
        if (req.ReserveHostName === false && r.doc.HostName?.startsWith(oldPrefix)) {
          r.doc.HostName = defaultHostName(ip, r.doc.HostName.slice(oldPrefix.length));
        }
        r.vpcId = subnet.vpcId;
        r.subnetId = subnet.subnetId;
        r.privateIp = ip;
        beginOperation(ctx, settings, r, "ModifyInstancesVpcAttribute", "operation", r.state, r.state);
      },
    });
  };
}

/** The one security group an Associate/Disassociate call names, well formed and existing. */
async function securityGroupOf(ctx: ActionContext, ids: readonly string[]): Promise<string> {
  if (ids.length === 0) throw apiError("MissingParameter", missingParameter("SecurityGroupIds", { en: "it must name one security group", zh: "需指定一个安全组" }));
  if (ids.length > MAX_GROUPS_PER_CALL) {
    throw apiError("InvalidParameterValue.LimitExceeded", {
      en: `The parameter \`SecurityGroupIds\` accepts ${MAX_GROUPS_PER_CALL} security group per request, but ${ids.length} were given.`,
      zh: `参数\`SecurityGroupIds\`每次请求只能指定 ${MAX_GROUPS_PER_CALL} 个安全组，实际指定了 ${ids.length} 个。`,
    });
  }
  const sgId = ids[0]!;
  if (!SECURITY_GROUP_ID_RE.test(sgId)) {
    throw apiError("InvalidSgId.Malformed", malformedSecurityGroupId(sgId.slice(0, 64), "SecurityGroupIds.0"));
  }
  if ((await network(ctx).missingSecurityGroups([sgId])).length > 0) {
    throw apiError("InvalidSecurityGroupId.NotFound", securityGroupNotFound(sgId, "SecurityGroupIds.0", ctx.region));
  }
  return sgId;
}

type SecurityGroupsRequest = M.AssociateSecurityGroupsRequest & M.DisassociateSecurityGroupsRequest;

/** One security group bound to or unbound from instances: `check` refuses an instance, `change` gives its new list. */
function securityGroupOperation(
  settings: CvmSettings,
  action: string,
  check: (r: InstanceRecord, groups: readonly string[], sgId: string) => void,
  change: (groups: readonly string[], sgId: string) => string[],
): TypedHandler<SecurityGroupsRequest, M.AssociateSecurityGroupsResponse> {
  return async (ctx, req) => {
    const sgId = await securityGroupOf(ctx, req.SecurityGroupIds);
    return runBatch(ctx, req.InstanceIds, {
      action,
      allowed: SECURITY_GROUP_STATES,
      check: (records) => records.forEach((r) => check(r, r.doc.SecurityGroupIds ?? [], sgId)),
      apply: (r) => {
        r.doc.SecurityGroupIds = change(r.doc.SecurityGroupIds ?? [], sgId);
        beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}

/** Binds a security group to instances, after the ones they have (binding order is matching priority). */
export function associateSecurityGroups(settings: CvmSettings): TypedHandler<M.AssociateSecurityGroupsRequest, M.AssociateSecurityGroupsResponse> {
  return securityGroupOperation(
    settings,
    "AssociateSecurityGroups",
    (r, groups, sgId) => {
      if (!groups.includes(sgId) && groups.length >= MAX_SECURITY_GROUPS) {
        throw apiError("LimitExceeded.AssociateUSGLimitExceeded", {
          en: `The security group \`${sgId}\` in \`SecurityGroupIds\` cannot be bound to the instance \`${r.instanceId}\`: it already has ${MAX_SECURITY_GROUPS} security groups, the most an instance can have.`,
          zh: `参数\`SecurityGroupIds\`中的安全组\`${sgId}\`无法绑定到实例\`${r.instanceId}\`：该实例已绑定 ${MAX_SECURITY_GROUPS} 个安全组，达到上限。`,
        });
      }
    },
    (groups, sgId) => (groups.includes(sgId) ? [...groups] : [...groups, sgId]),
  );
}

/** Unbinds a security group from instances; each must have it. An instance may be left with none. */
export function disassociateSecurityGroups(settings: CvmSettings): TypedHandler<M.DisassociateSecurityGroupsRequest, M.DisassociateSecurityGroupsResponse> {
  return securityGroupOperation(
    settings,
    "DisassociateSecurityGroups",
    (r, groups, sgId) => {
      if (!groups.includes(sgId)) {
        throw apiError("FailedOperation.SecurityGroupActionFailed", {
          en: `The security group \`${sgId}\` in \`SecurityGroupIds\` is not bound to the instance \`${r.instanceId}\`, so it cannot be unbound.`,
          zh: `参数\`SecurityGroupIds\`中的安全组\`${sgId}\`未绑定到实例\`${r.instanceId}\`，无法解绑。`,
        });
      }
    },
    (groups, sgId) => groups.filter((id) => id !== sgId),
  );
}
