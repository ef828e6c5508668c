// ModifyInstancesAttribute, ModifyInstancesProject and ResizeInstanceDisks, plus what they share with the
// reset actions (reset.ts). Every change is visible at once in DescribeInstances; the instance shows
// LatestOperation <action>, OPERATING until the operation's time has passed, then SUCCESS.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { findPublicImage } from "../catalog/images.js";
import { NetworkRepository } from "../network/repository.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation, runBatch, type BatchOperation } from "./lifecycle.js";
import { checkInstanceName, hostNameProblem } from "./naming.js";
import type { InstanceRecord } from "./repository.js";
import { checkCamRoleName, checkProjectId, checkUserData, DATA_DISK_RANGE, MAX_SECURITY_GROUPS, SYSTEM_DISK_RANGE } from "./run.js";
import type { InstanceState } from "./states.js";

const MAX_MODIFIED_NAME = 60;
const SECURITY_GROUP_ID_RE = /^sg-[a-z0-9]{8}$/;
const CAM_ROLE_TYPES = ["user", "system", "service_linked"];
/** The attributes ModifyInstancesAttribute changes; AutoReboot and CamRoleType only qualify them. */
const ATTRIBUTES = ["InstanceName", "UserData", "SecurityGroups", "CamRoleName", "HostName", "DisableApiTermination", "EnableJumboFrame"] as const;

function invalidValue(message: string): never {
  throw apiError("InvalidParameterValue", message);
}

/** runBatch for actions whose id list must name at least one instance. */
export function runOperation(ctx: ActionContext, ids: readonly string[], op: BatchOperation): Record<string, never> {
  if (ids.length === 0) {
    throw apiError("MissingParameter", `The parameter \`${op.parameter ?? "InstanceIds"}\` must name at least one instance.`);
  }
  return runBatch(ctx, ids, op);
}

/** runOperation for actions that take a single `InstanceId`. */
export function runOnInstance(ctx: ActionContext, instanceId: string, op: Omit<BatchOperation, "parameter" | "max">): Record<string, never> {
  return runOperation(ctx, [instanceId], { ...op, parameter: "InstanceId", max: 1 });
}

/** STOPPED, and RUNNING too when the caller allows a forced shutdown (ForceStop) or works online. */
export function stoppedOrForced(force: boolean | undefined): InstanceState[] {
  return force === true ? ["STOPPED", "RUNNING"] : ["STOPPED"];
}

export function isWindows(record: InstanceRecord): boolean {
  return findPublicImage(record.imageId)?.osType === "windows";
}

/**
 * The system disk size after a resize: the disk keeps its id and type, and only grows (`mustGrow`: it must
 * actually grow), up to the system disk maximum and at least `minSize`.
 */
export function grownSystemDiskSize(record: InstanceRecord, requested: M.SystemDisk | undefined, mustGrow: boolean, minSize = 0): number {
  const current = record.doc.SystemDisk ?? {};
  const currentSize = current.DiskSize ?? 0;
  if (requested?.DiskType !== undefined && requested.DiskType !== current.DiskType) {
    invalidValue(`\`SystemDisk.DiskType\` cannot change here: the system disk of ${record.instanceId} is ${current.DiskType}, not ${requested.DiskType.slice(0, 32)}.`);
  }
  if (requested?.DiskId !== undefined && requested.DiskId !== current.DiskId) {
    invalidValue(`\`SystemDisk.DiskId\` \`${requested.DiskId.slice(0, 64)}\` is not the system disk of ${record.instanceId} (${current.DiskId}).`);
  }
  const size = requested?.DiskSize ?? currentSize;
  if (!Number.isInteger(size) || size < currentSize || (mustGrow && size === currentSize)) {
    invalidValue(`\`SystemDisk.DiskSize\` must be larger than the current ${currentSize} GB of ${record.instanceId}: a system disk only grows; ${size} was given.`);
  }
  if (size > SYSTEM_DISK_RANGE[1]) invalidValue(`\`SystemDisk.DiskSize\` is at most ${SYSTEM_DISK_RANGE[1]} GB; ${size} was given.`);
  if (size < minSize) invalidValue(`The system disk of ${record.instanceId} must have at least ${minSize} GB for this image; give a larger \`SystemDisk.DiskSize\`.`);
  return size;
}

