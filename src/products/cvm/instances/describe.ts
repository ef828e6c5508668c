// DescribeInstances and DescribeInstancesStatus. Filters become SQL conditions, so the cost of a page
// depends on the page, not on how many instances the account holds.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { TypedHandler } from "../../../gateway/product.js";
import { apiError } from "../../../protocol/errors.js";
import { CATALOG } from "../catalog/regions.js";
import { checkFilters } from "../filters.js";
import { checkInstanceIds } from "../ids.js";
import { ipToNumber } from "../network/ipv4.js";
import { readPage } from "../paging.js";
import { openInstances } from "./open.js";
import type { Condition } from "./repository.js";

type Filter = M.Filter;

function valueCheck(re: RegExp, code: string, what: string) {
  return (value: string, where: string): void => {
    if (!re.test(value)) throw apiError(code, `The ${what} \`${value.slice(0, 64)}\` in \`${where}\` is malformed.`);
  };
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}

function columnIn(column: string) {
  return (values: readonly string[]): Condition => ({ sql: `${column} IN (${placeholders(values)})`, params: [...values] });
}

function docListContains(path: string) {
  return (values: readonly string[]): Condition => ({
    sql: `EXISTS (SELECT 1 FROM json_each(doc, '${path}') WHERE value IN (${placeholders(values)}))`,
    params: [...values],
  });
}

function docFieldIn(path: string) {
  return (values: readonly string[]): Condition => ({ sql: `json_extract(doc, '${path}') IN (${placeholders(values)})`, params: [...values] });
}

/** `2023-06-01 00:00:00` (UTC) → milliseconds. */
function parseFilterTime(value: string, where: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw apiError("InvalidParameterValue.InvalidTimeFormat", `The time \`${value.slice(0, 64)}\` in \`${where}\` must look like 2023-06-01 00:00:00.`);
  }
  return ms;
}

interface FilterRule {
  check?: (value: string, where: string) => void;
  condition: (values: readonly string[], where: string) => Condition;
}

const IPV6_RE = /^[0-9a-fA-F:.]{2,45}$/;

