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
import { hostNameProblem, illegalHostName } from "./naming.js";
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
    throw apiError("InvalidParameterValue.InvalidImageForGivenInstanceType", {
      en: `The image \`${image.ImageId}\` in \`ImageId\` (${image.Architecture}) cannot run on ${record.instanceId}, of type ${spec.instanceType} (${spec.architecture}); give an image built for ${spec.architecture}.`,
      zh: `参数\`ImageId\`中的镜像\`${image.ImageId}\`（${image.Architecture}）不能用于实例\`${record.instanceId}\`，其机型 ${spec.instanceType} 为 ${spec.architecture} 架构，请指定 ${spec.architecture} 架构的镜像。`,
    });
  }
  if (req.HostName !== undefined) {
    const problem = hostNameProblem(req.HostName, image.osType === "windows");
    if (problem) throw apiError("InvalidParameter.HostNameIllegal", illegalHostName(req.HostName.slice(0, 64), "HostName", problem));
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
      const given = req.UserName.slice(0, 64);
      throw apiError("InvalidParameterValue.TooLong", {
        en: `\`UserName\` has 1 to ${MAX_USER_NAME} characters; ${req.UserName.length} were given (\`${given}\`).`,
        zh: `参数\`UserName\`长度应为 1 到 ${MAX_USER_NAME} 个字符，所给值\`${given}\`长度为 ${req.UserName.length} 个字符。`,
      });
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
          throw apiError(PASSWORD_CODE, {
            en: `The parameter \`Password\` contains the user name \`${user.slice(0, 64)}\`: a Windows password may not contain it.`,
            zh: `参数\`Password\`包含用户名\`${user.slice(0, 64)}\`：Windows 实例的密码不能包含用户名。`,
          });
        }
      },
      apply: (r) => beginOperation(ctx, settings, r, action, "operation", r.state, r.state),
    });
  };
}

/** Refuses the type changes the service does not make: other architecture, into or out of GPUs, off local data disks. */
function checkTypeChange(record: InstanceRecord, from: InstanceTypeSpec | undefined, to: InstanceTypeSpec): void {
  if (record.doc.SystemDisk?.DiskType?.startsWith("LOCAL_")) {
    throw apiError("UnsupportedOperation.SystemDiskType", {
      en: `The instance ${record.instanceId} has a local system disk (${record.doc.SystemDisk.DiskType}) and cannot change to \`${to.instanceType}\` (\`InstanceType\`): only instances on cloud system disks change type.`,
      zh: `实例\`${record.instanceId}\`的系统盘为本地盘（${record.doc.SystemDisk.DiskType}），无法变更为参数\`InstanceType\`指定的机型\`${to.instanceType}\`：只有系统盘为云盘的实例支持变更机型。`,
    });
  }
  if (!from) return;
  if (from.architecture === "arm" && to.architecture !== "arm") {
    throw apiError("UnsupportedOperation.UnsupportedARMChangeInstanceFamily", {
      en: `The ARM instance ${record.instanceId} (${from.instanceType}) can only change to another ARM type; \`${to.instanceType}\` in \`InstanceType\` is ${to.architecture}.`,
      zh: `ARM 实例\`${record.instanceId}\`（${from.instanceType}）只能变更为其他 ARM 机型，参数\`InstanceType\`中的机型\`${to.instanceType}\`为 ${to.architecture} 架构。`,
    });
  }
  if (from.architecture !== "arm" && to.architecture === "arm") {
    throw apiError("UnsupportedOperation.UnsupportedChangeInstanceFamilyToARM", {
      en: `The ${from.architecture} instance ${record.instanceId} (${from.instanceType}) cannot change to the ARM type \`${to.instanceType}\` in \`InstanceType\`; give a type built for ${from.architecture}.`,
      zh: `${from.architecture} 实例\`${record.instanceId}\`（${from.instanceType}）不能变更为参数\`InstanceType\`中的 ARM 机型\`${to.instanceType}\`，请指定 ${from.architecture} 机型。`,
    });
  }
  if (from.gpuCount === 0 && to.gpuCount > 0) {
    throw apiError("InvalidParameterValue.GPUInstanceFamily", {
      en: `The instance ${record.instanceId} (${from.instanceType}) has no GPU and cannot change to the GPU type \`${to.instanceType}\` in \`InstanceType\`; give a type without GPUs.`,
      zh: `实例\`${record.instanceId}\`（${from.instanceType}）没有 GPU，不能变更为参数\`InstanceType\`中的 GPU 机型\`${to.instanceType}\`，请指定不带 GPU 的机型。`,
    });
  }
  if (from.gpuCount > 0 && (to.gpuCount === 0 || to.gpuType !== from.gpuType)) {
    throw apiError("InvalidParameterValue.InvalidGPUFamilyChange", {
      en: `The GPU instance ${record.instanceId} (${from.gpuType}) can only change to a type with the same GPU; \`${to.instanceType}\` in \`InstanceType\` has ${to.gpuType ?? "none"}.`,
      zh: `GPU 实例\`${record.instanceId}\`（${from.gpuType}）只能变更为相同 GPU 的机型，参数\`InstanceType\`中的机型\`${to.instanceType}\`的 GPU 为 ${to.gpuType ?? "无"}。`,
    });
  }
  if (from.family !== to.family && record.doc.DataDisks?.some((d) => d.DiskType?.startsWith("LOCAL_"))) {
    throw apiError("UnsupportedOperation.LocalDataDiskChangeInstanceFamily", {
      en: `The instance ${record.instanceId} has local data disks and cannot leave the ${from.family} family for \`${to.instanceType}\` (\`InstanceType\`, family ${to.family}); give a ${from.family} type.`,
      zh: `实例\`${record.instanceId}\`有本地数据盘，不能从 ${from.family} 机型族变更为参数\`InstanceType\`中的机型\`${to.instanceType}\`（${to.family} 机型族），请指定 ${from.family} 机型族的机型。`,
    });
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
          throw apiError("InvalidParameterValue", {
            en: `The instance ${r.instanceId} is already of type \`${r.instanceType}\`; give a different \`InstanceType\`.`,
            zh: `实例\`${r.instanceId}\`的机型已是\`${r.instanceType}\`，请在参数\`InstanceType\`中指定不同的机型。`,
          });
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
