// Stored instances, per account and region. Columns hold what is filtered, sorted or changed often;
// `doc` holds the rest of the Instance object as the API spells it. Transitions are applied lazily:
// settle() moves every instance whose pending transition is due, so no timers are needed and several
// processes sharing one database agree.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import type { Page } from "../paging.js";
import { RawJson } from "../../../protocol/raw-json.js";
import { DEFAULT_LISTING_PLAN, Listing, type Condition, type ListingPlan, type ListingTable } from "../../../store/listing.js";
import { oneOf, type Sql } from "../../../store/sql.js";
import { newResourceId } from "../ids.js";
import { DELETED } from "./states.js";
import { newViewVersion, viewCacheOf } from "./view-cache.js";

/** The official types mark fields optional; the service answers null for some of them (RenewFlag of a postpaid instance). */
type Nullable<T> = { [K in keyof T]?: T[K] | null };

/**
 * The part of an Instance kept in `doc`: everything the columns below do not hold, plus the instance's
 * UserData, which DescribeInstancesAttributes answers and the Instance object never shows.
 */
export type InstanceDoc = Nullable<Omit<
  M.Instance,
  | "InstanceId" | "Uuid" | "InstanceType" | "InstanceName" | "InstanceChargeType" | "ImageId" | "InstanceState"
  | "LatestOperation" | "LatestOperationState" | "LatestOperationRequestId" | "PrivateIpAddresses" | "PublicIpAddresses"
  | "CreatedTime" | "ExpiredTime"
>> & { UserData?: string };

export interface InstanceRecord {
  instanceId: string;
  uuid: string;
  zone: string;
  projectId: number;
  instanceType: string;
  instanceName: string;
  chargeType: string;
  imageId: string;
  state: string;
  pendingState: string | null;
  pendingAt: number | null;
  latestOperation: string | null;
  latestOperationState: string | null;
  latestOperationRequestId: string | null;
  vpcId: string;
  subnetId: string;
  privateIp: string;
  publicIp: string | null;
  createdAt: number;
  expiredAt: number | null;
  doc: InstanceDoc;
}

interface InstanceRow {
  instance_id: string;
  uuid: string;
  zone: string;
  project_id: number;
  instance_type: string;
  instance_name: string;
  charge_type: string;
  image_id: string;
  state: string;
  pending_state: string | null;
  pending_at: number | null;
  latest_operation: string | null;
  latest_operation_state: string | null;
  latest_operation_request_id: string | null;
  vpc_id: string;
  subnet_id: string;
  private_ip: string;
  public_ip: string | null;
  created_at: number;
  expired_at: number | null;
  doc: string;
}

const COLUMNS: ReadonlyArray<[keyof InstanceRow, keyof InstanceRecord]> = [
  ["instance_id", "instanceId"], ["uuid", "uuid"], ["zone", "zone"], ["project_id", "projectId"],
  ["instance_type", "instanceType"], ["instance_name", "instanceName"], ["charge_type", "chargeType"],
  ["image_id", "imageId"], ["state", "state"], ["pending_state", "pendingState"], ["pending_at", "pendingAt"],
  ["latest_operation", "latestOperation"], ["latest_operation_state", "latestOperationState"],
  ["latest_operation_request_id", "latestOperationRequestId"], ["vpc_id", "vpcId"], ["subnet_id", "subnetId"],
  ["private_ip", "privateIp"], ["public_ip", "publicIp"], ["created_at", "createdAt"], ["expired_at", "expiredAt"],
];

