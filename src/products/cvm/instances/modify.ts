// ModifyInstancesAttribute, ModifyInstancesProject and ResizeInstanceDisks, plus what they share with the
// reset actions (reset.ts). Every change is visible at once in DescribeInstances; the instance shows
// LatestOperation <action>, OPERATING until the operation's time has passed, then SUCCESS.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError, type LocalizedText } from "../../../protocol/errors.js";
import { findPublicImage } from "../catalog/images.js";
import { NetworkRepository } from "../network/repository.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation, runBatch, type BatchOperation } from "./lifecycle.js";
import { malformedSecurityGroupId, missingParameter, noInstanceNamed, notOneOf, securityGroupNotFound } from "./messages.js";
import { checkInstanceName, hostNameProblem, illegalHostName } from "./naming.js";
import type { InstanceRecord } from "./repository.js";
import { checkCamRoleName, checkProjectId, checkUserData, DATA_DISK_RANGE, MAX_SECURITY_GROUPS, SYSTEM_DISK_RANGE } from "./run.js";
import type { InstanceState } from "./states.js";

const MAX_MODIFIED_NAME = 60;
const SECURITY_GROUP_ID_RE = /^sg-[a-z0-9]{8}$/;
const CAM_ROLE_TYPES = ["user", "system", "service_linked"];
/** The attributes ModifyInstancesAttribute changes; AutoReboot and CamRoleType only qualify them. */
const ATTRIBUTES = ["InstanceName", "UserData", "SecurityGroups", "CamRoleName", "HostName", "DisableApiTermination", "EnableJumboFrame"] as const;

function invalidValue(message: LocalizedText): never {
  throw apiError("InvalidParameterValue", message);
}

/** runBatch for actions whose id list must name at least one instance. */
export function runOperation(ctx: ActionContext, ids: readonly string[], op: BatchOperation): Promise<Record<string, never>> {
  if (ids.length === 0) {
    throw apiError("MissingParameter", noInstanceNamed(op.parameter ?? "InstanceIds"));
  }
  return runBatch(ctx, ids, op);
}

/** runOperation for actions that take a single `InstanceId`. */
export function runOnInstance(ctx: ActionContext, instanceId: string, op: Omit<BatchOperation, "parameter" | "max">): Promise<Record<string, never>> {
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
    const asked = requested.DiskType.slice(0, 32);
    invalidValue({
      en: `\`SystemDisk.DiskType\` cannot change here: the system disk of ${record.instanceId} is ${current.DiskType}, not ${asked}.`,
      zh: `参数\`SystemDisk.DiskType\`的取值\`${asked}\`无效：此处不能更改系统盘类型，实例\`${record.instanceId}\`的系统盘类型为 ${current.DiskType}。`,
    });
  }
  if (requested?.DiskId !== undefined && requested.DiskId !== current.DiskId) {
    const asked = requested.DiskId.slice(0, 64);
    invalidValue({
      en: `\`SystemDisk.DiskId\` \`${asked}\` is not the system disk of ${record.instanceId} (${current.DiskId}).`,
      zh: `参数\`SystemDisk.DiskId\`的取值\`${asked}\`不是实例\`${record.instanceId}\`的系统盘（应为 ${current.DiskId}）。`,
    });
  }
  const size = requested?.DiskSize ?? currentSize;
  if (!Number.isInteger(size) || size < currentSize || (mustGrow && size === currentSize)) {
    invalidValue({
      en: `\`SystemDisk.DiskSize\` must be larger than the current ${currentSize} GB of ${record.instanceId}: a system disk only grows; ${size} was given.`,
      zh: `参数\`SystemDisk.DiskSize\`的取值 ${size} 无效：系统盘只能扩容，应大于实例\`${record.instanceId}\`当前的 ${currentSize} GB。`,
    });
  }
  if (size > SYSTEM_DISK_RANGE[1]) {
    invalidValue({
      en: `\`SystemDisk.DiskSize\` is at most ${SYSTEM_DISK_RANGE[1]} GB; ${size} was given.`,
      zh: `参数\`SystemDisk.DiskSize\`最大为 ${SYSTEM_DISK_RANGE[1]} GB，实际为 ${size}。`,
    });
  }
  if (size < minSize) {
    invalidValue({
      en: `The system disk of ${record.instanceId} must have at least ${minSize} GB for this image, but \`SystemDisk.DiskSize\` is ${size}; give a larger \`SystemDisk.DiskSize\`.`,
      zh: `该镜像要求实例\`${record.instanceId}\`的系统盘至少为 ${minSize} GB，但参数\`SystemDisk.DiskSize\`为 ${size}，请指定更大的值。`,
    });
  }
  return size;
}

