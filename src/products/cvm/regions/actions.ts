// DescribeRegions and DescribeZones, answered from the catalog.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { CATALOG, regionName, zoneName } from "../catalog/regions.js";

export const describeRegions: TypedHandler<M.DescribeRegionsRequest, M.DescribeRegionsResponse> = (ctx) => {
  const regionSet = [...CATALOG.values()].map((r) => ({
    Region: r.region,
    RegionName: regionName(r, ctx.language),
    RegionState: "AVAILABLE",
  }));
  return { TotalCount: regionSet.length, RegionSet: regionSet };
};

export const describeZones: TypedHandler<M.DescribeZonesRequest, M.DescribeZonesResponse> = (ctx) => {
  const zones = CATALOG.get(ctx.region)?.zones ?? [];
  const zoneSet = zones.map((z) => ({
    Zone: z.zone,
    ZoneName: zoneName(z, ctx.language),
    ZoneId: z.zoneId,
    ZoneState: z.available ? "AVAILABLE" : "UNAVAILABLE",
  }));
  return { TotalCount: zoneSet.length, ZoneSet: zoneSet };
};
