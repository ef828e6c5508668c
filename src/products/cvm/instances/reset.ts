// ResetInstance (reinstall the OS), ResetInstancesPassword and ResetInstancesType (change the instance
// type). Each shows LatestOperation <action>, OPERATING until the operation's time has passed, then
// SUCCESS; the instance keeps its state (a running instance forced down for the change is modelled as
// staying RUNNING).
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import type { ImageRecord } from "../catalog/images.js";
import { findInstanceType, type InstanceTypeSpec } from "../catalog/instance-types.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation } from "./lifecycle.js";
import { grownSystemDiskSize, isWindows, runOnInstance, runOperation, stoppedOrForced } from "./modify.js";
import { hostNameProblem } from "./naming.js";
import { checkPassword } from "./passwords.js";
import type { InstanceRecord } from "./repository.js";
import { checkUserData, findSellingType, gpuInfo, resolveImage, resolveLogin } from "./run.js";

const PASSWORD_CODE = "InvalidParameterValue.InvalidPassword";
/** ResetInstancesPassword wants three character classes on every OS. */
const RESET_PASSWORD_CLASSES = 3;
const MAX_USER_NAME = 64;
const WINDOWS_ADMIN = "Administrator";

interface Reinstall {
  image: ImageRecord;
  keyIds: string[];
  systemDiskSize: number;
}

function planReinstall(record: InstanceRecord, req: M.ResetInstanceRequest, requested: ImageRecord | undefined): Reinstall {
  const image = requested ?? resolveImage(record.imageId);
  const spec = findInstanceType(record.instanceType);
  if (spec && spec.architecture !== image.Architecture) {
    throw apiError(
      "InvalidParameterValue.InvalidImageForGivenInstanceType",
      `The image ${image.ImageId} (${image.Architecture}) cannot run on ${record.instanceId}, of type ${spec.instanceType} (${spec.architecture}).`,
    );
  }
  if (req.HostName !== undefined) {
    const problem = hostNameProblem(req.HostName, image.osType === "windows");
    if (problem) throw apiError("InvalidParameter.HostNameIllegal", `The host name \`${req.HostName.slice(0, 64)}\` in \`HostName\` is not allowed: ${problem}.`);
  }
  const keyIds = resolveLogin(req.LoginSettings, image, PASSWORD_CODE);
  const systemDiskSize = grownSystemDiskSize(record, req.SystemDisk, false, image.ImageSize ?? 0);
  return { image, keyIds, systemDiskSize };
}

