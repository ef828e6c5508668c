// The store that the filtered DescribeInstances cases and the mixed load of bench/bench.ts read, from 1,000 to
// 1,000,000 instances. RunInstances cannot make that many here (each zone's default subnet is a /20, about
// 16,000 addresses over the four zones, and it would take far too long), so the store is made in two steps:
//
// 1. A few template instances through RunInstances (and StopInstances for some), so that every column and
//    every JSON document is exactly what the server writes (bench.ts does this through the API).
// 2. With the server stopped, each template row is cloned in SQL into the server's SQLite file until the store
//    holds the size asked for. Only `INSERT INTO cvm_instances (...) SELECT ... FROM cvm_instances` of full
//    rows is used, never a write to another table: whatever the schema derives from cvm_instances (counts,
//    facets, name and tag indexes) is kept by its own triggers, so the seeding stays right when the schema
//    changes. Every column is copied from the template generically (PRAGMA table_info) except the few that
//    must differ per instance (CLONE_COLUMNS), and the same fields are rewritten inside the stored JSON.
//
// Instance i (templates are 0 .. TEMPLATES-1, clones follow) is made from template i % TEMPLATES, so it has
// that template's zone and state, and gets the name and tags of its index: the filters the cases send match
// a number of instances known in advance (SeededStore.counts).
import { randomInt, randomUUID } from "node:crypto";
import { join } from "node:path";
import { newResourceId } from "../src/products/cvm/ids.js";
import { DATABASE_FILE, openSqlite, type SqliteDatabase } from "../src/store/sqlite.js";
import { IMAGE_ID, INSTANCE_TYPE, ZONES } from "../test/crash/harness.js";
import { isObject, progress, type Json, type JsonObject } from "./common.js";

// ---------------------------------------------------------------------------------------------------
// What the store holds

/** Template instances made through RunInstances; the rest are cloned from them. A multiple of the zones. */
export const TEMPLATES = 32;
/** A fragment found in the names of NAME_MATCHES instances (or all of them below that size), spread evenly. */
export const NAME_FRAGMENT = "qzxkv";
export const NAME_MATCHES = 200;
/** Every instance has the tags env=bench and team=team-NN, NN = its index modulo TEAMS. */
export const TAG_KEY = "team";
const TEAMS = 100;
/** The tag value the tag case asks for, and the share of the instances that have it. */
export const TAG_VALUE = teamOf(7);
export const TAG_SHARE = 1 / TEAMS;
/** The states the store holds: a quarter of the templates (two per zone) are stopped. */
export const RUNNING = "RUNNING";
export const STOPPED = "STOPPED";

function teamOf(n: number): string {
  return `team-${String(n % TEAMS).padStart(2, "0")}`;
}

/** Whether instance `index` of a store of `size` has NAME_FRAGMENT in its name: exactly min(NAME_MATCHES, size) do. */
function nameMatches(index: number, size: number): boolean {
  const matching = Math.min(NAME_MATCHES, size);
  return index === 0 || Math.floor((index * matching) / size) !== Math.floor(((index - 1) * matching) / size);
}

/** The name of instance `index` (unique; no other name holds NAME_FRAGMENT, whatever the case). */
export function instanceName(index: number, size: number): string {
  return `bench-${String(index).padStart(7, "0")}${nameMatches(index, size) ? `-${NAME_FRAGMENT}` : ""}`;
}

export function instanceTags(index: number): Array<{ Key: string; Value: string }> {
  return [
    { Key: "env", Value: "bench" },
    { Key: TAG_KEY, Value: teamOf(index) },
  ];
}

export interface TemplatePlan {
  index: number;
  zone: string;
  stopped: boolean;
  /** The RunInstances body (one instance, named and tagged as instance `index`). */
  body: Buffer;
}

/** The templates to make through RunInstances for a store of `size` instances. */
export function templatePlans(size: number): TemplatePlan[] {
  return Array.from({ length: Math.min(TEMPLATES, size) }, (_, index) => {
    const zone = ZONES[index % ZONES.length]!;
    const body = Buffer.from(
      JSON.stringify({
        Placement: { Zone: zone },
        ImageId: IMAGE_ID,
        InstanceType: INSTANCE_TYPE,
        InstanceCount: 1,
        InstanceName: instanceName(index, size),
        TagSpecification: [{ ResourceType: "instance", Tags: instanceTags(index) }],
      }),
    );
    return { index, zone, stopped: Math.floor(index / ZONES.length) % 4 === 3, body };
  });
}