async function checkSecurityGroups(ctx: ActionContext, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) {
    invalidValue({ en: "`SecurityGroups` must name at least one security group, but the list given is empty.", zh: "参数`SecurityGroups`为空列表，应至少指定一个安全组。" });
  }
  const unique = [...new Set(ids)];
  if (unique.length > MAX_SECURITY_GROUPS) {
    throw apiError("LimitExceeded.AssociateUSGLimitExceeded", {
      en: `\`SecurityGroups\` names ${unique.length} security groups; an instance takes at most ${MAX_SECURITY_GROUPS}.`,
      zh: `参数\`SecurityGroups\`指定了 ${unique.length} 个安全组，一个实例最多绑定 ${MAX_SECURITY_GROUPS} 个。`,
    });
  }
  ids.forEach((id, i) => {
    if (!SECURITY_GROUP_ID_RE.test(id)) throw apiError("InvalidSgId.Malformed", malformedSecurityGroupId(id.slice(0, 64), `SecurityGroups.${i}`));
  });
  const missing = await new NetworkRepository(ctx.sql, ctx.account.uin, ctx.region).missingSecurityGroups(unique);
  const absent = missing[0];
  if (absent !== undefined) throw apiError("InvalidSecurityGroupId.NotFound", securityGroupNotFound(absent, `SecurityGroups.${ids.indexOf(absent)}`, ctx.region));
  return unique;
}

function checkAttributes(req: M.ModifyInstancesAttributeRequest): void {
  if (!ATTRIBUTES.some((a) => req[a] !== undefined)) {
    throw apiError("MissingParameter", {
      en: `Give at least one attribute to modify: ${ATTRIBUTES.join(", ")}.`,
      zh: `请至少指定一个要修改的属性：${ATTRIBUTES.join("、")}。`,
    });
  }
  if (req.InstanceName !== undefined) {
    if (req.InstanceName === "") {
      invalidValue({
        en: `\`InstanceName\` cannot be empty: give a name of 1 to ${MAX_MODIFIED_NAME} characters.`,
        zh: `参数\`InstanceName\`不能为空字符串，应为 1 到 ${MAX_MODIFIED_NAME} 个字符的名称。`,
      });
    }
    checkInstanceName(req.InstanceName, "InstanceName", MAX_MODIFIED_NAME);
  }
  if (req.UserData !== undefined) checkUserData(req.UserData);
  if (req.CamRoleName !== undefined && req.CamRoleName !== "") checkCamRoleName(req.CamRoleName);
  if (req.CamRoleType !== undefined && !CAM_ROLE_TYPES.includes(req.CamRoleType)) {
    invalidValue(notOneOf("CamRoleType", CAM_ROLE_TYPES, req.CamRoleType.slice(0, 32)));
  }
}

/**
 * Names, security groups, CAM role, termination protection and user data change at once. A new host name
 * (or jumbo-frame setting) takes a reboot: a running instance goes REBOOTING → RUNNING unless AutoReboot is
 * false, in which case the host name applies at the next reboot.
 */
