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

// ---------------------------------------------------------------------------------------------------
// Cloning on PostgreSQL
//
// The same store, made the same way: the templates through RunInstances, then `INSERT INTO cvm_instances
// (...) SELECT ... FROM generate_series(...)` of full rows, never a write to another table, so that the
// PostgreSQL schema's triggers fill the counts, facets and tag, security group and IPv6 rows as for any
// insert. The rows are made by the server in one statement per batch: each clone is its template's row with
// the columns of CLONE_COLUMNS computed from the clone's index, and the same values written into the doc and
// the view by replacing, in their text, the template's `"Field":value` with the clone's. That keeps every
// other byte the server wrote; each replaced text is checked to occur exactly once in the template first.
//
// Ids: instance (and disk) ids are `ins-` and 8 base-36 digits of (offset + k × STRIDE) mod 36^8, distinct
// for every clone k (STRIDE is prime to 36), from a random offset per run.

const ID_SPACE = 36 ** 8;
const ID_STRIDE = 1_000_003;

/** The text of `"key":value` as JSON.stringify writes it inside an object. */
const member = (key: string, value: Json): string => `${JSON.stringify(key)}:${JSON.stringify(value)}`;

function occurrences(text: string, part: string): number {
  let n = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) n++;
  return n;
}

interface PostgresTemplate {
  seq: number;
  account_uin: string;
  region: string;
  instance_id: string;
  uuid: string;
  instance_name: string;
  zone: string;
  state: string;
  pending_state: string | null;
  private_ip: string;
  public_ip: string | null;
  created_at: number;
  doc: string;
  view: string;
}

/**
 * Clones the templates (ids in index order) in the PostgreSQL database at `databaseUrl`, with no tclocal
 * node running on it, until it holds `size` instances of the account and region the templates are in; then
 * VACUUM ANALYZE (what autovacuum would do after such a load, before the planner sees it), and tallies what
 * the filters will match.
 */
