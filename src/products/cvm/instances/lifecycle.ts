// StartInstances, StopInstances, RebootInstances and TerminateInstances. A batch is all or nothing: if
// any instance may not take the operation, none does.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import type { CvmSettings } from "../settings.js";
import { TIMING_PROFILES, type Phase } from "../timing.js";
import { mixedChargeTypes, notOneOf } from "./messages.js";
import { loadInstances, openInstances } from "./open.js";
import type { InstanceRecord, InstanceRepository } from "./repository.js";
import { DELETED, ensureAllowed, type InstanceState } from "./states.js";

const STOP_TYPES = ["SOFT", "HARD", "SOFT_FIRST"];
const STOPPED_MODES = ["KEEP_CHARGING", "STOP_CHARGING"];

/** Starts an operation: the instance shows `transitional` now and `final` once the phase has passed. */
export function beginOperation(
  ctx: ActionContext,
  settings: CvmSettings,
  record: InstanceRecord,
  operation: string,
  phase: Phase,
  transitional: string,
  final: string,
): void {
  record.state = transitional;
  record.pendingState = final;
  record.pendingAt = ctx.clock.now() + TIMING_PROFILES[settings.timing][phase];
  record.latestOperation = operation;
  record.latestOperationState = "OPERATING";
  record.latestOperationRequestId = ctx.requestId;
}

function checkStopType(stopType: string | undefined, force: boolean | undefined, forceName: string): void {
  if (stopType === undefined) return;
  if (!STOP_TYPES.includes(stopType)) {
    throw apiError("InvalidParameterValue", notOneOf("StopType", STOP_TYPES, stopType.slice(0, 32)));
  }
  if (force !== undefined) {
    throw apiError("InvalidParameterCombination", {
      en: `\`${forceName}\` (${force}) and \`StopType\` (\`${stopType.slice(0, 32)}\`) cannot be given together: give one of them.`,
      zh: `参数\`${forceName}\`（${force}）和参数\`StopType\`（\`${stopType.slice(0, 32)}\`）不能同时指定，请只指定其中一个。`,
    });
  }
}

export interface BatchOperation {
  action: string;
  allowed: readonly InstanceState[];
  /** The parameter naming the instances, and how many it may name (loadInstances' defaults: InstanceIds, 100). */
  parameter?: string;
  max?: number;
  /** Extra checks on the whole batch, after the state checks. */
  check?: (records: InstanceRecord[], repo: InstanceRepository) => void | Promise<void>;
  apply: (record: InstanceRecord, repo: InstanceRepository) => void | Promise<void>;
}

/** Loads the instances, checks every state, runs the batch checks, then applies and saves each. */
export async function runBatch(ctx: ActionContext, ids: readonly string[], op: BatchOperation): Promise<Record<string, never>> {
  const repo = await openInstances(ctx);
  const records = await loadInstances(repo, ids, op.parameter, op.max);
  for (const r of records) ensureAllowed(r, op.allowed, op.action, op.parameter);
  await op.check?.(records, repo);
  for (const r of records) {
    await op.apply(r, repo);
    await repo.save(r);
  }
  return {};
}

export function startInstances(settings: CvmSettings): TypedHandler<M.StartInstancesRequest, M.StartInstancesResponse> {
  return (ctx, req) =>
    runBatch(ctx, req.InstanceIds, {
      action: "StartInstances",
      allowed: ["STOPPED"],
      apply: (r) => {
        r.doc.StopChargingMode = "NOT_APPLICABLE";
        beginOperation(ctx, settings, r, "StartInstances", "start", "STARTING", "RUNNING");
      },
    });
}

