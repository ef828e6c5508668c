// ModifyInstancesChargeType, ModifyInstancesRenewFlag and RenewInstances: the billing side of an instance.
// Each is asynchronous like the service: LatestOperation names the action, OPERATING until the
// `operation` phase of the timing profile has passed. Batches are all or nothing.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { apiError, type LocalizedText } from "../../../protocol/errors.js";
import type { CvmSettings } from "../settings.js";
import { beginOperation, runBatch } from "./lifecycle.js";
import { missingParameter, mixedChargeTypes, stoppedWithoutCharging } from "./messages.js";
import type { InstanceRecord } from "./repository.js";
import { addMonths, checkInstanceQuota, checkPeriod, checkRenewFlag, oneOf, resolveCharge } from "./run.js";

/** ModifyInstancesChargeType takes at most 20 instances (API reference, InstanceIds). */
const MAX_CHARGE_TYPE_IDS = 20;
/** The two charge types an instance can switch between. */
const SWITCHABLE_CHARGE_TYPES = ["PREPAID", "POSTPAID_BY_HOUR"] as const;

function chargeTypeRefusal(r: InstanceRecord, action: string, why: LocalizedText): never {
  throw apiError("UnsupportedOperation.InstanceChargeType", {
    en: `The instance \`${r.instanceId}\` in \`InstanceIds\` is ${r.chargeType}: ${action} ${why.en}.`,
    zh: `参数\`InstanceIds\`中的实例\`${r.instanceId}\`的计费类型为 ${r.chargeType}：${action} ${why.zh}。`,
  });
}

/** Refuses a batch holding an instance that is not a monthly subscription. */
function requirePrepaid(records: readonly InstanceRecord[], action: string): void {
  const postpaid = records.find((r) => r.chargeType !== "PREPAID");
  if (postpaid) {
    chargeTypeRefusal(postpaid, action, { en: "applies only to PREPAID (monthly subscription) instances", zh: "仅适用于包年包月（PREPAID）实例" });
  }
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
      check: async (records, repo) => {
        for (const r of records) {
          if (r.chargeType === target) {
            chargeTypeRefusal(r, "ModifyInstancesChargeType", {
              en: `cannot switch it to the \`InstanceChargeType\` ${target} it already has`,
              zh: `无法将其切换为已有的计费类型（参数\`InstanceChargeType\`为 ${target}）`,
            });
          }
          if (!(SWITCHABLE_CHARGE_TYPES as readonly string[]).includes(r.chargeType)) {
            chargeTypeRefusal(r, "ModifyInstancesChargeType", {
              en: `can only switch between ${SWITCHABLE_CHARGE_TYPES.join(" and ")}`,
              zh: `只能在 ${SWITCHABLE_CHARGE_TYPES.join(" 和 ")} 之间切换`,
            });
          }
          if (r.doc.StopChargingMode === "STOP_CHARGING") {
            throw apiError("InvalidInstance.NotSupported", stoppedWithoutCharging(r.instanceId, "InstanceIds", { en: "switching its charge type", zh: "切换计费类型" }));
          }
        }
        if (target !== "PREPAID") return;
        const perZone = new Map<string, number>();
        for (const r of records) perZone.set(r.zone, (perZone.get(r.zone) ?? 0) + 1);
        for (const [zone, count] of perZone) await checkInstanceQuota(repo, settings, zone, "PREPAID", count, "InstanceIds", "LimitExceeded.InstanceQuota");
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
    if (!prepaid) {
      throw apiError("MissingParameter", missingParameter("InstanceChargePrepaid", { en: "required to renew PREPAID instances", zh: "续费包年包月实例时必须指定" }));
    }
    checkPeriod(prepaid.Period, "InstanceChargePrepaid.Period");
    const renewFlag = prepaid.RenewFlag === undefined ? undefined : checkRenewFlag(prepaid.RenewFlag, "InstanceChargePrepaid.RenewFlag");
    const now = ctx.clock.now();
    return runBatch(ctx, req.InstanceIds, {
      action: "RenewInstances",
      allowed: ["RUNNING", "STOPPED", "SHUTDOWN"],
      check: (records) => {
        const prepaidOne = records.find((r) => r.chargeType === "PREPAID");
        const other = records.find((r) => r.chargeType !== "PREPAID");
        if (prepaidOne && other) {
          throw apiError("InvalidParameterValue.InstanceNotSupportedMixPricingModel", mixedChargeTypes("InstanceIds", prepaidOne.instanceId, other, "RenewInstances"));
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
