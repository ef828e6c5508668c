// DescribeInstances and DescribeInstancesStatus. Filters become SQL conditions, so the cost of a page
// depends on the page, not on how many instances the account holds.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { malformedIdText } from "../../../protocol/messages.js";
import { apiError, type LocalizedText } from "../../../protocol/errors.js";
import { CATALOG } from "../catalog/regions.js";
import { checkFilters } from "../filters.js";
import { checkInstanceIds } from "../ids.js";
import { ipToNumber } from "../network/ipv4.js";
import { readPage } from "../paging.js";
import { dedicatedClusterCondition, hostIdCondition, instanceNameCondition, ipv6AddressCondition, securityGroupCondition, tagKeyCondition, tagPairCondition, tagValueCondition } from "./indexed-filters.js";
import { malformed, malformedIp, zoneNotInRegion } from "./messages.js";
import { openInstances } from "./open.js";
import type { Dialect } from "../../../store/sql.js";
import type { Condition, FacetColumn } from "./repository.js";

type Filter = M.Filter;

function valueCheck(re: RegExp, code: string, what: LocalizedText, expected: LocalizedText) {
  return (value: string, where: string): void => {
    if (!re.test(value)) throw apiError(code, malformed(what, value.slice(0, 64), where, expected));
  };
}

function idCheck(re: RegExp, code: string, kind: LocalizedText, prefix: string) {
  return (value: string, where: string): void => {
    if (!re.test(value)) throw apiError(code, malformedIdText(kind, value, where, prefix));
  };
}

function ipCheck(value: string, where: string): void {
  if (ipToNumber(value) === undefined) throw apiError("InvalidParameterValue.IPAddressMalformed", malformedIp(value.slice(0, 64), where));
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}

function columnIn(column: string) {
  return (values: readonly string[]): Condition => ({ sql: `${column} IN (${placeholders(values)})`, params: [...values] });
}

/** columnIn for a column that cvm_instance_facets also has (repository.ts: counted from the facets). */
function facetIn(column: FacetColumn) {
  return (values: readonly (string | number)[]): Condition => ({ sql: `${column} IN (${placeholders(values)})`, params: [...values], facet: column });
}

/** `2023-06-01 00:00:00` (UTC) → milliseconds. */
function parseFilterTime(value: string, where: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw apiError("InvalidParameterValue.InvalidTimeFormat", {
      en: `The time \`${value.slice(0, 64)}\` in \`${where}\` must look like 2023-06-01 00:00:00.`,
      zh: `参数\`${where}\`中的时间\`${value.slice(0, 64)}\`格式错误，应形如 2023-06-01 00:00:00。`,
    });
  }
  return ms;
}

interface FilterRule {
  check?: (value: string, where: string) => void;
  condition: (values: readonly string[], where: string, dialect: Dialect) => Condition;
}

const IPV6_RE = /^[0-9a-fA-F:.]{2,45}$/;
const UUID_FORMAT: LocalizedText = { en: "32 hexadecimal digits grouped 8-4-4-4-12", zh: "按 8-4-4-4-12 分组的 32 位十六进制数" };