export function stopInstances(settings: CvmSettings): TypedHandler<M.StopInstancesRequest, M.StopInstancesResponse> {
  return (ctx, req) => {
    checkStopType(req.StopType, req.ForceStop, "ForceStop");
    const mode = req.StoppedMode ?? "KEEP_CHARGING";
    if (!STOPPED_MODES.includes(mode)) {
      throw apiError("InvalidParameterValue", notOneOf("StoppedMode", STOPPED_MODES, mode.slice(0, 32)));
    }
    return runBatch(ctx, req.InstanceIds, {
      action: "StopInstances",
      allowed: ["RUNNING"],
      check: (records) => {
        if (mode !== "STOP_CHARGING") return;
        // Only pay-as-you-go instances on cloud system disks can stop without charging.
        const refused = records.find((r) => r.chargeType !== "POSTPAID_BY_HOUR" || r.doc.SystemDisk?.DiskType?.startsWith("LOCAL_"));
        if (refused) {
          const disk = refused.doc.SystemDisk?.DiskType ?? "unknown";
          throw apiError("UnsupportedOperation.StoppedModeStopCharging", {
            en:
              `The instance \`${refused.instanceId}\` in \`InstanceIds\` (${refused.chargeType}, system disk ${disk}) cannot stop with \`StoppedMode\` STOP_CHARGING: ` +
              "only POSTPAID_BY_HOUR instances with cloud system disks can.",
            zh:
              `参数\`InstanceIds\`中的实例\`${refused.instanceId}\`（${refused.chargeType}，系统盘 ${disk}）不支持参数\`StoppedMode\`为 STOP_CHARGING 的关机不收费：` +
              "仅系统盘为云盘的按量计费（POSTPAID_BY_HOUR）实例支持。",
          });
        }
      },
      apply: (r) => {
        r.doc.StopChargingMode = mode;
        beginOperation(ctx, settings, r, "StopInstances", "stop", "STOPPING", "STOPPED");
      },
    });
  };
}

export function rebootInstances(settings: CvmSettings): TypedHandler<M.RebootInstancesRequest, M.RebootInstancesResponse> {
  return (ctx, req) => {
    checkStopType(req.StopType, req.ForceReboot, "ForceReboot");
    return runBatch(ctx, req.InstanceIds, {
      action: "RebootInstances",
      allowed: ["RUNNING"],
      apply: (r) => beginOperation(ctx, settings, r, "RebootInstances", "reboot", "REBOOTING", "RUNNING"),
    });
  };
}

/**
 * Pay-as-you-go instances are destroyed (TERMINATING, then gone). Prepaid instances first go to the
 * recycle bin (SHUTDOWN); terminating them there destroys them.
 */
export function terminateInstances(settings: CvmSettings): TypedHandler<M.TerminateInstancesRequest, M.TerminateInstancesResponse> {
  return (ctx, req) =>
    runBatch(ctx, req.InstanceIds, {
      action: "TerminateInstances",
      allowed: ["RUNNING", "STOPPED", "SHUTDOWN"],
      check: (records) => {
        const prepaid = records.find((r) => r.chargeType === "PREPAID");
        const other = records.find((r) => r.chargeType !== "PREPAID");
        if (prepaid && other) {
          throw apiError("UnsupportedOperation.InstanceMixedPricingModel", mixedChargeTypes("InstanceIds", prepaid.instanceId, other, "TerminateInstances"));
        }
        const protectedOne = records.find((r) => r.doc.DisableApiTermination === true);
        if (protectedOne) {
          throw apiError("UnsupportedOperation.InstancesProtected", {
            en: `The instance \`${protectedOne.instanceId}\` in \`InstanceIds\` has termination protection (DisableApiTermination) on; turn it off with ModifyInstancesAttribute first.`,
            zh: `参数\`InstanceIds\`中的实例\`${protectedOne.instanceId}\`已开启实例销毁保护（DisableApiTermination），请先通过 ModifyInstancesAttribute 关闭。`,
          });
        }
      },
      apply: (r) => {
        if (r.chargeType === "PREPAID" && r.state !== "SHUTDOWN") {
          r.doc.IsolatedSource = "MANMADE";
          beginOperation(ctx, settings, r, "TerminateInstances", "terminate", r.state, "SHUTDOWN");
        } else {
          beginOperation(ctx, settings, r, "TerminateInstances", "terminate", "TERMINATING", DELETED);
        }
      },
    });
}