const FILTER_RULES: Record<string, FilterRule> = {
  "zone": { condition: columnIn("zone") },
  "project-id": { check: valueCheck(/^\d{1,10}$/, "InvalidParameterValue", "project id"), condition: (v) => columnIn("project_id")(v.map(Number) as unknown as string[]) },
  "host-id": { check: valueCheck(/^host-[a-z0-9]{8}$/, "InvalidHostId.Malformed", "dedicated host id"), condition: docFieldIn("$.Placement.HostId") },
  "dedicated-cluster-id": { condition: docFieldIn("$.DedicatedClusterId") },
  "vpc-id": { check: valueCheck(/^vpc-[a-z0-9]{8}$/, "InvalidParameterValue.VpcIdMalformed", "VPC id"), condition: columnIn("vpc_id") },
  "subnet-id": { check: valueCheck(/^subnet-[a-z0-9]{8}$/, "InvalidParameterValue.SubnetIdMalformed", "subnet id"), condition: columnIn("subnet_id") },
  "instance-id": { check: valueCheck(/^ins-[a-z0-9]{8}$/, "InvalidParameterValue.InstanceIdMalformed", "instance id"), condition: columnIn("instance_id") },
  "uuid": { check: valueCheck(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "InvalidParameterValue.UuidMalformed", "UUID"), condition: (v) => columnIn("uuid")(v.map((u) => u.toLowerCase())) },
  "security-group-id": { check: valueCheck(/^sg-[a-z0-9]{8}$/, "InvalidSgId.Malformed", "security group id"), condition: docListContains("$.SecurityGroupIds") },
  // A substring match, ASCII case-insensitive. instr(), not LIKE: SQLite refuses LIKE patterns over
  // 50,000 bytes, well within the 64 KiB a parameter string may have, and instr() needs no escaping.
  "instance-name": {
    condition: (values) => ({ sql: values.map(() => "instr(lower(instance_name), lower(?)) > 0").join(" OR "), params: [...values] }),
  },
  "instance-charge-type": { condition: columnIn("charge_type") },
  "instance-state": { condition: columnIn("state") },
  "private-ip-address": { check: (v, w) => { if (ipToNumber(v) === undefined) throw apiError("InvalidParameterValue.IPAddressMalformed", `The IP address \`${v.slice(0, 64)}\` in \`${w}\` is malformed.`); }, condition: columnIn("private_ip") },
  "public-ip-address": { check: (v, w) => { if (ipToNumber(v) === undefined) throw apiError("InvalidParameterValue.IPAddressMalformed", `The IP address \`${v.slice(0, 64)}\` in \`${w}\` is malformed.`); }, condition: columnIn("public_ip") },
  "ipv6-address": { check: valueCheck(IPV6_RE, "InvalidParameterValue.IPv6AddressMalformed", "IPv6 address"), condition: docListContains("$.IPv6Addresses") },
  "tag-key": {
    condition: (values) => ({ sql: `EXISTS (SELECT 1 FROM json_each(doc, '$.Tags') WHERE json_extract(value, '$.Key') IN (${placeholders(values)}))`, params: [...values] }),
  },
  "tag-value": {
    condition: (values) => ({ sql: `EXISTS (SELECT 1 FROM json_each(doc, '$.Tags') WHERE json_extract(value, '$.Value') IN (${placeholders(values)}))`, params: [...values] }),
  },
  "creation-start-time": {
    condition: (values, where) => ({ sql: values.map(() => "created_at >= ?").join(" OR "), params: values.map((v, i) => parseFilterTime(v, `${where}.${i}`)) }),
  },
  "creation-end-time": {
    condition: (values, where) => ({ sql: values.map(() => "created_at <= ?").join(" OR "), params: values.map((v, i) => parseFilterTime(v, `${where}.${i}`)) }),
  },
};

function tagPairCondition(key: string, values: readonly string[]): Condition {
  return {
    sql: `EXISTS (SELECT 1 FROM json_each(doc, '$.Tags') WHERE json_extract(value, '$.Key') = ? AND json_extract(value, '$.Value') IN (${placeholders(values)}))`,
    params: [key, ...values],
  };
}

function conditionsFor(filters: readonly Filter[], region: string): Condition[] {
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
      if (foreign !== undefined) throw apiError("InvalidZone.MismatchRegion", `The zone \`${foreign.slice(0, 64)}\` in \`${where}\` is not a zone of region ${region}.`);
    }
    return rule.condition(filter.Values, where);
  });
}

export const describeInstances: TypedHandler<M.DescribeInstancesRequest, M.DescribeInstancesResponse> = (ctx, req) => {
  if (req.InstanceIds !== undefined && req.Filters !== undefined) {
    throw apiError("InvalidParameter", "`InstanceIds` and `Filters` cannot be given together.");
  }
  if (req.InstanceIds) checkInstanceIds(req.InstanceIds, "InstanceIds");
  const page = readPage(req);
  const conditions = req.InstanceIds ? [columnIn("instance_id")(req.InstanceIds)] : conditionsFor(req.Filters ?? [], ctx.region);
  const { total, instances } = openInstances(ctx).listViews(conditions, page);
  // The stored views are the official Instance objects, serialised when the instance last changed.
  return { TotalCount: total, InstanceSet: instances as unknown as M.Instance[] };
};

export const describeInstancesStatus: TypedHandler<M.DescribeInstancesStatusRequest, M.DescribeInstancesStatusResponse> = (ctx, req) => {
  if (req.InstanceIds) checkInstanceIds(req.InstanceIds, "InstanceIds");
  const page = readPage(req);
  const conditions = req.InstanceIds ? [columnIn("instance_id")(req.InstanceIds)] : [];
  const { total, states } = openInstances(ctx).listStates(conditions, page);
  return { TotalCount: total, InstanceStatusSet: states };
};
