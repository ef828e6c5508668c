// StartInstances, StopInstances, RebootInstances and TerminateInstances. A batch is all or nothing: if
// any instance may not take the operation, none does.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { ActionContext, TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import type { CvmSettings } from "../settings.js";
import { TIMING_PROFILES, type Phase } from "../timing.js";
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
    throw apiError("InvalidParameterValue", `The parameter \`StopType\` must be one of ${STOP_TYPES.join(", ")}, but \`${stopType.slice(0, 32)}\` was given.`);
  }
  if (force !== undefined) throw apiError("InvalidParameterCombination", `\`${forceName}\` and \`StopType\` cannot be given together.`);
}

export interface BatchOperation {
  action: string;
  allowed: readonly InstanceState[];
  /** The parameter naming the instances, and how many it may name (loadInstances' defaults: InstanceIds, 100). */
  parameter?: string;
  max?: number;
  /** Extra checks on the whole batch, after the state checks. */
  check?: (records: InstanceRecord[], repo: InstanceRepository) => void;
  apply: (record: InstanceRecord, repo: InstanceRepository) => void;
}

/** Loads the instances, checks every state, runs the batch checks, then applies and saves each. */
export function runBatch(ctx: ActionContext, ids: readonly string[], op: BatchOperation): Record<string, never> {
  const repo = openInstances(ctx);
  const records = loadInstances(repo, ids, op.parameter, op.max);
  for (const r of records) ensureAllowed(r, op.allowed, op.action);
  op.check?.(records, repo);
  for (const r of records) {
    op.apply(r, repo);
    repo.save(r);
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
      throw apiError("InvalidParameterValue", `The parameter \`StoppedMode\` must be one of ${STOPPED_MODES.join(", ")}, but \`${mode.slice(0, 32)}\` was given.`);
    }
    return runBatch(ctx, req.InstanceIds, {
      action: "StopInstances",
      allowed: ["RUNNING"],
      check: (records) => {
        if (mode !== "STOP_CHARGING") return;
        // Only pay-as-you-go instances on cloud system disks can stop without charging.
        const refused = records.find((r) => r.chargeType !== "POSTPAID_BY_HOUR" || r.doc.SystemDisk?.DiskType?.startsWith("LOCAL_"));
        if (refused) {
          throw apiError("UnsupportedOperation.StoppedModeStopCharging", `The instance \`${refused.instanceId}\` cannot stop in STOP_CHARGING mode: only POSTPAID_BY_HOUR instances with cloud system disks can.`);
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
        const isPrepaid = (r: InstanceRecord) => r.chargeType === "PREPAID";
        if (records.some(isPrepaid) && !records.every(isPrepaid)) {
          throw apiError("UnsupportedOperation.InstanceMixedPricingModel", "Prepaid and pay-as-you-go instances cannot be terminated in the same request.");
        }
        const protectedOne = records.find((r) => r.doc.DisableApiTermination === true);
        if (protectedOne) {
          throw apiError("UnsupportedOperation.InstancesProtected", `The instance \`${protectedOne.instanceId}\` has termination protection (DisableApiTermination) on.`);
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