export function modifyInstancesAttribute(settings: CvmSettings): TypedHandler<M.ModifyInstancesAttributeRequest, M.ModifyInstancesAttributeResponse> {
  const action = "ModifyInstancesAttribute";
  return async (ctx, req) => {
    checkAttributes(req);
    const securityGroups = req.SecurityGroups !== undefined ? await checkSecurityGroups(ctx, req.SecurityGroups) : undefined;
    return runOperation(ctx, req.InstanceIds, {
      action,
      allowed: ["RUNNING", "STOPPED"],
      check: (records) => {
        for (const r of records) {
          const problem = req.HostName !== undefined ? hostNameProblem(req.HostName, isWindows(r)) : undefined;
          if (problem) {
            throw apiError("InvalidParameter.HostNameIllegal", illegalHostName(req.HostName!.slice(0, 64), "HostName", problem, r.instanceId));
          }
          if (req.EnableJumboFrame !== undefined && req.AutoReboot === false && r.state === "RUNNING") {
            throw apiError("UnsupportedOperation.InstancesEnableJumboWithoutReboot", {
              en: `Changing \`EnableJumboFrame\` (to ${req.EnableJumboFrame}) of the running instance ${r.instanceId} needs a reboot, but \`AutoReboot\` is false; set it to true or stop the instance first.`,
              zh: `修改运行中实例\`${r.instanceId}\`的参数\`EnableJumboFrame\`（改为 ${req.EnableJumboFrame}）需要重启，但参数\`AutoReboot\`为 false，请将其设为 true 或先关机。`,
            });
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
  if (requested.DiskId === undefined) throw apiError("MissingParameter", missingParameter("DataDisks.0.DiskId"));
  const disk = record.doc.DataDisks?.find((d) => d.DiskId === requested.DiskId);
  if (!disk) {
    const asked = requested.DiskId.slice(0, 64);
    invalidValue({
      en: `The disk \`${asked}\` in \`DataDisks.0.DiskId\` is not a data disk of ${record.instanceId}.`,
      zh: `参数\`DataDisks.0.DiskId\`中的磁盘\`${asked}\`不是实例\`${record.instanceId}\`的数据盘。`,
    });
  }
  if (disk.DiskType?.startsWith("LOCAL_")) {
    throw apiError("UnsupportedOperation.InvalidDataDisk", {
      en: `The data disk \`${disk.DiskId}\` in \`DataDisks.0.DiskId\` of ${record.instanceId} is a local disk (${disk.DiskType}); only cloud disks can grow.`,
      zh: `参数\`DataDisks.0.DiskId\`中的数据盘\`${disk.DiskId}\`（实例\`${record.instanceId}\`）是本地盘（${disk.DiskType}），只有云盘支持扩容。`,
    });
  }
  if (requested.DiskType !== undefined && requested.DiskType !== disk.DiskType) {
    const asked = requested.DiskType.slice(0, 32);
    invalidValue({
      en: `\`DataDisks.0.DiskType\` cannot change here: the disk ${disk.DiskId} is ${disk.DiskType}, not ${asked}.`,
      zh: `参数\`DataDisks.0.DiskType\`的取值\`${asked}\`无效：此处不能更改磁盘类型，磁盘\`${disk.DiskId}\`的类型为 ${disk.DiskType}。`,
    });
  }
  const size = requested.DiskSize;
  if (!Number.isInteger(size) || size <= disk.DiskSize) {
    invalidValue({
      en: `\`DataDisks.0.DiskSize\` must be larger than the current ${disk.DiskSize} GB of ${disk.DiskId}: a disk only grows; ${size} was given.`,
      zh: `参数\`DataDisks.0.DiskSize\`的取值 ${size} 无效：磁盘只能扩容，应大于磁盘\`${disk.DiskId}\`当前的 ${disk.DiskSize} GB。`,
    });
  }
  if (size % 10 !== 0 || size > DATA_DISK_RANGE[1]) {
    invalidValue({
      en: `\`DataDisks.0.DiskSize\` grows in steps of 10 GB up to ${DATA_DISK_RANGE[1]} GB; ${size} was given.`,
      zh: `参数\`DataDisks.0.DiskSize\`应为 10 GB 的整数倍且不超过 ${DATA_DISK_RANGE[1]} GB，实际为 ${size}。`,
    });
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
      throw apiError("MissingParameter.AtLeastOne", {
        en: "Give the disk to grow: `DataDisks` or `SystemDisk`; neither was given.",
        zh: "请指定要扩容的磁盘：参数`DataDisks`或`SystemDisk`，两者均未指定。",
      });
    }
    if (dataDisks.length > 0 && req.SystemDisk !== undefined) {
      invalidValue({
        en: "`DataDisks` and `SystemDisk` cannot be given together: grow one disk per request.",
        zh: "参数`DataDisks`和`SystemDisk`不能同时指定：每次请求只能扩容一块磁盘。",
      });
    }
    if (dataDisks.length > 1) {
      invalidValue({
        en: `\`DataDisks\` names ${dataDisks.length} disks; one data disk grows per request.`,
        zh: `参数\`DataDisks\`指定了 ${dataDisks.length} 块磁盘，每次请求只能扩容一块数据盘。`,
      });
    }
    let grow: (r: InstanceRecord) => void = () => undefined;
    return runOnInstance(ctx, req.InstanceId, {
      action,
      allowed: stoppedOrForced(req.ForceStop === true || req.ResizeOnline === true),
      check: ([record]) => {
        const r = record!;
        if (req.SystemDisk !== undefined) {
          if (r.doc.SystemDisk?.DiskType?.startsWith("LOCAL_")) {
            invalidValue({
              en: `\`SystemDisk\` cannot grow the system disk of ${r.instanceId}: it is a local disk (${r.doc.SystemDisk.DiskType}), and only cloud disks can grow.`,
              zh: `参数\`SystemDisk\`无法扩容实例\`${r.instanceId}\`的系统盘：该系统盘是本地盘（${r.doc.SystemDisk.DiskType}），只有云盘支持扩容。`,
            });
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