function checkSecurityGroups(ctx: ActionContext, ids: readonly string[]): string[] {
  if (ids.length === 0) invalidValue("`SecurityGroups` must name at least one security group.");
  const unique = [...new Set(ids)];
  if (unique.length > MAX_SECURITY_GROUPS) {
    throw apiError("LimitExceeded.AssociateUSGLimitExceeded", `\`SecurityGroups\` names ${unique.length} security groups; an instance takes at most ${MAX_SECURITY_GROUPS}.`);
  }
  ids.forEach((id, i) => {
    if (!SECURITY_GROUP_ID_RE.test(id)) throw apiError("InvalidSgId.Malformed", `The security group id \`${id.slice(0, 64)}\` in \`SecurityGroups.${i}\` is malformed.`);
  });
  const missing = new NetworkRepository(ctx.store.db, ctx.account.uin, ctx.region).missingSecurityGroups(unique);
  if (missing.length > 0) throw apiError("InvalidSecurityGroupId.NotFound", `The security group \`${missing[0]}\` does not exist in region ${ctx.region}.`);
  return unique;
}

function checkAttributes(req: M.ModifyInstancesAttributeRequest): void {
  if (!ATTRIBUTES.some((a) => req[a] !== undefined)) {
    throw apiError("MissingParameter", `Give at least one attribute to modify: ${ATTRIBUTES.join(", ")}.`);
  }
  if (req.InstanceName !== undefined) {
    if (req.InstanceName === "") invalidValue("`InstanceName` cannot be empty.");
    checkInstanceName(req.InstanceName, "InstanceName", MAX_MODIFIED_NAME);
  }
  if (req.UserData !== undefined) checkUserData(req.UserData);
  if (req.CamRoleName !== undefined && req.CamRoleName !== "") checkCamRoleName(req.CamRoleName);
  if (req.CamRoleType !== undefined && !CAM_ROLE_TYPES.includes(req.CamRoleType)) {
    invalidValue(`\`CamRoleType\` must be one of ${CAM_ROLE_TYPES.join(", ")}, but \`${req.CamRoleType.slice(0, 32)}\` was given.`);
  }
}

/**
 * Names, security groups, CAM role, termination protection and user data change at once. A new host name
 * (or jumbo-frame setting) takes a reboot: a running instance goes REBOOTING → RUNNING unless AutoReboot is
 * false, in which case the host name applies at the next reboot.
 */
