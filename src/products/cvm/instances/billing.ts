// ModifyInstancesChargeType, ModifyInstancesRenewFlag and RenewInstances: the billing side of an instance.
// Each is asynchronous like the service: LatestOperation names the action, OPERATING until the
// `operation` phase of the timing profile has passed. Batches are all or nothing.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation, runBatch } from "./lifecycle.js";
import type { InstanceRecord } from "./repository.js";
import { addMonths, checkInstanceQuota, checkPeriod, checkRenewFlag, oneOf, resolveCharge } from "./run.js";

/** ModifyInstancesChargeType takes at most 20 instances (API reference, InstanceIds). */
const MAX_CHARGE_TYPE_IDS = 20;
/** The two charge types an instance can switch between. */
const SWITCHABLE_CHARGE_TYPES = ["PREPAID", "POSTPAID_BY_HOUR"] as const;

function chargeTypeRefusal(r: InstanceRecord, action: string, why: string): never {
  throw apiError("UnsupportedOperation.InstanceChargeType", `The instance \`${r.instanceId}\` is ${r.chargeType}: ${action} ${why}.`);
}

/** Refuses a batch holding an instance that is not a monthly subscription. */
function requirePrepaid(records: readonly InstanceRecord[], action: string): void {
  const postpaid = records.find((r) => r.chargeType !== "PREPAID");
  if (postpaid) chargeTypeRefusal(postpaid, action, "applies only to PREPAID (monthly subscription) instances");
}

/**
 * Switches pay-as-you-go instances to monthly subscription (Period months from now, with a renew flag)
 * or back. Instances stopped without charging cannot switch (API reference).
 */
export function modifyInstancesChargeType(settings: CvmSettings): TypedHandler<M.ModifyInstancesChargeTypeRequest, M.ModifyInstancesChargeTypeResponse> {
  return (ctx, req) => {
    const target = oneOf(req.InstanceChargeType, SWITCHABLE_CHARGE_TYPES, "InstanceChargeType");
    const charge = resolveCharge(req, ctx.clock.now());
    return runBatch(ctx, req.InstanceIds, {
      action: "ModifyInstancesChargeType",
      allowed: ["RUNNING", "STOPPED"],
      max: MAX_CHARGE_TYPE_IDS,
      check: (records, repo) => {
        for (const r of records) {
          if (r.chargeType === target) chargeTypeRefusal(r, "ModifyInstancesChargeType", `cannot switch to the charge type it already has`);
          if (!(SWITCHABLE_CHARGE_TYPES as readonly string[]).includes(r.chargeType)) {
            chargeTypeRefusal(r, "ModifyInstancesChargeType", `can only switch between ${SWITCHABLE_CHARGE_TYPES.join(" and ")}`);
          }
          if (r.doc.StopChargingMode === "STOP_CHARGING") {
            throw apiError("InvalidInstance.NotSupported", `The instance \`${r.instanceId}\` is stopped without charging (STOP_CHARGING); start it before switching its charge type.`);
          }
        }
        if (target !== "PREPAID") return;
        const perZone = new Map<string, number>();
        for (const r of records) perZone.set(r.zone, (perZone.get(r.zone) ?? 0) + 1);
        for (const [zone, count] of perZone) checkInstanceQuota(repo, settings, zone, "PREPAID", count, "LimitExceeded.InstanceQuota");
      },
      apply: (r) => {
        r.chargeType = charge.chargeType;
        r.expiredAt = charge.expiredAt;
        r.doc.RenewFlag = charge.renewFlag;
        beginOperation(ctx, settings, r, "ModifyInstancesChargeType", "operation", r.state, r.state);
      },
    });
  };
}

export function modifyInstancesRenewFlag(settings: CvmSettings): TypedHandler<M.ModifyInstancesRenewFlagRequest, M.ModifyInstancesRenewFlagResponse> {
  return (ctx, req) => {
    const renewFlag = checkRenewFlag(req.RenewFlag, "RenewFlag");
    return runBatch(ctx, req.InstanceIds, {
      action: "ModifyInstancesRenewFlag",
      allowed: ["RUNNING", "STOPPED"],
      check: (records) => requirePrepaid(records, "ModifyInstancesRenewFlag"),
      apply: (r) => {
        r.doc.RenewFlag = renewFlag;
        beginOperation(ctx, settings, r, "ModifyInstancesRenewFlag", "operation", r.state, r.state);
      },
    });
  };
}

/**
 * Extends monthly-subscription instances by Period whole months from their current expiry. Renewing an
 * instance in the recycle bin (SHUTDOWN) restores it, shut down (the vendor's list for this action has no
 * InstanceStateShutdown refusal: renewal is how an isolated instance comes back).
 */
export function renewInstances(settings: CvmSettings): TypedHandler<M.RenewInstancesRequest, M.RenewInstancesResponse> {
  return (ctx, req) => {
    const prepaid = req.InstanceChargePrepaid;
    if (!prepaid) throw apiError("MissingParameter", "The request is missing a required parameter `InstanceChargePrepaid` (required to renew PREPAID instances).");
    checkPeriod(prepaid.Period, "InstanceChargePrepaid.Period");
    const renewFlag = prepaid.RenewFlag === undefined ? undefined : checkRenewFlag(prepaid.RenewFlag, "InstanceChargePrepaid.RenewFlag");
    const now = ctx.clock.now();
    return runBatch(ctx, req.InstanceIds, {
      action: "RenewInstances",
      allowed: ["RUNNING", "STOPPED", "SHUTDOWN"],
      check: (records) => {
        const prepaidCount = records.filter((r) => r.chargeType === "PREPAID").length;
        if (prepaidCount > 0 && prepaidCount < records.length) {
          throw apiError("InvalidParameterValue.InstanceNotSupportedMixPricingModel", "PREPAID and other instances cannot be renewed in the same request.");
        }
        requirePrepaid(records, "RenewInstances");
      },
      apply: (r) => {
        r.expiredAt = addMonths(r.expiredAt ?? now, prepaid.Period);
        if (renewFlag !== undefined) r.doc.RenewFlag = renewFlag;
        if (r.state === "SHUTDOWN") {
          r.doc.IsolatedSource = "NOTISOLATED";
          r.doc.RestrictState = "NORMAL";
          beginOperation(ctx, settings, r, "RenewInstances", "operation", r.state, "STOPPED");
        } else {
          beginOperation(ctx, settings, r, "RenewInstances", "operation", r.state, r.state);
        }
      },
    });
  };
}