const FILTER_RULES: Record<string, FilterRule> = {
  "zone": { condition: facetIn("zone") },
  "project-id": { check: valueCheck(/^\d{1,10}$/, "InvalidParameterValue", { en: "project id", zh: "项目 ID" }, { en: "a non-negative integer of at most 10 digits", zh: "不超过 10 位的非负整数" }), condition: (v) => facetIn("project_id")(v.map(Number)) },
  "host-id": { check: idCheck(/^host-[a-z0-9]{8}$/, "InvalidHostId.Malformed", { en: "dedicated host id", zh: "专用宿主机 ID" }, "host"), condition: (v, _, dialect) => hostIdCondition(v, dialect) },
  "dedicated-cluster-id": { condition: (v, _, dialect) => dedicatedClusterCondition(v, dialect) },
  "vpc-id": { check: idCheck(/^vpc-[a-z0-9]{8}$/, "InvalidParameterValue.VpcIdMalformed", { en: "VPC id", zh: "私有网络 ID" }, "vpc"), condition: facetIn("vpc_id") },
  "subnet-id": { check: idCheck(/^subnet-[a-z0-9]{8}$/, "InvalidParameterValue.SubnetIdMalformed", { en: "subnet id", zh: "子网 ID" }, "subnet"), condition: facetIn("subnet_id") },
  "instance-id": { check: idCheck(/^ins-[a-z0-9]{8}$/, "InvalidParameterValue.InstanceIdMalformed", { en: "instance id", zh: "实例 ID" }, "ins"), condition: columnIn("instance_id") },
  "uuid": { check: valueCheck(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "InvalidParameterValue.UuidMalformed", { en: "UUID", zh: "UUID" }, UUID_FORMAT), condition: (v) => columnIn("uuid")(v.map((u) => u.toLowerCase())) },
  "security-group-id": { check: idCheck(/^sg-[a-z0-9]{8}$/, "InvalidSgId.Malformed", { en: "security group id", zh: "安全组 ID" }, "sg"), condition: securityGroupCondition },
  // A substring match, ASCII case-insensitive, through the trigram index of names (indexed-filters.ts).
  "instance-name": { condition: (v, _, dialect) => instanceNameCondition(v, dialect) },
  "instance-charge-type": { condition: facetIn("charge_type") },
  "instance-state": { condition: facetIn("state") },
  "private-ip-address": { check: ipCheck, condition: columnIn("private_ip") },
  "public-ip-address": { check: ipCheck, condition: columnIn("public_ip") },
  "ipv6-address": { check: valueCheck(IPV6_RE, "InvalidParameterValue.IPv6AddressMalformed", { en: "IPv6 address", zh: "IPv6 地址" }, { en: "an IPv6 address such as 2402:4e00::1", zh: "形如 2402:4e00::1 的 IPv6 地址" }), condition: ipv6AddressCondition },
  "tag-key": { condition: tagKeyCondition },
  "tag-value": { condition: tagValueCondition },
  "creation-start-time": {
    condition: (values, where) => ({ sql: values.map(() => "created_at >= ?").join(" OR "), params: values.map((v, i) => parseFilterTime(v, `${where}.${i}`)) }),
  },
  "creation-end-time": {
    condition: (values, where) => ({ sql: values.map(() => "created_at <= ?").join(" OR "), params: values.map((v, i) => parseFilterTime(v, `${where}.${i}`)) }),
  },
};

export function conditionsFor(filters: readonly Filter[], region: string, dialect: Dialect): Condition[] {
  checkFilters(filters, { names: Object.keys(FILTER_RULES), allowTagKey: true });
  return filters.flatMap((filter, i) => {
    // As in every filtered Describe (applyFilters): a filter with no values constrains nothing.
    if (filter.Values.length === 0) return [];
    const where = `Filters.${i}.Values`;
    if (filter.Name.startsWith("tag:")) return tagPairCondition(filter.Name.slice(4), filter.Values);
    const rule = FILTER_RULES[filter.Name]!;
    filter.Values.forEach((v, j) => rule.check?.(v, `${where}.${j}`));
    if (filter.Name === "zone") {
      const foreign = filter.Values.find((z) => !CATALOG.get(region)?.zones.some((known) => known.zone === z));
      if (foreign !== undefined) throw apiError("InvalidZone.MismatchRegion", zoneNotInRegion(foreign.slice(0, 64), `${where}.${filter.Values.indexOf(foreign)}`, region));
    }
    return rule.condition(filter.Values, where, dialect);
  });
}

export const describeInstances: TypedHandler<M.DescribeInstancesRequest, M.DescribeInstancesResponse> = async (ctx, req) => {
  if (req.InstanceIds !== undefined && req.Filters !== undefined) {
    throw apiError("InvalidParameter", {
      en: "`InstanceIds` and `Filters` cannot be given together: give one of them.",
      zh: "参数`InstanceIds`和`Filters`不能同时指定，请只指定其中一个。",
    });
  }
  if (req.InstanceIds) checkInstanceIds(req.InstanceIds, "InstanceIds");
  const page = readPage(req);
  const conditions = req.InstanceIds ? [columnIn("instance_id")(req.InstanceIds)] : conditionsFor(req.Filters ?? [], ctx.region, ctx.sql.dialect);
  const { total, instances } = await (await openInstances(ctx)).listViews(conditions, page);
  // The stored views are the official Instance objects, serialised when the instance last changed.
  return { TotalCount: total, InstanceSet: instances as unknown as M.Instance[] };
};

export const describeInstancesStatus: TypedHandler<M.DescribeInstancesStatusRequest, M.DescribeInstancesStatusResponse> = async (ctx, req) => {
  if (req.InstanceIds) checkInstanceIds(req.InstanceIds, "InstanceIds");
  const page = readPage(req);
  const conditions = req.InstanceIds ? [columnIn("instance_id")(req.InstanceIds)] : [];
  const { total, states } = await (await openInstances(ctx)).listStates(conditions, page);
  return { TotalCount: total, InstanceStatusSet: states };
};