export async function cloneTemplatesPostgres(databaseUrl: string, size: number, templateIds: readonly string[]): Promise<SeededStore> {
  const started = performance.now();
  if (size > 9_999_999) throw new Error("bench/dataset.ts names instances with 7 digits: at most 9,999,999 instances");
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "tclocal-bench-seed" });
  await client.connect();
  try {
    const query = async <Row extends object>(text: string, values: unknown[] = []): Promise<Row[]> => (await client.query<Row>(text, values)).rows;
    const columns = (
      await query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'cvm_instances' ORDER BY ordinal_position",
      )
    ).map((c) => c.column_name);
    const missing = CLONE_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) throw new Error(`cvm_instances has no column ${missing.join(", ")}: bench/dataset.ts must learn the new schema`);
    const unknown = columns.filter((c) => !SHARED_COLUMNS.has(c) && !(CLONE_COLUMNS as readonly string[]).includes(c));
    if (unknown.length > 0) progress(`  note: cvm_instances column(s) ${unknown.join(", ")} are copied from the template row unchanged`);
    const stored = Number((await query<{ n: string }>("SELECT COUNT(*) AS n FROM cvm_instances"))[0]!.n);
    if (stored !== templateIds.length) throw new Error(`the database holds ${stored} instances, expected only the ${templateIds.length} templates`);

    const rows = await query<PostgresTemplate>(
      `SELECT seq::float8 AS seq, account_uin, region, instance_id, uuid, instance_name, zone, state, pending_state, private_ip, public_ip,
              created_at::float8 AS created_at, doc, convert_from(view, 'UTF8') AS view
         FROM cvm_instances WHERE instance_id = ANY($1)`,
      [templateIds],
    );
    const byId = new Map(rows.map((r) => [r.instance_id, r]));
    const templates = templateIds.map((id) => {
      const row = byId.get(id);
      if (row === undefined) throw new Error(`template instance ${id} is not in the database`);
      if (row.pending_state !== null) throw new Error(`template instance ${id} is still in transition (${row.state} → ${row.pending_state}); it should have settled`);
      return row;
    });
    const first = templates[0]!;
    if (templates.some((t) => t.account_uin !== first.account_uin || t.region !== first.region)) throw new Error("the templates are not all of one account and region");

    // The replacements, each checked on every template: [what, the template's text, where it must occur].
    const T = templates.length;
    const diskCount = (first.doc.match(/"DiskId":"disk-[a-z0-9]{8}"/g) ?? []).length;
    const [tagsHead, tagsTail, ...extra] = JSON.stringify(instanceTags(0)).split(JSON.stringify(teamOf(0)));
    if (tagsHead === undefined || tagsTail === undefined || extra.length > 0) throw new Error("instanceTags() must hold its team value once");
    const templateValues = templates.map((t, ti) => {
      const created = isoTime(t.created_at);
      const olds = {
        instance_id: member("InstanceId", t.instance_id),
        uuid: member("Uuid", t.uuid),
        name: member("InstanceName", t.instance_name),
        private: member("PrivateIpAddresses", [t.private_ip]),
        public: member("PublicIpAddresses", t.public_ip === null ? null : [t.public_ip]),
        created: member("CreatedTime", created),
        tags: member("Tags", instanceTags(ti)),
        host: `"HostName":"${hostNamePrefix(t.private_ip)}`,
      };
      // Each once in the view (which shows them all); in the doc at most once (it holds some), Tags once.
      for (const [what, text] of Object.entries(olds)) {
        const inView = occurrences(t.view, text);
        const inDoc = occurrences(t.doc, text);
        if (inView !== 1 || inDoc > 1 || (what === "tags" && inDoc !== 1)) {
          throw new Error(`${t.instance_id} holds ${text} ${inView} times in its view and ${inDoc} in its doc: bench/dataset.ts cannot clone it (${what})`);
        }
      }
      const disks = [...t.doc.matchAll(/"DiskId":"(disk-[a-z0-9]{8})"/g)].map((m) => m[0]);
      if (disks.length !== diskCount) throw new Error(`the templates have different numbers of disks (${disks.length} and ${diskCount})`);
      for (const disk of disks) if (occurrences(t.doc, disk) !== 1 || occurrences(t.view, disk) !== 1) throw new Error(`${disk} is not once in the doc and once in the view of ${t.instance_id}`);
      return { ti, seq: t.seq, ...olds, disks };
    });
    await query(
      `CREATE TEMP TABLE bench_templates (ti integer PRIMARY KEY, seq bigint, instance_id text, uuid text, name text, private text, public text, created text, tags text, host text, disks text[])`,
    );
    for (const v of templateValues) {
      await query("INSERT INTO bench_templates VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", [
        v.ti, v.seq, v.instance_id, v.uuid, v.name, v.private, v.public, v.created, v.tags, v.host, v.disks,
      ]);
    }
    // 8 base-36 digits, most significant first (the alphabet of src/products/cvm/ids.ts).
    await query(`CREATE FUNCTION pg_temp.bench_b36(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT string_agg(substr('abcdefghijklmnopqrstuvwxyz0123456789', ((n / d) % 36)::integer + 1, 1), '' ORDER BY d DESC)
        FROM unnest(ARRAY[78364164096, 2176782336, 60466176, 1679616, 46656, 1296, 36, 1]::bigint[]) AS d $$`);
    await query(`CREATE FUNCTION pg_temp.bench_ip(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT (n >> 24) || '.' || ((n >> 16) & 255) || '.' || ((n >> 8) & 255) || '.' || (n & 255) $$`);

    const maxSeq = Number((await query<{ s: number }>("SELECT MAX(seq)::float8 AS s FROM cvm_instances"))[0]!.s);
    const lastCreatedAt = Math.max(...templates.map((t) => t.created_at));
    const versionBase = randomInt(2 ** 47);
    const idOffset = randomInt(ID_SPACE);
    const diskOffset = randomInt(ID_SPACE);
    const matching = Math.min(NAME_MATCHES, size);
    const int = (n: number): string => {
      if (!Number.isSafeInteger(n)) throw new Error(`${n} is not a safe integer`);
      return `${n}::bigint`;
    };
    const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
    // Per clone (g.i its index, k its rank among the clones): the values CLONE_COLUMNS get.
    const perClone = `
      SELECT g.i - ${T} AS k,
             'ins-' || pg_temp.bench_b36((${int(idOffset)} + (g.i - ${T}) * ${ID_STRIDE}) % ${int(ID_SPACE)}) AS instance_id,
             gen_random_uuid()::text AS uuid,
             'bench-' || lpad(g.i::text, 7, '0') || CASE WHEN g.i = 0 OR (g.i * ${matching}) / ${size} <> ((g.i - 1) * ${matching}) / ${size} THEN ${literal(`-${NAME_FRAGMENT}`)} ELSE '' END AS name,
             ${int(CLONE_PRIVATE_BASE)} + ((g.i - ${T}) / 254) * 256 + 1 + (g.i - ${T}) % 254 AS private_n,
             ${int(CLONE_PUBLIC_BASE)} + ((g.i - ${T}) / 254) * 256 + 1 + (g.i - ${T}) % 254 AS public_n,
             ${int(lastCreatedAt + 1)} + (g.i - ${T}) / ${CLONES_PER_MS} AS created_at,
             'team-' || lpad((g.i % ${TEAMS})::text, 2, '0') AS team`;
    const derived = `
      SELECT pg_temp.bench_ip(c.private_n) AS private_ip,
             CASE WHEN t.public_ip IS NULL THEN NULL ELSE pg_temp.bench_ip(c.public_n) END AS public_ip,
             to_char(to_timestamp((c.created_at / 1000)::float8) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_text,
             ARRAY(SELECT '"DiskId":"disk-' || pg_temp.bench_b36((${int(diskOffset)} + (c.k * ${Math.max(1, diskCount)} + j) * ${ID_STRIDE}) % ${int(ID_SPACE)}) || '"'
                     FROM generate_series(0, ${diskCount - 1}) AS j ORDER BY j) AS disks`;
    const json = (value: string): string => `'"' || ${value} || '"'`;
    /** The replacements, in the doc and in the view alike: [the template's text, the clone's text] as SQL. */
    const replacements: Array<[string, string]> = [
      ["tt.instance_id", `'"InstanceId":' || ${json("c.instance_id")}`],
      ["tt.uuid", `'"Uuid":' || ${json("c.uuid")}`],
      ["tt.name", `'"InstanceName":' || ${json("c.name")}`],
      ["tt.private", `'"PrivateIpAddresses":[' || ${json("d.private_ip")} || ']'`],
      ["tt.public", `'"PublicIpAddresses":' || CASE WHEN d.public_ip IS NULL THEN 'null' ELSE '[' || ${json("d.public_ip")} || ']' END`],
      ["tt.created", `'"CreatedTime":' || ${json("d.created_text")}`],
      ["tt.tags", `'"Tags":' || ${literal(tagsHead)} || ${json("c.team")} || ${literal(tagsTail)}`],
      ["tt.host", `'"HostName":"VM-' || ((c.private_n >> 8) & 255) || '-' || (c.private_n & 255) || '-'`],
      ...Array.from({ length: diskCount }, (_, j): [string, string] => [`tt.disks[${j + 1}]`, `d.disks[${j + 1}]`]),
    ];
    const replaced = (text: string): string => replacements.reduce((inner, [from, to]) => `replace(${inner}, ${from}, ${to})`, text);
    const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    const values: Record<CloneColumn, string> = {
      seq: `${int(maxSeq + 1)} + c.k`,
      instance_id: "c.instance_id",
      uuid: "c.uuid",
      private_ip: "d.private_ip",
      public_ip: "d.public_ip",
      instance_name: "c.name",
      created_at: "c.created_at",
      doc: replaced("t.doc"),
      view: `convert_to(${replaced("convert_from(t.view, 'UTF8')")}, 'UTF8')`,
      view_version: `${int(versionBase)} + c.k`,
    };
    const cloneColumns: ReadonlySet<string> = new Set(CLONE_COLUMNS);
    const insert = `
      INSERT INTO cvm_instances (${columns.map(quote).join(", ")})
        SELECT ${columns.map((name) => (cloneColumns.has(name) ? values[name as CloneColumn] : `t.${quote(name)}`)).join(",\n               ")}
          FROM generate_series($1::bigint, $2::bigint) AS g(i)
          JOIN bench_templates tt ON tt.ti = g.i % ${T}
          JOIN cvm_instances t ON t.seq = tt.seq
          CROSS JOIN LATERAL (${perClone}) AS c
          CROSS JOIN LATERAL (${derived}) AS d`;

    let lastReport = performance.now();
    for (let from = T; from < size; from += BATCH) {
      const to = Math.min(size, from + BATCH);
      await query("BEGIN");
      await query(insert, [from, to - 1]);
      await query("COMMIT");
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`  cloned ${to.toLocaleString("en")} of ${size.toLocaleString("en")} instances (${((lastReport - started) / 1000).toFixed(0)} s)`);
      }
    }
    // RunInstances after this (the mixed load) takes seqs past the clones'.
    await query("SELECT setval(pg_get_serial_sequence('cvm_instances', 'seq'), (SELECT MAX(seq) FROM cvm_instances))");
    await query("VACUUM (ANALYZE)");

    const ids = (await query<{ instance_id: string }>("SELECT instance_id FROM cvm_instances ORDER BY seq")).map((r) => r.instance_id);
    if (ids.length !== size) throw new Error(`after cloning the database holds ${ids.length} instances, expected ${size}`);
    templates.forEach((t, i) => {
      if (ids[i] !== t.instance_id) throw new Error(`the templates are not first in seq order (${ids[i]} at ${i}, expected ${t.instance_id})`);
    });
    const states: string[] = [];
    const byZoneAndState = new Map<string, number>();
    const byState = new Map<string, number>();
    let nameMatchCount = 0;
    let tagMatchCount = 0;
    for (let index = 0; index < size; index++) {
      const template = templates[index % T]!;
      states.push(template.state);
      const key = zoneAndState(template.zone, template.state);
      byZoneAndState.set(key, (byZoneAndState.get(key) ?? 0) + 1);
      byState.set(template.state, (byState.get(template.state) ?? 0) + 1);
      if (nameMatches(index, size)) nameMatchCount++;
      if (teamOf(index) === TAG_VALUE) tagMatchCount++;
    }
    return {
      ids,
      states,
      counts: { total: size, byZoneAndState, byState, nameMatches: nameMatchCount, tagMatches: tagMatchCount },
      cloneSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}