export function modifyInstancesAttribute(settings: CvmSettings): TypedHandler<M.ModifyInstancesAttributeRequest, M.ModifyInstancesAttributeResponse> {
  const action = "ModifyInstancesAttribute";
  return (ctx, req) => {
    checkAttributes(req);
    const securityGroups = req.SecurityGroups !== undefined ? checkSecurityGroups(ctx, req.SecurityGroups) : undefined;
    return runOperation(ctx, req.InstanceIds, {
      action,
      allowed: ["RUNNING", "STOPPED"],
      check: (records) => {
        for (const r of records) {
          const problem = req.HostName !== undefined ? hostNameProblem(req.HostName, isWindows(r)) : undefined;
          if (problem) {
            throw apiError("InvalidParameter.HostNameIllegal", `The host name \`${req.HostName!.slice(0, 64)}\` is not allowed for ${r.instanceId}: ${problem}.`);
          }
          if (req.EnableJumboFrame !== undefined && req.AutoReboot === false && r.state === "RUNNING") {
            throw apiError("UnsupportedOperation.InstancesEnableJumboWithoutReboot", `Changing \`EnableJumboFrame\` of the running instance ${r.instanceId} needs a reboot; AutoReboot is false.`);
          }
        }
      },
      apply: (r) => {
        if (req.InstanceName !== undefined) r.instanceName = req.InstanceName;
        if (req.UserData !== undefined) r.doc.UserData = req.UserData;
        if (securityGroups) r.doc.SecurityGroupIds = securityGroups;
        if (req.CamRoleName !== undefined) r.doc.CamRoleName = req.CamRoleName;
        if (req.DisableApiTermination !== undefined) r.doc.DisableApiTermination = req.DisableApiTermination;
        if (req.HostName !== undefined) r.doc.HostName = req.HostName;
        if (req.EnableJumboFrame !== undefined) r.doc.EnableJumboFrame = req.EnableJumboFrame;
        const reboot = r.state === "RUNNING" && req.AutoReboot !== false && (req.HostName !== undefined || req.EnableJumboFrame !== undefined);
        if (reboot) beginOperation(ctx, settings, r, action, "reboot", "REBOOTING", "RUNNING");
        else beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}

export function modifyInstancesProject(settings: CvmSettings): TypedHandler<M.ModifyInstancesProjectRequest, M.ModifyInstancesProjectResponse> {
  const action = "ModifyInstancesProject";
  return (ctx, req) => {
    checkProjectId(req.ProjectId, "ProjectId");
    return runOperation(ctx, req.InstanceIds, {
      action,
      allowed: ["RUNNING", "STOPPED"],
      apply: (r) => {
        r.projectId = req.ProjectId;
        if (r.doc.Placement) r.doc.Placement.ProjectId = req.ProjectId;
        beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}

/** The data disk to grow and its new size, after checking the request against the instance's disks. */
function grownDataDisk(record: InstanceRecord, requested: M.DataDisk): { disk: M.DataDisk; size: number } {
  if (requested.DiskId === undefined) throw apiError("MissingParameter", "The request is missing a required parameter `DataDisks.0.DiskId`.");
  const disk = record.doc.DataDisks?.find((d) => d.DiskId === requested.DiskId);
  if (!disk) invalidValue(`The disk \`${requested.DiskId.slice(0, 64)}\` in \`DataDisks.0.DiskId\` is not a data disk of ${record.instanceId}.`);
  if (disk.DiskType?.startsWith("LOCAL_")) {
    throw apiError("UnsupportedOperation.InvalidDataDisk", `The data disk ${disk.DiskId} of ${record.instanceId} is a local disk (${disk.DiskType}); only cloud disks can grow.`);
  }
  if (requested.DiskType !== undefined && requested.DiskType !== disk.DiskType) {
    invalidValue(`\`DataDisks.0.DiskType\` cannot change here: the disk ${disk.DiskId} is ${disk.DiskType}, not ${requested.DiskType.slice(0, 32)}.`);
  }
  const size = requested.DiskSize;
  if (!Number.isInteger(size) || size <= disk.DiskSize) {
    invalidValue(`\`DataDisks.0.DiskSize\` must be larger than the current ${disk.DiskSize} GB of ${disk.DiskId}: a disk only grows; ${size} was given.`);
  }
  if (size % 10 !== 0 || size > DATA_DISK_RANGE[1]) {
    invalidValue(`\`DataDisks.0.DiskSize\` grows in steps of 10 GB up to ${DATA_DISK_RANGE[1]} GB; ${size} was given.`);
  }
  return { disk, size };
}

/**
 * Grows the system disk or one data disk. A running instance needs ForceStop (it is stopped for the
 * resize) or ResizeOnline; the instance keeps its state here.
 */
export function resizeInstanceDisks(settings: CvmSettings): TypedHandler<M.ResizeInstanceDisksRequest, M.ResizeInstanceDisksResponse> {
  const action = "ResizeInstanceDisks";
  return (ctx, req) => {
    const dataDisks = req.DataDisks ?? [];
    if (dataDisks.length === 0 && req.SystemDisk === undefined) {
      throw apiError("MissingParameter.AtLeastOne", "Give the disk to grow: `DataDisks` or `SystemDisk`.");
    }
    if (dataDisks.length > 0 && req.SystemDisk !== undefined) invalidValue("`DataDisks` and `SystemDisk` cannot be given together: grow one disk per request.");
    if (dataDisks.length > 1) invalidValue(`\`DataDisks\` names ${dataDisks.length} disks; one data disk grows per request.`);
    let grow: (r: InstanceRecord) => void = () => undefined;
    return runOnInstance(ctx, req.InstanceId, {
      action,
      allowed: stoppedOrForced(req.ForceStop === true || req.ResizeOnline === true),
      check: ([record]) => {
        const r = record!;
        if (req.SystemDisk !== undefined) {
          if (r.doc.SystemDisk?.DiskType?.startsWith("LOCAL_")) {
            invalidValue(`The system disk of ${r.instanceId} is a local disk (${r.doc.SystemDisk.DiskType}); only cloud disks can grow.`);
          }
          const size = grownSystemDiskSize(r, req.SystemDisk, true);
          grow = (target) => {
            target.doc.SystemDisk = { ...target.doc.SystemDisk, DiskSize: size };
          };
        } else {
          const { disk, size } = grownDataDisk(r, dataDisks[0]!);
          grow = (target) => {
            target.doc.DataDisks = (target.doc.DataDisks ?? []).map((d) => (d.DiskId === disk.DiskId ? { ...d, DiskSize: size } : d));
          };
        }
      },
      apply: (r) => {
        grow(r);
        beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}