/** Reinstalls the OS from ImageId (default: the current image). The system disk keeps its id and may grow. */
export function resetInstance(settings: CvmSettings): TypedHandler<M.ResetInstanceRequest, M.ResetInstanceResponse> {
  const action = "ResetInstance";
  return (ctx, req) => {
    const requested = req.ImageId !== undefined ? resolveImage(req.ImageId) : undefined;
    if (req.UserData !== undefined) checkUserData(req.UserData);
    let plan: Reinstall | undefined;
    return runOnInstance(ctx, req.InstanceId, {
      action,
      allowed: ["RUNNING", "STOPPED"],
      check: ([record]) => {
        plan = planReinstall(record!, req, requested);
      },
      apply: (r) => {
        const { image, keyIds, systemDiskSize } = plan!;
        r.imageId = image.ImageId!;
        r.doc.OsName = image.OsName;
        r.doc.DefaultLoginUser = image.defaultLoginUser;
        r.doc.DefaultLoginPort = image.defaultLoginPort;
        r.doc.LoginSettings = { KeyIds: keyIds };
        r.doc.SystemDisk = { ...r.doc.SystemDisk, DiskSize: systemDiskSize };
        if (req.HostName !== undefined) r.doc.HostName = req.HostName;
        if (req.UserData !== undefined) r.doc.UserData = req.UserData;
        beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}

/**
 * Sets the password of the OS user (the image's administrator by default). Linux passwords need three
 * character classes here too; a batch with any Windows instance follows the Windows rules, which also
 * forbid the user name inside the password.
 */
export function resetInstancesPassword(settings: CvmSettings): TypedHandler<M.ResetInstancesPasswordRequest, M.ResetInstancesPasswordResponse> {
  const action = "ResetInstancesPassword";
  return (ctx, req) => {
    if (req.UserName !== undefined && (req.UserName.length === 0 || req.UserName.length > MAX_USER_NAME)) {
      throw apiError("InvalidParameterValue.TooLong", `\`UserName\` has 1 to ${MAX_USER_NAME} characters; ${req.UserName.length} were given.`);
    }
    checkPassword(req.Password, false, "Password", RESET_PASSWORD_CLASSES, PASSWORD_CODE);
    return runOperation(ctx, req.InstanceIds, {
      action,
      allowed: stoppedOrForced(req.ForceStop),
      check: (records) => {
        if (!records.some(isWindows)) return;
        checkPassword(req.Password, true, "Password", RESET_PASSWORD_CLASSES, PASSWORD_CODE);
        const user = req.UserName ?? WINDOWS_ADMIN;
        if (req.Password.toLowerCase().includes(user.toLowerCase())) {
          throw apiError(PASSWORD_CODE, `A Windows password may not contain the user name (${user.slice(0, 64)}).`);
        }
      },
      apply: (r) => beginOperation(ctx, settings, r, action, "operation", r.state, r.state),
    });
  };
}

/** Refuses the type changes the service does not make: other architecture, into or out of GPUs, off local data disks. */
function checkTypeChange(record: InstanceRecord, from: InstanceTypeSpec | undefined, to: InstanceTypeSpec): void {
  if (record.doc.SystemDisk?.DiskType?.startsWith("LOCAL_")) {
    throw apiError("UnsupportedOperation.SystemDiskType", `The instance ${record.instanceId} has a local system disk (${record.doc.SystemDisk.DiskType}); only instances on cloud system disks change type.`);
  }
  if (!from) return;
  if (from.architecture === "arm" && to.architecture !== "arm") {
    throw apiError("UnsupportedOperation.UnsupportedARMChangeInstanceFamily", `The ARM instance ${record.instanceId} (${from.instanceType}) can only change to another ARM type; ${to.instanceType} is ${to.architecture}.`);
  }
  if (from.architecture !== "arm" && to.architecture === "arm") {
    throw apiError("UnsupportedOperation.UnsupportedChangeInstanceFamilyToARM", `The ${from.architecture} instance ${record.instanceId} (${from.instanceType}) cannot change to the ARM type ${to.instanceType}.`);
  }
  if (from.gpuCount === 0 && to.gpuCount > 0) {
    throw apiError("InvalidParameterValue.GPUInstanceFamily", `The instance ${record.instanceId} (${from.instanceType}) has no GPU and cannot change to the GPU type ${to.instanceType}.`);
  }
  if (from.gpuCount > 0 && (to.gpuCount === 0 || to.gpuType !== from.gpuType)) {
    throw apiError("InvalidParameterValue.InvalidGPUFamilyChange", `The GPU instance ${record.instanceId} (${from.gpuType}) can only change to a type with the same GPU; ${to.instanceType} has ${to.gpuType ?? "none"}.`);
  }
  if (from.family !== to.family && record.doc.DataDisks?.some((d) => d.DiskType?.startsWith("LOCAL_"))) {
    throw apiError("UnsupportedOperation.LocalDataDiskChangeInstanceFamily", `The instance ${record.instanceId} has local data disks and cannot leave the ${from.family} family.`);
  }
}

/** Changes the type of one instance to another type its zone sells; CPU, memory and GPUs follow the type. */
export function resetInstancesType(settings: CvmSettings): TypedHandler<M.ResetInstancesTypeRequest, M.ResetInstancesTypeResponse> {
  const action = "ResetInstancesType";
  return (ctx, req) => {
    let target: InstanceTypeSpec | undefined;
    return runOperation(ctx, req.InstanceIds, {
      action,
      max: 1,
      allowed: stoppedOrForced(req.ForceStop),
      check: ([record]) => {
        const r = record!;
        if (req.InstanceType === r.instanceType) {
          throw apiError("InvalidParameterValue", `The instance ${r.instanceId} is already of type ${r.instanceType}; give a different \`InstanceType\`.`);
        }
        target = findSellingType(req.InstanceType, r.zone, r.chargeType, "ResourceNotFound.InvalidZoneInstanceType");
        checkTypeChange(r, findInstanceType(r.instanceType), target);
      },
      apply: (r) => {
        const spec = target!;
        r.instanceType = spec.instanceType;
        r.doc.CPU = spec.cpu;
        r.doc.Memory = spec.memory;
        r.doc.CpuTopology = { CoreCount: spec.cpu, ThreadPerCore: 2 };
        const gpu = gpuInfo(spec);
        if (gpu) r.doc.GPUInfo = gpu;
        else delete r.doc.GPUInfo;
        beginOperation(ctx, settings, r, action, "operation", r.state, r.state);
      },
    });
  };
}