function fromRow(row: InstanceRow): InstanceRecord {
  // An object literal (not a loop over COLUMNS) keeps records in one hidden class: listing is hot.
  return {
    instanceId: row.instance_id,
    uuid: row.uuid,
    zone: row.zone,
    projectId: row.project_id,
    instanceType: row.instance_type,
    instanceName: row.instance_name,
    chargeType: row.charge_type,
    imageId: row.image_id,
    state: row.state,
    pendingState: row.pending_state,
    pendingAt: row.pending_at,
    latestOperation: row.latest_operation,
    latestOperationState: row.latest_operation_state,
    latestOperationRequestId: row.latest_operation_request_id,
    vpcId: row.vpc_id,
    subnetId: row.subnet_id,
    privateIp: row.private_ip,
    publicIp: row.public_ip,
    createdAt: row.created_at,
    expiredAt: row.expired_at,
    doc: JSON.parse(row.doc) as InstanceDoc,
  };
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The Instance object as DescribeInstances returns it. */
export function toApiInstance(r: InstanceRecord): M.Instance {
  // Object.assign, not `{ ...doc, more }`: a spread followed by many more keys took V8 over 100 µs per
  // instance, most of the cost of a DescribeInstances page.
  return Object.assign({}, r.doc, {
    // Kept for DescribeInstancesAttributes only; undefined is left out of the JSON answer.
    UserData: undefined,
    Placement: Object.assign({}, r.doc.Placement, { Zone: r.zone, ProjectId: r.projectId }),
    InstanceId: r.instanceId,
    Uuid: r.uuid,
    InstanceType: r.instanceType,
    InstanceName: r.instanceName,
    InstanceChargeType: r.chargeType,
    ImageId: r.imageId,
    InstanceState: r.state,
    LatestOperation: r.latestOperation,
    LatestOperationState: r.latestOperationState,
    LatestOperationRequestId: r.latestOperationRequestId,
    VirtualPrivateCloud: Object.assign({}, r.doc.VirtualPrivateCloud, { VpcId: r.vpcId, SubnetId: r.subnetId }),
    PrivateIpAddresses: [r.privateIp],
    PublicIpAddresses: r.publicIp === null ? null : [r.publicIp],
    CreatedTime: isoTime(r.createdAt),
    ExpiredTime: r.expiredAt === null ? null : isoTime(r.expiredAt),
  }) as M.Instance;
}

/**
 * The stored view: the answer's Instance object less InstanceState and LatestOperationState, the only
 * fields settle() changes in SQL. Every other change goes through insert() or save(), which rewrite it.
 */
function viewOf(r: InstanceRecord): Buffer {
  return Buffer.from(JSON.stringify(Object.assign(toApiInstance(r), { InstanceState: undefined, LatestOperationState: undefined })), "utf8");
}

const OPEN_BRACKET = Buffer.from("[");
const CLOSE_BRACKET = Buffer.from("]");

export type { Condition };

/** The facet columns: cvm_instance_facets counts instances per combination of them (schema.ts, cvm/3). */
export type FacetColumn = "zone" | "state" | "charge_type" | "project_id" | "vpc_id" | "subnet_id";

const INSTANCE_LISTING: ListingTable = {
  table: "cvm_instances",
  listingIndex: "cvm_instances_listing",
  listed: ["seq", "created_at", "view_version", "state", "latest_operation_state"],
  facetTable: "cvm_instance_facets",
  countTable: "cvm_instance_counts",
  // Charge types are too few to deserve an index; zones are found through the quota index, subnets through
  // the private IP index.
  facetIndexes: {
    zone: "cvm_instances_quota",
    state: "cvm_instances_state",
    vpc_id: "cvm_instances_vpc",
    project_id: "cvm_instances_project",
    subnet_id: "cvm_instances_private_ip",
  } satisfies Partial<Record<FacetColumn, string>>,
};

/** What a listing reads of each row: enough to order it, find its cached view, and show its settled fields. */
type ListedInstance = [seq: number, createdAt: number, version: number, state: string, latestOperationState: string | null];

export class InstanceRepository {
  constructor(
    private readonly sql: Sql,
    readonly account: string,
    readonly region: string,
    plan: ListingPlan = DEFAULT_LISTING_PLAN,
  ) {
    this.listing = new Listing(sql, INSTANCE_LISTING, plan);
  }

  get dialect(): Sql["dialect"] {
    return this.sql.dialect;
  }

  private readonly listing: Listing;

  /** Applies every transition that is due by `now`. */
  async settle(now: number): Promise<void> {
    // Looked for first: a write statement takes the write lock even when it changes nothing, and a read
    // with nothing due should take none (the transaction is deferred).
    const due = await this.sql.value("SELECT 1 FROM cvm_instances WHERE account_uin = ? AND region = ? AND pending_at IS NOT NULL AND pending_at <= ? LIMIT 1", [
      this.account,
      this.region,
      now,
    ]);
    if (due === undefined) return;
    const gone = await this.sql.column<number>(
      `DELETE FROM cvm_instances WHERE account_uin = ? AND region = ? AND pending_at IS NOT NULL AND pending_at <= ? AND pending_state = '${DELETED}' RETURNING seq`,
      [this.account, this.region, now],
    );
    if (gone.length > 0) {
      const cache = viewCacheOf(this.sql.database);
      for (const seq of gone) cache.forget(seq);
    }
    await this.sql.run(
      `UPDATE cvm_instances SET state = pending_state, pending_state = NULL, pending_at = NULL,
              latest_operation_state = CASE WHEN latest_operation_state = 'OPERATING' THEN 'SUCCESS' ELSE latest_operation_state END
        WHERE account_uin = ? AND region = ? AND pending_at IS NOT NULL AND pending_at <= ?`,
      [this.account, this.region, now],
    );
  }

  async insert(r: InstanceRecord): Promise<void> {
    const names = ["account_uin", "region", ...COLUMNS.map(([c]) => c), "doc", "view", "view_version"];
    await this.sql.run(`INSERT INTO cvm_instances (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`, [
      this.account,
      this.region,
      ...COLUMNS.map(([, f]) => r[f]),
      JSON.stringify(r.doc),
      viewOf(r),
      newViewVersion(),
    ]);
  }

  /** Writes back every column and the doc of a record read earlier in the same transaction. */
  async save(r: InstanceRecord): Promise<void> {
    await this.sql.run(
      `UPDATE cvm_instances SET ${COLUMNS.map(([c]) => `${c} = ?`).join(", ")}, doc = ?, view = ?, view_version = ? WHERE account_uin = ? AND region = ? AND instance_id = ?`,
      [...COLUMNS.map(([, f]) => r[f]), JSON.stringify(r.doc), viewOf(r), newViewVersion(), this.account, this.region, r.instanceId],
    );
  }

  async delete(instanceId: string): Promise<void> {
    const seq = await this.sql.value<number>("DELETE FROM cvm_instances WHERE account_uin = ? AND region = ? AND instance_id = ? RETURNING seq", [
      this.account,
      this.region,
      instanceId,
    ]);
    if (seq !== undefined) viewCacheOf(this.sql.database).forget(seq);
  }

  /**
   * A new instance id that no instance of the account in the region has, nor any id in `drawn` (which it
   * joins). Ids are 8 random characters: among a million instances a drawn id is sometimes taken, and is
   * then drawn again (an insert with it failed on the unique index, an InternalError).
   */
  async freshInstanceId(drawn: Set<string>, draw: () => string = () => newResourceId("ins")): Promise<string> {
    for (;;) {
      const id = draw();
      if (drawn.has(id)) continue;
      const taken = await this.sql.value("SELECT 1 FROM cvm_instances WHERE account_uin = ? AND region = ? AND instance_id = ?", [this.account, this.region, id]);
      if (taken === undefined) {
        drawn.add(id);
        return id;
      }
    }
  }

  /** The records for these ids, in the order given; ids that do not exist are absent from the map. */
  async findMany(ids: readonly string[]): Promise<Map<string, InstanceRecord>> {
    const byId = oneOf(this.sql.dialect, "instance_id", ids, "text");
    const rows = await this.sql.all<InstanceRow>(`SELECT * FROM cvm_instances WHERE account_uin = ? AND region = ? AND ${byId.sql}`, [this.account, this.region, ...byId.params]);
    return new Map(rows.map((row) => [row.instance_id, fromRow(row)]));
  }

  /**
   * A page of Instance objects (in creation order) as one JSON array, ready for the answer. The page query
   * reads no view: each instance's finished JSON comes from the view cache, and only the rows it does not
   * hold in their current version have their stored view read (in the same transaction).
   */
  async listViews(conditions: readonly Condition[], page: Page): Promise<{ total: number; instances: RawJson }> {
    const { total, rows } = await this.listing.page<ListedInstance>(this, conditions, page);
    const cache = viewCacheOf(this.sql.database);
    const jsons = rows.map(([seq, , version, state, latestOperationState]) => cache.get(seq, version, state, latestOperationState));
    const missing = rows.filter((_, i) => jsons[i] === undefined).map(([seq]) => seq);
    if (missing.length > 0) {
      const bySeq = oneOf(this.sql.dialect, "seq", missing, "bigint");
      const views = new Map(await this.sql.tuples<[number, Buffer]>(`SELECT seq, view FROM cvm_instances WHERE ${bySeq.sql}`, bySeq.params));
      rows.forEach(([seq, , version, state, latestOperationState], i) => {
        jsons[i] ??= cache.put(seq, version, state, latestOperationState, views.get(seq)!);
      });
    }
    // Each cached instance starts with its separating comma; the first one's is left out.
    const parts = [OPEN_BRACKET, ...jsons.map((json, i) => (i === 0 ? json!.subarray(1) : json!)), CLOSE_BRACKET];
    return { total, instances: new RawJson(parts) };
  }

  async listStates(conditions: readonly Condition[], page: Page): Promise<{ total: number; states: Array<{ InstanceId: string; InstanceState: string }> }> {
    const { total, rows } = await this.listing.page<ListedInstance>(this, conditions, page);
    if (rows.length === 0) return { total, states: [] };
    const bySeq = oneOf(this.sql.dialect, "seq", rows.map(([seq]) => seq), "bigint");
    const ids = new Map(await this.sql.tuples<[number, string]>(`SELECT seq, instance_id FROM cvm_instances WHERE ${bySeq.sql}`, bySeq.params));
    return { total, states: rows.map(([seq, , , state]) => ({ InstanceId: ids.get(seq)!, InstanceState: state })) };
  }

  /** How many instances the account has in the region, from the counts the triggers keep. */
  count(): Promise<number> {
    return this.listing.count(this);
  }

  /** How many instances of a charge type the account has in a zone (for quotas). */
  async countInZone(zone: string, chargeType: string): Promise<number> {
    // From the facets the triggers keep (every instance is in one): a sum of a few rows, where counting the
    // instances took a time that grew with them.
    return (await this.sql.value<number>("SELECT COALESCE(SUM(n), 0) FROM cvm_instance_facets WHERE account_uin = ? AND region = ? AND zone = ? AND charge_type = ?", [
      this.account,
      this.region,
      zone,
      chargeType,
    ]))!;
  }

  async findClientToken(token: string): Promise<string[] | undefined> {
    const ids = await this.sql.value<string>("SELECT instance_ids FROM cvm_client_tokens WHERE account_uin = ? AND region = ? AND client_token = ?", [
      this.account,
      this.region,
      token,
    ]);
    return ids === undefined ? undefined : (JSON.parse(ids) as string[]);
  }

  async saveClientToken(token: string, instanceIds: readonly string[], now: number): Promise<void> {
    await this.sql.run("INSERT INTO cvm_client_tokens (account_uin, region, client_token, instance_ids, created_at) VALUES (?, ?, ?, ?, ?)", [
      this.account,
      this.region,
      token,
      JSON.stringify(instanceIds),
      now,
    ]);
  }
}