// ---------------------------------------------------------------------------------------------------
// Cloning

/**
 * The columns that differ per instance; every other column of a clone is its template's. The state is not
 * among them: it comes with the template chosen, so that latest_operation and the doc's StopChargingMode
 * agree with it as the server wrote them.
 */
const CLONE_COLUMNS = ["seq", "instance_id", "uuid", "private_ip", "public_ip", "instance_name", "created_at", "doc", "view", "view_version"] as const;
type CloneColumn = (typeof CLONE_COLUMNS)[number];
/** Columns known to be right when copied from the template; any other column is named in a warning. */
const SHARED_COLUMNS = new Set([
  "account_uin", "region", "zone", "project_id", "instance_type", "charge_type", "image_id", "state", "pending_state", "pending_at",
  "latest_operation", "latest_operation_state", "latest_operation_request_id", "vpc_id", "subnet_id", "expired_at",
]);
/** Rows per transaction. */
const BATCH = 10_000;
/** Clones per millisecond of created_at: 1,000,000 span 10 s after the templates, all past by the time the server restarts. */
const CLONES_PER_MS = 100;
/**
 * Clones' private addresses come from 10.0.0.0/8, outside the default VPC (172.16.0.0/16, /20 per zone), so
 * they never take an address that RunInstances could hand out in the mixed load; unique in the region, hence
 * in each subnet. Public ones (when the template has one) from 101.32.0.0/12, outside the server's pool.
 */
const CLONE_PRIVATE_BASE = ipv4Number(10, 0, 0, 0);
const CLONE_PUBLIC_BASE = ipv4Number(101, 32, 0, 0);

