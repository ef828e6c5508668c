// DescribeInstancesAttributes, DescribeInstancesOperationLimit and DescribeAccountQuota: read-only
// questions about instances and the account's room for more.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { malformedIdText } from "../../../protocol/messages.js";
import { apiError } from "../../../protocol/errors.js";
import { CATALOG } from "../catalog/regions.js";
import { applyFilters, checkFilters } from "../filters.js";
import { INSTANCE_ID_RE } from "../ids.js";
import type { CvmSettings } from "../settings.js";
import { zoneNotInRegion } from "./messages.js";
import { loadInstances, openInstances } from "./open.js";
import { MAX_INSTANCE_COUNT, oneOf, zoneQuota } from "./run.js";

const INSTANCE_ATTRIBUTES = ["UserData"] as const;

/**
 * The UserData given at purchase ("" when none was). The vendor lists InvalidParameterValue.InstanceIdMalformed,
 * not InvalidInstanceId.Malformed, for this action's malformed ids.
 */
export const describeInstancesAttributes: TypedHandler<M.DescribeInstancesAttributesRequest, M.DescribeInstancesAttributesResponse> = async (ctx, req) => {
  const attributes = req.Attributes.map((a, i) => oneOf(a, INSTANCE_ATTRIBUTES, `Attributes.${i}`));
  req.InstanceIds.forEach((id, i) => {
    if (!INSTANCE_ID_RE.test(id)) {
      throw apiError("InvalidParameterValue.InstanceIdMalformed", malformedIdText({ en: "instance id", zh: "实例 ID" }, id, `InstanceIds.${i}`, "ins"));
    }
  });
  const records = await loadInstances(await openInstances(ctx), req.InstanceIds);
  return {
    InstanceSet: records.map((r) => ({
      InstanceId: r.instanceId,
      Attributes: attributes.includes("UserData") ? { UserData: r.doc.UserData ?? "" } : {},
    })),
  };
};

const LIMITED_OPERATIONS = ["INSTANCE_DEGRADE", "INTERNET_CHARGE_TYPE_CHANGE"] as const;
/** How many times a monthly-subscription instance may be downgraded (the API reference's example answer). */
const PREPAID_DEGRADE_LIMIT = 5;
/** CurrentCount and LimitCount for an operation without a limit. */
const UNLIMITED = -1;

/**
 * Only downgrading a monthly-subscription instance is counted; everything else is unlimited (-1). No
 * emulated action downgrades an instance yet, so CurrentCount is 0.
 */
export const describeInstancesOperationLimit: TypedHandler<M.DescribeInstancesOperationLimitRequest, M.DescribeInstancesOperationLimitResponse> = async (ctx, req) => {
  const operation = oneOf(req.Operation, LIMITED_OPERATIONS, "Operation");
  const records = await loadInstances(await openInstances(ctx), req.InstanceIds);
  return {
    InstanceOperationLimitSet: records.map((r) => {
      const limited = operation === "INSTANCE_DEGRADE" && r.chargeType === "PREPAID";
      return {
        Operation: operation,
        InstanceId: r.instanceId,
        CurrentCount: limited ? 0 : UNLIMITED,
        LimitCount: limited ? PREPAID_DEGRADE_LIMIT : UNLIMITED,
      };
    }),
  };
};

const QUOTA_TYPES = ["PostPaidQuotaSet", "PrePaidQuotaSet", "SpotPaidQuotaSet", "ImageQuotaSet", "DisasterRecoverGroupQuotaSet"] as const;
type QuotaType = (typeof QUOTA_TYPES)[number];
type QuotaItem = M.PostPaidQuota | M.PrePaidQuota | M.SpotPaidQuota | M.ImageQuota | M.DisasterRecoverGroupQuota;

/** Custom images per region (cvm-behavior §7.1); no emulated action creates one yet. */
const IMAGE_QUOTA: M.ImageQuota = { UsedQuota: 0, TotalQuota: 500 };
/** The documented placement-group quotas; placement groups are not emulated yet. */
const DISASTER_RECOVER_GROUP_QUOTA: M.DisasterRecoverGroupQuota = {
  GroupQuota: 10,
  CurrentNum: 0,
  CvmInHostGroupQuota: 50,
  CvmInSwitchGroupQuota: 20,
  CvmInRackGroupQuota: 30,
};

interface QuotaRow {
  type: QuotaType;
  /** The zone of a zone quota; region-wide quotas have none and match every zone filter. */
  zone?: string;
  item: QuotaItem;
}

/**
 * Per available zone of the region: used, remaining and total instances by charge type (the quota
 * RunInstances enforces, settings.instanceQuota; spot quota is counted in instances, as RunInstances
 * counts it, not in vCPUs), plus the region's image and placement-group quotas. `zone` and `quota-type`
 * filters narrow the sets; a set with nothing left is an empty list.
 */
export function describeAccountQuota(settings: CvmSettings): TypedHandler<M.DescribeAccountQuotaRequest, M.DescribeAccountQuotaResponse> {
  return async (ctx, req) => {
    const zones = CATALOG.get(ctx.region)?.zones ?? [];
    checkFilters(req.Filters, { names: ["zone", "quota-type"] });
    (req.Filters ?? []).forEach((filter, i) =>
      filter.Values.forEach((value, j) => {
        const where = `Filters.${i}.Values.${j}`;
        if (filter.Name === "zone" && !zones.some((z) => z.zone === value)) {
          throw apiError("InvalidZone.MismatchRegion", zoneNotInRegion(value.slice(0, 64), where, ctx.region));
        }
        if (filter.Name === "quota-type") oneOf(value, QUOTA_TYPES, where);
      }),
    );

    const repo = await openInstances(ctx);
    const rows: QuotaRow[] = [];
    for (const { zone } of zones.filter((z) => z.available)) {
      const quota = async (chargeType: string) => {
        const { used, total, remaining } = await zoneQuota(repo, settings, zone, chargeType);
        return { Zone: zone, UsedQuota: used, RemainingQuota: remaining, TotalQuota: total };
      };
      rows.push(
        { type: "PostPaidQuotaSet", zone, item: await quota("POSTPAID_BY_HOUR") },
        { type: "PrePaidQuotaSet", zone, item: { ...(await quota("PREPAID")), OnceQuota: MAX_INSTANCE_COUNT } },
        { type: "SpotPaidQuotaSet", zone, item: await quota("SPOTPAID") },
      );
    }
    rows.push({ type: "ImageQuotaSet", item: IMAGE_QUOTA }, { type: "DisasterRecoverGroupQuotaSet", item: DISASTER_RECOVER_GROUP_QUOTA });

    const allZones = zones.map((z) => z.zone);
    const kept = applyFilters(rows, req.Filters, { zone: (row) => row.zone ?? allZones, "quota-type": (row) => row.type });
    const set = <T extends QuotaItem>(type: QuotaType) => kept.filter((row) => row.type === type).map((row) => row.item as T);
    return {
      AppId: ctx.account.appId,
      AccountQuotaOverview: {
        Region: ctx.region,
        AccountQuota: {
          PostPaidQuotaSet: set<M.PostPaidQuota>("PostPaidQuotaSet"),
          PrePaidQuotaSet: set<M.PrePaidQuota>("PrePaidQuotaSet"),
          SpotPaidQuotaSet: set<M.SpotPaidQuota>("SpotPaidQuotaSet"),
          ImageQuotaSet: set<M.ImageQuota>("ImageQuotaSet"),
          DisasterRecoverGroupQuotaSet: set<M.DisasterRecoverGroupQuota>("DisasterRecoverGroupQuotaSet"),
        },
      },
    };
  };
}