function ipv4Number(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** The k-th address from `base`, skipping .0 and .255. */
function cloneAddress(base: number, k: number): string {
  const n = base + Math.floor(k / 254) * 256 + 1 + (k % 254);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** CreatedTime as the server writes it (repository.ts isoTime: whole seconds, UTC). Checked against the templates. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The default host name (run.ts defaultHostName) begins with the last two octets of the private address. */
function hostNamePrefix(privateIp: string): string {
  return `VM-${privateIp.split(".").slice(2).join("-")}-`;
}

interface TemplateRow {
  account_uin: string;
  region: string;
  instance_id: string;
  zone: string;
  state: string;
  pending_state: string | null;
  private_ip: string;
  public_ip: string | null;
  created_at: number;
  doc: string;
  view: Buffer;
}

interface Template {
  row: TemplateRow;
  /** Parsed once; each clone overwrites its own fields in place and serialises them again. */
  doc: JsonObject;
  view: JsonObject;
}

export interface SeededStore {
  /** Every instance id, in index order (templates first). */
  ids: string[];
  /** The state of each instance of `ids`. */
  states: string[];
  counts: {
    total: number;
    /** Keyed `zone state`. */
    byZoneAndState: Map<string, number>;
    byState: Map<string, number>;
    nameMatches: number;
    tagMatches: number;
  };
  /** Seconds the SQL cloning took (the templates' RunInstances not included). */
  cloneSeconds: number;
}

export const zoneAndState = (zone: string, state: string): string => `${zone} ${state}`;

function parseObject(text: string, what: string): JsonObject {
  const parsed = JSON.parse(text) as Json;
  if (!isObject(parsed)) throw new Error(`${what} is not a JSON object`);
  return parsed;
}

/** Sets the fields of `values` that `target` already has (so the key order, hence the bytes, stay the server's). */
function overwrite(target: JsonObject, values: JsonObject): void {
  for (const key of Object.keys(values)) if (Object.hasOwn(target, key)) target[key] = values[key]!;
}

/** New disk ids, as RunInstances gives each instance its own. */
function renewDiskIds(target: JsonObject): void {
  const system = target["SystemDisk"];
  if (isObject(system) && typeof system["DiskId"] === "string") system["DiskId"] = newResourceId("disk");
  const data = target["DataDisks"];
  if (Array.isArray(data)) for (const disk of data) if (isObject(disk) && typeof disk["DiskId"] === "string") disk["DiskId"] = newResourceId("disk");
}

function readTemplates(db: SqliteDatabase, templateIds: readonly string[]): Template[] {
  const select = db.prepare<[string], TemplateRow>("SELECT * FROM cvm_instances WHERE instance_id = ?");
  return templateIds.map((id) => {
    const row = select.get(id);
    if (row === undefined) throw new Error(`template instance ${id} is not in the database`);
    if (row.pending_state !== null) throw new Error(`template instance ${id} is still in transition (${row.state} → ${row.pending_state}); it should have settled`);
    const viewText = row.view.toString("utf8");
    const view = parseObject(viewText, `the view of ${id}`);
    // The clones' views are re-serialised: that must give back the server's bytes, and CreatedTime its format.
    if (JSON.stringify(view) !== viewText) throw new Error(`the stored view of ${id} does not survive JSON.parse/stringify unchanged; cloning would alter it`);
    if (view["CreatedTime"] !== isoTime(row.created_at)) throw new Error(`the view of ${id} has CreatedTime ${JSON.stringify(view["CreatedTime"])}, expected ${isoTime(row.created_at)}`);
    return { row, doc: parseObject(row.doc, `the doc of ${id}`), view };
  });
}

/**
 * Clones the templates (ids in index order) in the stopped server's data dir until it holds `size`
 * instances of the account and region the templates are in, and tallies what the filters will match.
 */
export function cloneTemplates(dataDir: string, size: number, templateIds: readonly string[]): SeededStore {
  const started = performance.now();
  const db = openSqlite(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    // As the server opens it (foreign keys, triggers), but without an fsync per transaction: a store that a
    // crash would lose is simply made again. The large cache keeps the indexes' pages in memory while they grow.
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -524288");

    const columns = (db.pragma("table_info(cvm_instances)") as Array<{ name: string }>).map((c) => c.name);
    const missing = CLONE_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) throw new Error(`cvm_instances has no column ${missing.join(", ")}: bench/dataset.ts must learn the new schema`);
    const unknown = columns.filter((c) => !SHARED_COLUMNS.has(c) && !(CLONE_COLUMNS as readonly string[]).includes(c));
    if (unknown.length > 0) progress(`  note: cvm_instances column(s) ${unknown.join(", ")} are copied from the template row unchanged`);
    const stored = db.prepare("SELECT COUNT(*) FROM cvm_instances").pluck().get() as number;
    if (stored !== templateIds.length) throw new Error(`the data dir holds ${stored} instances, expected only the ${templateIds.length} templates`);

    const templates = readTemplates(db, templateIds);
    const ids = templates.map((t) => t.row.instance_id);
    const states = templates.map((t) => t.row.state);
    const byZoneAndState = new Map<string, number>();
    const byState = new Map<string, number>();
    let nameMatchCount = 0;
    let tagMatchCount = 0;
    const tally = (index: number, template: Template): void => {
      const key = zoneAndState(template.row.zone, template.row.state);
      byZoneAndState.set(key, (byZoneAndState.get(key) ?? 0) + 1);
      byState.set(template.row.state, (byState.get(template.row.state) ?? 0) + 1);
      if (nameMatches(index, size)) nameMatchCount++;
      if (teamOf(index) === TAG_VALUE) tagMatchCount++;
    };
    templates.forEach((template, index) => tally(index, template));

    const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    const cloneColumns: ReadonlySet<string> = new Set(CLONE_COLUMNS);
    const insert = db.prepare<Record<CloneColumn | "template_account" | "template_region" | "template_id", string | number | Buffer | null>>(
      `INSERT INTO cvm_instances (${columns.map(quote).join(", ")})
         SELECT ${columns.map((c) => (cloneColumns.has(c) ? `@${c}` : quote(c))).join(", ")}
           FROM cvm_instances WHERE account_uin = @template_account AND region = @template_region AND instance_id = @template_id`,
    );
    const maxSeq = db.prepare("SELECT MAX(seq) FROM cvm_instances").pluck().get() as number;
    const lastCreatedAt = Math.max(...templates.map((t) => t.row.created_at));
    // A view version this run alone uses, as the server's newViewVersion (a random base, then a counter).
    const versionBase = randomInt(2 ** 47);
    const taken = new Set(ids);

    const cloneRange = db.transaction((from: number, to: number) => {
      for (let index = from; index < to; index++) {
        const template = templates[index % templates.length]!;
        const k = index - templates.length;
        let instanceId = newResourceId("ins");
        while (taken.has(instanceId)) instanceId = newResourceId("ins");
        taken.add(instanceId);
        const privateIp = cloneAddress(CLONE_PRIVATE_BASE, k);
        const publicIp = template.row.public_ip === null ? null : cloneAddress(CLONE_PUBLIC_BASE, k);
        const createdAt = lastCreatedAt + 1 + Math.floor(k / CLONES_PER_MS);
        const uuid = randomUUID();
        const name = instanceName(index, size);
        const templateHostName = hostNamePrefix(template.row.private_ip);
        const fields: JsonObject = {
          InstanceId: instanceId,
          Uuid: uuid,
          InstanceName: name,
          PrivateIpAddresses: [privateIp],
          PublicIpAddresses: publicIp === null ? null : [publicIp],
          CreatedTime: isoTime(createdAt),
          Tags: instanceTags(index),
        };
        for (const json of [template.doc, template.view]) {
          overwrite(json, fields);
          const hostName = json["HostName"];
          if (typeof hostName === "string" && hostName.startsWith(templateHostName)) json["HostName"] = hostNamePrefix(privateIp) + hostName.slice(templateHostName.length);
        }
        renewDiskIds(template.doc);
        // The view shows the doc's disks (toApiInstance copies them).
        copyDiskIds(template.doc, template.view);
        insert.run({
          seq: maxSeq + 1 + k,
          instance_id: instanceId,
          uuid,
          private_ip: privateIp,
          public_ip: publicIp,
          instance_name: name,
          created_at: createdAt,
          doc: JSON.stringify(template.doc),
          view: Buffer.from(JSON.stringify(template.view), "utf8"),
          view_version: versionBase + k,
          template_account: template.row.account_uin,
          template_region: template.row.region,
          template_id: template.row.instance_id,
        });
        ids.push(instanceId);
        states.push(template.row.state);
        tally(index, template);
      }
    });
    let lastReport = performance.now();
    for (let from = templates.length; from < size; from += BATCH) {
      cloneRange(from, Math.min(size, from + BATCH));
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`  cloned ${Math.min(size, from + BATCH).toLocaleString("en")} of ${size.toLocaleString("en")} instances (${((lastReport - started) / 1000).toFixed(0)} s)`);
      }
    }

    const total = db.prepare("SELECT COUNT(*) FROM cvm_instances").pluck().get() as number;
    if (total !== size) throw new Error(`after cloning the database holds ${total} instances, expected ${size}`);
    // Leaves the data in the database file, not in a WAL the server would have to read through at start.
    db.pragma("wal_checkpoint(TRUNCATE)");
    return {
      ids,
      states,
      counts: { total, byZoneAndState, byState, nameMatches: nameMatchCount, tagMatches: tagMatchCount },
      cloneSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    db.close();
  }
}

/** Gives the view's system and data disks the doc's disk ids. */
function copyDiskIds(doc: JsonObject, view: JsonObject): void {
  const docSystem = doc["SystemDisk"];
  const viewSystem = view["SystemDisk"];
  if (isObject(docSystem) && isObject(viewSystem) && docSystem["DiskId"] !== undefined) viewSystem["DiskId"] = docSystem["DiskId"];
  const docData = doc["DataDisks"];
  const viewData = view["DataDisks"];
  if (Array.isArray(docData) && Array.isArray(viewData)) {
    docData.forEach((disk, i) => {
      const viewDisk = viewData[i];
      if (isObject(disk) && isObject(viewDisk) && disk["DiskId"] !== undefined) viewDisk["DiskId"] = disk["DiskId"];
    });
  }
}
