// Property-based fuzzing of the tclocal HTTP front end. Shared by test/fuzz/fuzz.test.ts (the CI-bounded
// run) and test/fuzz/cli.ts (`npm run fuzz -- --count N [--seed S]`), so that both run exactly the same
// generators, oracle and invariants. Five parts:
//
//   1. Generators. Parameter trees for every implemented action, drawn from the action's model and then
//      mutated (wrong types, missing and unknown fields, huge numbers, NaN-like and long and hostile
//      strings, deep nesting, duplicate keys, arrays for objects and back, 1000-element arrays); broken TC3
//      and v1 signatures and common parameters; broken transport (bad JSON and form encoding, wrong content
//      types, truncated and oversize bodies, odd methods, absolute-form targets, garbage on a raw socket).
//   2. The oracle. From what was actually put on the wire it computes what docs/protocol.md says the
//      answer must be: an exact error code where the protocol fixes one (the checks of §1, §2, §4.2, §5,
//      §8 and §10, in their order), otherwise the classes an action's handler may answer with. It reads the
//      server's data (the model, the generic request bounds, the SecretId form, the region catalog) but
//      never runs the server's request path. Then the requests are built and signed (the official signer).
//   3. Delivery: a keep-alive agent (8 requests in flight) for everything Node's HTTP client can send, a raw
//      net.Socket for the rest, and a small HTTP/1.1 response parser.
//   4. Invariants: HTTP 200, `Content-Type: application/json` exactly, a `{"Response": {…, "RequestId":
//      <UUID>}}` body (the RequestId also in X-TC-RequestId, X-TC-TraceId echoed), a catalogued error code
//      of the expected class, never InternalError, no error logged by the server, no change to any table
//      after a rejected request (every table hashed, rows in rowid order).
//   5. The target (the real server, seeded instances, a temporary key) and the runner: batches, the state
//      fingerprints around each request, and a health check (the server still answers) after each batch.
//
// HEAD: Node's HTTP layer never sends a body for HEAD. Such an answer must still be HTTP 200 with
// `Content-Type: application/json` and a UUID in X-TC-RequestId, and must have an empty body. A request the
// client abandons (socket destroyed mid-body) has no answer to check; only the server's health is checked.
// A request the server may legitimately drop (a head past 64 KB, bytes that are not HTTP) may go unanswered,
// but an answer it does get must pass every check.
import { createHash, randomUUID } from "node:crypto";
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, isWellFormedSecretId } from "../../src/auth/keys.js";
import { createLogger } from "../../src/log.js";
import { cvm } from "../../src/products/cvm/index.js";
import { createSts } from "../../src/products/sts/index.js";
import { errorClassOf, isKnownErrorCode, type ErrorClass } from "../../src/protocol/errors.js";
import { isScalar, type ApiModel, type FieldModel } from "../../src/protocol/model.js";
import { flatten } from "../../src/protocol/params.js";
import { REQUEST_BOUNDS } from "../../src/protocol/validate.js";
import { v1StringToSign } from "../../src/protocol/v1.js";
import type { SqliteDatabase } from "../../src/store/sqlite.js";
import { cvmClient, logLines, mintFederationToken, Sign, startTestServer, UUID_RE, type TestServer } from "../helpers/server.js";
import { sqliteOf } from "../helpers/store.js";

// =====================================================================================================
// Protocol constants (docs/protocol.md)
// =====================================================================================================

export const MODEL: ApiModel = cvm.model;
/** The implemented actions (the gateway answers UnsupportedOperation for the rest of the model). */
export const ACTIONS: readonly string[] = Object.keys(cvm.handlers);
const IMPLEMENTED = new Set(ACTIONS);
const VERSION = "2017-03-12";
/** The target also serves STS, whose version is then not a NoSuchVersion. */
const STS = createSts();
const STS_VERSION = STS.version;
const STS_MODEL: ApiModel = STS.model;
const REGION = "ap-guangzhou";
/** §1: GET ≤ 32 KB, v1 POST ≤ 1 MB, TC3 POST ≤ 10 MB. */
const LIMITS = { get: 32 * 1024, v1Post: 1024 * 1024, tc3Post: 10 * 1024 * 1024 } as const;
/** §3: the timestamp window. */
const WINDOW_SECONDS = 300;
/** §3/§5: the parameters v1 carries next to the API parameters. */
const V1_COMMON: ReadonlySet<string> = new Set([
  "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature", "SignatureMethod", "Token", "Language", "RequestClient",
]);
/** §4.1, with the whitespace tolerance it recommends. */
const TC3_AUTHORIZATION_RE =
  /^TC3-HMAC-SHA256 +Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request\s*, *SignedHeaders=([a-z0-9;-]+)\s*, *Signature=([0-9a-f]{64})$/;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const FORM = "application/x-www-form-urlencoded";
/** Regions the CVM catalog serves, for requests that leave the default region. */
const OTHER_REGIONS = ["ap-beijing", "ap-shanghai", "ap-singapore", "na-siliconvalley"] as const;

// =====================================================================================================
// 1a. JSON text, built by hand: duplicate keys, exact number spellings, escapes, deep nesting
// =====================================================================================================

export type JsonNode =
  | { readonly t: "obj"; readonly entries: ReadonlyArray<readonly [string, JsonNode]> }
  | { readonly t: "arr"; readonly items: readonly JsonNode[] }
  | { readonly t: "str"; readonly v: string }
  /** A number exactly as written in the JSON text: `1e400`, `-0`, `123456789012345678901234567890`. */
  | { readonly t: "num"; readonly text: string }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "null" }
  /** `depth` levels of `{"key": …}` or `[…]` around `leaf`, kept compact so that reports stay readable. */
  | { readonly t: "deep"; readonly depth: number; readonly wrap: "obj" | "arr"; readonly key: string; readonly leaf: JsonNode };

type ObjNode = Extract<JsonNode, { t: "obj" }>;

const str = (v: string): JsonNode => ({ t: "str", v });
const num = (n: number | string): JsonNode => ({ t: "num", text: String(n) });
const bool = (v: boolean): JsonNode => ({ t: "bool", v });
const NULL: JsonNode = { t: "null" };
const obj = (entries: ReadonlyArray<readonly [string, JsonNode]>): ObjNode => ({ t: "obj", entries });
const arr = (items: readonly JsonNode[]): JsonNode => ({ t: "arr", items });

/** How the JSON text is spelled: Node/Go (`{"a":1}`), Python (`{"a": 1}`), Python with ensure_ascii (`\uXXXX`). */
export type JsonStyle = "compact" | "spaced" | "ascii";

function quote(text: string, style: JsonStyle): string {
  // JSON.stringify writes a lone surrogate as the escape \ud800, as the brief asks.
  const quoted = JSON.stringify(text);
  return style === "ascii" ? quoted.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : quoted;
}

export function jsonText(node: JsonNode, style: JsonStyle): string {
  const comma = style === "compact" ? "," : ", ";
  const colon = style === "compact" ? ":" : ": ";
  const write = (n: JsonNode): string => {
    switch (n.t) {
      case "obj":
        return `{${n.entries.map(([k, v]) => quote(k, style) + colon + write(v)).join(comma)}}`;
      case "arr":
        return `[${n.items.map(write).join(comma)}]`;
      case "str":
        return quote(n.v, style);
      case "num":
        return n.text;
      case "bool":
        return n.v ? "true" : "false";
      case "null":
        return "null";
      case "deep": {
        const open = n.wrap === "obj" ? `{${quote(n.key, style)}${colon}` : "[";
        return open.repeat(n.depth) + write(n.leaf) + (n.wrap === "obj" ? "}" : "]").repeat(n.depth);
      }
    }
  };
  return write(node);
}

/** A value as the server holds it after parsing. */
export type View = null | boolean | number | string | View[] | { [key: string]: View };

/** json: what JSON.parse builds. flat/python: the leaves as the SDKs write them before flattening. */
type LeafMode = "json" | "flat" | "python";

function toView(n: JsonNode, mode: LeafMode): View {
  switch (n.t) {
    case "obj":
      // fromEntries, like JSON.parse: a later duplicate wins, `__proto__` stays an own key.
      return Object.fromEntries(n.entries.map(([k, v]) => [k, toView(v, mode)]));
    case "arr":
      return n.items.map((item) => toView(item, mode));
    case "str":
      return n.v;
    case "num":
      return mode === "json" ? Number(n.text) : n.text;
    case "bool":
      return mode === "json" ? n.v : mode === "python" ? (n.v ? "True" : "False") : String(n.v);
    case "null":
      return null;
    case "deep": {
      let v = toView(n.leaf, mode);
      for (let i = 0; i < n.depth; i++) v = n.wrap === "obj" ? { [n.key]: v } : [v];
      return v;
    }
  }
}

function isRecord(v: View | undefined): v is { [key: string]: View } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// =====================================================================================================
// 1b. The model oracle: which validation codes a parameter tree must draw (protocol.md §8: missing,
//     unknown, wrongly typed; and InvalidParameterValue past the generic bounds every request meets,
//     REQUEST_BOUNDS). All violations are collected; the server may report any one of them.
// =====================================================================================================

function fieldViolations(field: FieldModel, value: View, depthLeft: number, out: Set<string>): void {
  if (depthLeft > 0) {
    if (!Array.isArray(value)) out.add("InvalidParameter");
    else {
      if (value.length > REQUEST_BOUNDS.maxArrayItems) out.add("InvalidParameterValue");
      for (const item of value) fieldViolations(field, item, depthLeft - 1, out);
    }
    return;
  }
  if (isScalar(field.type)) {
    if (field.type !== "any" && typeof value !== field.type) out.add("InvalidParameter");
    // Counted in code points, as JSON schema counts a string's length.
    else if (typeof value === "string" && value.length > REQUEST_BOUNDS.maxStringLength && [...value].length > REQUEST_BOUNDS.maxStringLength) {
      out.add("InvalidParameterValue");
    }
    return;
  }
  structViolations(field.type, value, out);
}

function structViolations(typeName: string, value: View, out: Set<string>): void {
  const struct = MODEL.types[typeName] ?? {};
  if (!isRecord(value)) {
    out.add("InvalidParameter");
    return;
  }
  for (const [name, field] of Object.entries(struct)) if (field.required && !Object.hasOwn(value, name)) out.add("MissingParameter");
  for (const name of Object.keys(value)) if (!Object.hasOwn(struct, name)) out.add("UnknownParameter");
  for (const [name, field] of Object.entries(struct)) {
    if (Object.hasOwn(value, name)) fieldViolations(field, value[name]!, field.array ?? 0, out);
  }
}

export function parameterViolations(action: string, value: View): Set<string> {
  const out = new Set<string>();
  structViolations(MODEL.actions[action]!.request, value, out);
  return out;
}

// =====================================================================================================
// 1c. Valid-looking parameter trees from the model
// =====================================================================================================

export interface GenContext {
  /**
   * Instances that exist, so that state-changing actions have real targets. A live pool: the runner
   * refreshes it (in place) after every batch and launches more when the fuzzing has terminated them.
   */
  instanceIds: string[];
}

const ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7", "ap-guangzhou-1", "ap-beijing-3", "ap-guangzhou-0"];
const IMAGES = ["img-9qabwvbn", "img-8toqc6s3", "img-l8og963d", "img-pmqg1cw7", "img-00000000", "img-bad"];
const TYPES = ["S5.MEDIUM4", "S5.SMALL2", "S5.LARGE8", "SA2.MEDIUM4", "S5.HUGE999", "bad"];
const FILTER_NAMES = ["zone", "instance-id", "instance-name", "instance-state", "instance-charge-type", "image-id", "instance-family", "instance-type", "tag-key", "project-id", "bogus"];

// Arbitraries are built once: building fc.string() is far dearer than drawing from it.
const SHORT_STRING = fc.string({ maxLength: 12 });
const ANY_STRING = fc.oneof(fc.constantFrom("", "test", "x"), SHORT_STRING);
const PLAIN_NAME = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/);

function pick(values: readonly string[], other: fc.Arbitrary<string> = SHORT_STRING): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 6 }, { arbitrary: other, weight: 1 });
}

function stringHint(name: string, ctx: GenContext): fc.Arbitrary<string> {
  // Read from the pool when drawn, not when built: the pool changes during the run.
  const pool = ctx.instanceIds;
  const liveId = fc.nat().map((i) => (pool.length > 0 ? pool[i % pool.length]! : "ins-00000000"));
  switch (name) {
    case "InstanceId":
    case "InstanceIds":
      return fc.oneof({ arbitrary: liveId, weight: 8 }, { arbitrary: fc.constantFrom("ins-00000000", "ins-zzzzzzzz", "ins-1", "i-abc"), weight: 1 });
    case "Zone":
      return pick(ZONES);
    case "ImageId":
    case "ImageIds":
      return pick(IMAGES);
    case "InstanceType":
      return pick(TYPES);
    case "InstanceChargeType":
      return pick(["POSTPAID_BY_HOUR", "PREPAID", "SPOTPAID", "CDHPAID"]);
    case "DiskType":
      return pick(["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "LOCAL_BASIC"]);
    case "Name":
      return pick(FILTER_NAMES);
    case "Values":
      return fc.oneof(pick([...ZONES.slice(0, 3), "RUNNING", "STOPPED", "POSTPAID_BY_HOUR", "S5", "img-9qabwvbn", "fuzz"]), liveId);
    case "Password":
      return pick(["Tclocal@2024Pass", "Passw0rd!xyz", "short", "abcdefghijklmnop"]);
    case "RenewFlag":
      return pick(["NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW", "DISABLE_NOTIFY_AND_MANUAL_RENEW"]);
    case "Operation":
      return pick(["INSTANCE_DEGRADE"]);
    case "Attributes":
      return pick(["UserData"]);
    case "StopType":
      return pick(["SOFT", "HARD", "SOFT_FIRST"]);
    case "StoppedMode":
      return pick(["KEEP_CHARGING", "STOP_CHARGING"]);
    case "SecurityGroupIds":
    case "SecurityGroups":
      return pick(["sg-00000000", "sg-abcdefgh"]);
    case "VpcId":
      return pick(["vpc-00000000", "DEFAULT"]);
    case "SubnetId":
      return pick(["subnet-00000000", "DEFAULT"]);
    case "InternetChargeType":
      return pick(["TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE"]);
    case "InstanceName":
    case "HostName":
    case "DiskName":
      return pick(["web-1", "fuzz", "a", "名字"]);
    case "UserData":
      return pick(["ZWNobyBoaQ==", "not base64"]);
    case "Key":
    case "Value":
      return pick(["env", "prod", "team"]);
    case "ResourceType":
      return pick(["instance", "host"]);
    default:
      return ANY_STRING;
  }
}

function numberHint(name: string): fc.Arbitrary<number> {
  switch (name) {
    case "Limit":
      return fc.integer({ min: 1, max: 100 });
    case "Offset":
      return fc.integer({ min: 0, max: 20 });
    case "InstanceCount":
    case "MinCount":
      return fc.integer({ min: 1, max: 2 });
    case "DiskSize":
      return fc.integer({ min: 2, max: 50 }).map((n) => n * 10);
    case "Period":
      return fc.constantFrom(1, 2, 3, 6, 12, 24, 36);
    case "ProjectId":
      return fc.constantFrom(0, 0, 1, 1000);
    default:
      return fc.integer({ min: 0, max: 100 });
  }
}

/** Optional fields a real client nearly always sends: without them the action can never succeed. */
const PREFERRED: Readonly<Record<string, ReadonlySet<string>>> = {
  RunInstances: new Set(["Placement", "ImageId", "InstanceType"]),
  // Unfiltered, this answer is 2 MB: fuzzing throughput is better spent elsewhere.
  DescribeZoneInstanceConfigInfos: new Set(["Filters"]),
};

/** How often each action is drawn: the catalog answers are large and cheap to get right, so rarer. */
function actionWeight(action: string): number {
  return action === "DescribeZoneInstanceConfigInfos" || action === "DescribeInstanceTypeConfigs" ? 1 : 4;
}

/** Builds (and memoises) the arbitraries of schema-valid values for the model's types. */
export class TreeGen {
  private readonly memo = new Map<string, fc.Arbitrary<JsonNode>>();

  constructor(private readonly ctx: GenContext) {}

  request(action: string): fc.Arbitrary<JsonNode> {
    const key = `request:${action}`;
    let built = this.memo.get(key);
    if (!built) {
      built = this.struct(MODEL.actions[action]!.request, 0, PREFERRED[action]);
      this.memo.set(key, built);
    }
    return built;
  }

  struct(typeName: string, depth: number, preferred?: ReadonlySet<string>): fc.Arbitrary<JsonNode> {
    const key = `${typeName}@${depth}`;
    const known = preferred === undefined ? this.memo.get(key) : undefined;
    if (known) return known;
    if (depth > 6) throw new Error(`the model type ${typeName} nests too deeply`);
    const parts = Object.entries(MODEL.types[typeName] ?? {}).map(([name, field]) => {
      const entry = this.field(name, field, field.array ?? 0, depth).map((v) => [name, v] as const);
      if (field.required) return entry;
      if (depth >= 3) return fc.constant(undefined);
      // Present in 30% of trees (90% for the fields a real client always sends).
      const present = preferred?.has(name) ? 9 : 3;
      return fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 - present }, { arbitrary: entry, weight: present });
    });
    const built = fc.tuple(...parts).map((list) => obj(list.filter((e): e is readonly [string, JsonNode] => e !== undefined)));
    if (preferred === undefined) this.memo.set(key, built);
    return built;
  }

  field(name: string, field: FieldModel, depthLeft: number, depth: number): fc.Arbitrary<JsonNode> {
    const key = `field:${name}:${field.type}:${field.required ? 1 : 0}:${depthLeft}:${depth}`;
    let built = this.memo.get(key);
    if (!built) {
      built = this.buildField(name, field, depthLeft, depth);
      this.memo.set(key, built);
    }
    return built;
  }

  private buildField(name: string, field: FieldModel, depthLeft: number, depth: number): fc.Arbitrary<JsonNode> {
    if (depthLeft > 0) {
      // Required lists are never empty: an empty list vanishes when flattened (§6) and would turn every
      // flattened request into a MissingParameter.
      return fc.array(this.field(name, field, depthLeft - 1, depth), { minLength: field.required ? 1 : 0, maxLength: 3 }).map(arr);
    }
    switch (field.type) {
      case "string":
        return stringHint(name, this.ctx).map(str);
      case "number":
        return numberHint(name).map(num);
      case "boolean":
        return name === "DryRun" ? fc.oneof({ arbitrary: fc.constant(true), weight: 1 }, { arbitrary: fc.constant(false), weight: 2 }).map(bool) : fc.boolean().map(bool);
      case "any":
        return fc.constantFrom(str("x"), num(1), bool(true));
      default:
        return this.struct(field.type, depth + 1);
    }
  }
}

// =====================================================================================================
// 1d. Mutations of a parameter tree
// =====================================================================================================

export type Segment = string | number;

export type SetReason =
  | "wrong-type" | "huge-number" | "nan-string" | "long-string" | "unicode" | "deep-nesting" | "null"
  | "array-for-object" | "object-for-array" | "big-array" | "empty-array" | "boolean-text";

export type Mutation =
  | { readonly kind: "set"; readonly reason: SetReason; readonly path: readonly Segment[]; readonly value: JsonNode }
  | { readonly kind: "missing-required"; readonly path: readonly Segment[] }
  | { readonly kind: "unknown-field"; readonly path: readonly Segment[]; readonly name: string; readonly value: JsonNode }
  | { readonly kind: "duplicate-key"; readonly path: readonly Segment[]; readonly name: string; readonly value: JsonNode; readonly first: boolean }
  | { readonly kind: "root"; readonly value: JsonNode };

function mutationLabel(m: Mutation): string {
  const where = (path: readonly Segment[]) => path.join(".") || "(root)";
  switch (m.kind) {
    case "set":
      return `${m.reason}@${where(m.path)}`;
    case "missing-required":
      return `missing-required@${where(m.path)}`;
    case "unknown-field":
      return `unknown-field@${where([...m.path, clip(m.name, 24)])}`;
    case "duplicate-key":
      return `duplicate-key@${where([...m.path, m.name])}`;
    case "root":
      return `root-${m.value.t}`;
  }
}

function lastIndexOf(node: ObjNode, key: string): number {
  for (let i = node.entries.length - 1; i >= 0; i--) if (node.entries[i]![0] === key) return i;
  return -1;
}

/** Replaces (f returns a node), adds, or removes (f returns undefined) the value at `path`. */
function updateAt(node: JsonNode, path: readonly Segment[], f: (current: JsonNode | undefined) => JsonNode | undefined): JsonNode {
  if (path.length === 0) return f(node) ?? NULL;
  const [head, ...rest] = path;
  if (node.t === "obj" && typeof head === "string") {
    const i = lastIndexOf(node, head);
    const current = i >= 0 ? node.entries[i]![1] : undefined;
    if (rest.length > 0) {
      if (current === undefined) return node;
      return obj(node.entries.map((e, j) => (j === i ? ([head, updateAt(current, rest, f)] as const) : e)));
    }
    const next = f(current);
    if (next === undefined) return obj(node.entries.filter(([k]) => k !== head));
    if (i < 0) return obj([...node.entries, [head, next]]);
    return obj(node.entries.map((e, j) => (j === i ? ([head, next] as const) : e)));
  }
  if (node.t === "arr" && typeof head === "number" && head < node.items.length) {
    const current = node.items[head]!;
    const next = rest.length > 0 ? updateAt(current, rest, f) : f(current);
    return arr(next === undefined ? node.items.filter((_, j) => j !== head) : node.items.map((item, j) => (j === head ? next : item)));
  }
  return node;
}

export function applyMutation(tree: JsonNode, m: Mutation): JsonNode {
  switch (m.kind) {
    case "set":
      return updateAt(tree, m.path, () => m.value);
    case "missing-required":
      return updateAt(tree, m.path, () => undefined);
    case "unknown-field":
      return updateAt(tree, m.path, (o) => (o?.t === "obj" ? obj([...o.entries, [m.name, m.value]]) : o));
    case "duplicate-key":
      return updateAt(tree, m.path, (o) => (o?.t === "obj" ? obj(m.first ? [[m.name, m.value], ...o.entries] : [...o.entries, [m.name, m.value]]) : o));
    case "root":
      return m.value;
  }
}

interface ValueSite {
  path: Segment[];
  name: string;
  field: FieldModel;
  /** Array levels left at this value: > 0 means a list is expected here. */
  depthLeft: number;
  depth: number;
}

interface ObjectSite {
  path: Segment[];
  typeName: string;
  node: ObjNode;
}

function sitesOf(action: string, tree: JsonNode): { values: ValueSite[]; objects: ObjectSite[] } {
  const values: ValueSite[] = [];
  const objects: ObjectSite[] = [];
  const walkStruct = (node: JsonNode, typeName: string, path: Segment[], depth: number): void => {
    if (node.t !== "obj") return;
    objects.push({ path, typeName, node });
    for (const [name, field] of Object.entries(MODEL.types[typeName] ?? {})) {
      const at = [...path, name];
      values.push({ path: at, name, field, depthLeft: field.array ?? 0, depth });
      const i = lastIndexOf(node, name);
      if (i >= 0) walkValue(node.entries[i]![1], name, field, field.array ?? 0, at, depth);
    }
  };
  const walkValue = (node: JsonNode, name: string, field: FieldModel, depthLeft: number, path: Segment[], depth: number): void => {
    if (depthLeft > 0) {
      if (node.t !== "arr") return;
      node.items.slice(0, 3).forEach((item, i) => {
        values.push({ path: [...path, i], name, field, depthLeft: depthLeft - 1, depth });
        walkValue(item, name, field, depthLeft - 1, [...path, i], depth);
      });
    } else if (!isScalar(field.type)) walkStruct(node, field.type, path, depth + 1);
  };
  walkStruct(tree, MODEL.actions[action]!.request, [], 0);
  return { values, objects };
}

/** Field names no CVM structure has. Plain identifiers survive flattening; the others are JSON-only hazards. */
export const UNKNOWN_NAMES = [
  "Foo", "Extra", "instanceIds", "INSTANCEIDS", "__proto__", "constructor", "toString", "hasOwnProperty", "prototype",
  "valueOf", "RequestId", "Response", "x", "DryRun2",
  "Ünïcödé", "名字", "🙂", "", " ", "a.b", "0", "Filters.0", "\u0000", "\ud800", "x".repeat(300),
] as const;

const SMALL_VALUES: readonly JsonNode[] = [str("x"), str(""), num(1), num(-1), bool(true), NULL, obj([["a", num(1)]]), arr([str("x")]), arr([]), obj([])];

const HUGE_NUMBERS = [
  "1e308", "-1", "-2147483649", "9007199254740993", "1e400", "-1e400", "-0", "0.5", "4294967296", "1e-400",
  "123456789012345678901234567890", "-99999999999", "0", "2147483648", "1E2", "100000000000000000000000",
];

const NAN_STRINGS = ["NaN", "Infinity", "-Infinity", "1e999", "0x10", "1_000", " 1", "", "null", "true", "１２", "1,000", "+1", ".5", "5.", "--1"];

/** Hostile text: astral, right-to-left, NUL, lone surrogates, combining marks, zero-width, line separators. */
const UNICODE_STRINGS = [
  "🙂🚀𝔘𝔫𝔦", "\u{10FFFF}", "مرحبا بالعالم", "\u202Eevil\u202C", "a\u0000b", "\u0000", "\ud800", "\udfff", "x\ud800y", "\udc00\ud800",
  "e\u0301\u0301\u0301", "\u200B\u200C\u200D\uFEFF", "\u2028\u2029", "名字-ñ-ü", "\\u0041", "'\";--", "<script>", "%00%zz", "\r\n\t",
];

const unicodeString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...UNICODE_STRINGS), weight: 3 },
  // Any code point, surrogates included (fc.string's "binary" unit costs a second to build).
  { arbitrary: fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 24 }).map((cps) => String.fromCodePoint(...cps)), weight: 2 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 4 }), fc.constantFrom("\ud800", "\udbff", "\udc00")).map(([a, s]) => a + s), weight: 1 },
);

/** 1 KB to 100 KB, built by repetition (cheap to generate); the cut may split a surrogate pair, on purpose. */
const longString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("x", "ab", "名", "🙂", "A1-", "\u0000z"), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const deepNode: fc.Arbitrary<JsonNode> = fc
  .record({ depth: fc.integer({ min: 100, max: 800 }), wrap: fc.constantFrom("obj" as const, "arr" as const), key: fc.constantFrom("a", "Zone", "__proto__") })
  .map(({ depth, wrap, key }) => ({ t: "deep", depth, wrap, key, leaf: num(1) }));

/** A value of another JSON kind than the field expects. */
function wrongTypeValue(site: ValueSite): fc.Arbitrary<JsonNode> | undefined {
  const expected = site.depthLeft > 0 ? "arr" : site.field.type === "string" ? "str" : site.field.type === "number" ? "num" : site.field.type === "boolean" ? "bool" : site.field.type === "any" ? undefined : "obj";
  if (expected === undefined) return undefined;
  const candidates: JsonNode[] = [str("1"), str("abc"), num(7), bool(true), NULL, obj([["k", str("v")]]), arr([str("v")]), arr([])].filter(
    (n) => n.t !== expected,
  );
  return fc.constantFrom(...candidates);
}

function valueMutation(site: ValueSite, gen: TreeGen): fc.Arbitrary<Mutation> {
  const set = (reason: SetReason, value: fc.Arbitrary<JsonNode>): fc.Arbitrary<Mutation> => value.map((v) => ({ kind: "set", reason, path: site.path, value: v }));
  const options: Array<fc.Arbitrary<Mutation>> = [set("deep-nesting", deepNode), set("null", fc.constant(NULL))];
  const wrong = wrongTypeValue(site);
  if (wrong) options.push(set("wrong-type", wrong), set("wrong-type", wrong));
  if (site.depthLeft > 0) {
    const element = gen.field(site.name, site.field, site.depthLeft - 1, site.depth);
    options.push(
      set("object-for-array", element.map((e) => obj([["0", e]]))),
      set("big-array", element.map((e) => arr(Array.from({ length: 1000 }, () => e)))),
      set("empty-array", fc.constant(arr([]))),
    );
  } else if (site.field.type === "number") {
    options.push(set("huge-number", fc.constantFrom(...HUGE_NUMBERS).map(num)), set("nan-string", fc.constantFrom(...NAN_STRINGS).map(str)));
  } else if (site.field.type === "string") {
    options.push(set("long-string", longString.map(str)), set("unicode", unicodeString.map(str)), set("unicode", unicodeString.map(str)));
  } else if (site.field.type === "boolean") {
    options.push(set("boolean-text", fc.constantFrom("true", "True", "FALSE", "1", "yes", "").map(str)));
  } else if (!isScalar(site.field.type)) {
    options.push(set("array-for-object", gen.field(site.name, site.field, 0, site.depth).map((v) => arr([v]))));
  }
  return fc.oneof(...options);
}

function objectMutation(site: ObjectSite): fc.Arbitrary<Mutation> {
  const struct = MODEL.types[site.typeName] ?? {};
  const names = UNKNOWN_NAMES.filter((n) => !Object.hasOwn(struct, n));
  const options: Array<fc.Arbitrary<Mutation>> = [
    fc
      .record({
        name: fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 3 }, { arbitrary: PLAIN_NAME.filter((n) => !Object.hasOwn(struct, n)), weight: 1 }),
        value: fc.constantFrom(...SMALL_VALUES),
      })
      .map(({ name, value }) => ({ kind: "unknown-field", path: site.path, name, value })),
  ];
  const present = Object.entries(struct).filter(([name, f]) => f.required && lastIndexOf(site.node, name) >= 0);
  if (present.length > 0) {
    options.push(fc.constantFrom(...present.map(([name]) => name)).map((name) => ({ kind: "missing-required", path: [...site.path, name] })));
  }
  if (site.node.entries.length > 0) {
    options.push(
      fc
        .record({ i: fc.nat(site.node.entries.length - 1), other: fc.constantFrom(...SMALL_VALUES), same: fc.boolean(), first: fc.boolean() })
        .map(({ i, other, same, first }) => {
          const [name, value] = site.node.entries[i]!;
          return { kind: "duplicate-key", path: site.path, name, value: same ? value : other, first };
        }),
    );
  }
  return fc.oneof(...options);
}

function mutationOf(action: string, tree: JsonNode, gen: TreeGen): fc.Arbitrary<Mutation> | undefined {
  const { values, objects } = sitesOf(action, tree);
  const options: Array<fc.WeightedArbitrary<Mutation>> = [];
  if (values.length > 0) options.push({ arbitrary: fc.constantFrom(...values).chain((s) => valueMutation(s, gen)), weight: 6 });
  if (objects.length > 0) options.push({ arbitrary: fc.constantFrom(...objects).chain(objectMutation), weight: 4 });
  options.push({
    arbitrary: fc.constantFrom(arr([tree]), str("Limit=1"), num(1), NULL, bool(true), arr([])).map((value): Mutation => ({ kind: "root", value })),
    weight: 1,
  });
  return fc.oneof(...options);
}

function mutate(action: string, tree: JsonNode, count: number, gen: TreeGen, done: readonly Mutation[] = []): fc.Arbitrary<{ tree: JsonNode; mutations: Mutation[] }> {
  if (count === 0 || tree.t !== "obj") return fc.constant({ tree, mutations: [...done] });
  const next = mutationOf(action, tree, gen);
  if (!next) return fc.constant({ tree, mutations: [...done] });
  return next.chain((m) => mutate(action, applyMutation(tree, m), count - 1, gen, [...done, m]));
}

// =====================================================================================================
// 1e. Request cases
// =====================================================================================================

export type ParamShape = "tc3-post" | "tc3-get" | "v1-get" | "v1-post";
/** node: encodeURIComponent plus `!()*`; python: quote_plus (`+` for space); lower: lower-case hex escapes. */
export type UrlStyle = "node" | "python" | "lower";

export interface ParamCase {
  readonly kind: "params";
  readonly shape: ParamShape;
  readonly action: string;
  readonly region: string;
  readonly tree: JsonNode;
  readonly mutations: readonly Mutation[];
  readonly json: JsonStyle;
  readonly url: UrlStyle;
  readonly sortPairs: boolean;
  readonly signMethod: "HmacSHA1" | "HmacSHA256";
}

export type Tc3Header =
  | "Authorization" | "X-TC-Action" | "X-TC-Version" | "X-TC-Region" | "X-TC-Timestamp" | "X-TC-Language"
  | "X-TC-RequestClient" | "X-TC-TraceId" | "Content-Type" | "Host";

export type SignatureOp = "flip" | "truncate" | "extend" | "uppercase" | "non-hex" | "empty";

export type Tc3Mutation =
  | { readonly m: "none" }
  | { readonly m: "algorithm"; readonly value: string }
  | { readonly m: "secret-id"; readonly value: string }
  | { readonly m: "date"; readonly value: string }
  /** resign: the request is signed with that service (a valid signature, as the Node SDK's `127`). */
  | { readonly m: "service"; readonly value: string; readonly resign: boolean }
  | { readonly m: "terminator"; readonly value: string }
  | { readonly m: "signed-headers"; readonly value: string }
  | { readonly m: "signature"; readonly op: SignatureOp; readonly at: number }
  | { readonly m: "separators"; readonly afterAlgorithm: string; readonly list: string }
  /** Signed with a timestamp this far from now. */
  | { readonly m: "timestamp-skew"; readonly seconds: number }
  /** X-TC-Timestamp replaced after signing by non-numeric text. */
  | { readonly m: "timestamp-text"; readonly value: string }
  /** X-TC-Timestamp moved after signing, inside the window. */
  | { readonly m: "timestamp-drift"; readonly seconds: number }
  | { readonly m: "missing-header"; readonly name: Tc3Header }
  | { readonly m: "duplicate-header"; readonly name: Exclude<Tc3Header, "Host"> }
  | { readonly m: "token"; readonly mode: "permanent-with-token" | "temporary" | "temporary-missing" | "temporary-wrong" }
  | { readonly m: "language"; readonly value: string }
  | { readonly m: "unsigned-payload"; readonly signed: boolean }
  | { readonly m: "common"; readonly name: "X-TC-Action" | "X-TC-Version" | "X-TC-Region"; readonly value: string }
  /** An odd X-TC-TraceId, which must still be echoed (its first 256 characters). */
  | { readonly m: "trace-id"; readonly value: string };

export interface Tc3Case {
  readonly kind: "tc3";
  readonly method: "POST" | "GET";
  readonly action: string;
  readonly tree: JsonNode;
  readonly mutation: Tc3Mutation;
}

export type V1Name = "SecretId" | "Signature" | "Nonce" | "Timestamp" | "Action" | "Version" | "Region";

export type V1Mutation =
  | { readonly m: "none" }
  | { readonly m: "signature"; readonly op: "flip" | "truncate" | "garbage" | "lower" }
  | { readonly m: "secret-id"; readonly value: string }
  | { readonly m: "missing"; readonly name: V1Name }
  | { readonly m: "empty"; readonly name: V1Name }
  | { readonly m: "timestamp-skew"; readonly seconds: number }
  | { readonly m: "timestamp-text"; readonly value: string }
  /** SignatureMethod as sent (null: absent) and the HMAC actually used. */
  | { readonly m: "signature-method"; readonly sent: string | null; readonly signWith: "HmacSHA1" | "HmacSHA256" }
  | { readonly m: "token"; readonly mode: "permanent-with-token" | "temporary" | "temporary-missing" | "temporary-wrong" }
  | { readonly m: "language"; readonly value: string }
  | { readonly m: "duplicate"; readonly name: "Action" | "Nonce" | "Region" | "Version" }
  | { readonly m: "tampered" }
  | { readonly m: "signed-host"; readonly value: string }
  | { readonly m: "common"; readonly name: "Action" | "Version" | "Region"; readonly value: string }
  | { readonly m: "nonce"; readonly value: string };

export interface V1Case {
  readonly kind: "v1";
  readonly method: "POST" | "GET";
  readonly action: string;
  readonly tree: JsonNode;
  readonly mutation: V1Mutation;
}

export type TransportVariant =
  | { readonly t: "raw-json"; readonly bytes: Buffer; readonly note: string }
  | { readonly t: "bad-encoding"; readonly shape: "v1-post" | "v1-get" | "tc3-get"; readonly injection: string; readonly position: number }
  | { readonly t: "content-type"; readonly shape: "tc3-post" | "tc3-get" | "v1-post"; readonly value: string | null }
  | { readonly t: "method"; readonly method: string; readonly signedAs: "tc3-post" | "tc3-get" | "v1-get" }
  | { readonly t: "absolute-form"; readonly shape: "tc3-post" | "tc3-get" | "v1-get" | "v1-post"; readonly scheme: string; readonly authority: string }
  | { readonly t: "path"; readonly shape: "tc3-post" | "tc3-get"; readonly path: string }
  | { readonly t: "post-query"; readonly query: string }
  | { readonly t: "get-body"; readonly body: string }
  | { readonly t: "chunked"; readonly pieces: number }
  | { readonly t: "oversize"; readonly what: "tc3-body" | "v1-body" | "get-target"; readonly extra: number }
  | { readonly t: "declared-length"; readonly length: number }
  | { readonly t: "truncated"; readonly finish: "destroy" | "end"; readonly missing: number }
  | { readonly t: "header-overflow"; readonly size: number }
  | { readonly t: "garbage"; readonly text: string }
  | { readonly t: "random-bytes"; readonly bytes: Uint8Array }
  | { readonly t: "pipelined"; readonly count: number }
  | { readonly t: "missing-host"; readonly shape: "tc3-post" | "v1-get" }
  | { readonly t: "expect"; readonly value: string }
  | { readonly t: "connect" };

export interface TransportCase {
  readonly kind: "transport";
  readonly action: string;
  readonly tree: JsonNode;
  readonly variant: TransportVariant;
}

export type FuzzCase = ParamCase | Tc3Case | V1Case | TransportCase;

const BAD_JSON = [
  "{", "}", '{"Limit":}', '{"Limit": 1,}', "[1,2", "nul", "{'Limit': 1}", '{"Limit": 01}', '{"Limit": .5}', '{"Limit": NaN}',
  '{"Limit": Infinity}', '{"a" 1}', "\u0000{}", "{}{}", '{"a":1}garbage', '"unterminated', '{"\\x": 1}', '{"a":"\\ud800"',
  "\ufeff{}", "[]", "1", '"str"', "null", "true", "-", "1e", '{"Limit":1}\u0000', "{\"Limit\":1}\u2028", '{"a":"\u0001"}', "{\"a\":\"\n\"}",
];

const INVALID_UTF8 = [Buffer.from([0xff]), Buffer.from([0xfe, 0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xe4, 0xb8])];

const BAD_ENCODINGS = ["%zz", "%", "%G0", "%E0%A4%A", "%ED%A0%80", "%FF", "%C0%AF", "%F8%88%80%80%80", "%e4%b8", "%%", "%2"];

const CONTENT_TYPES = [
  null, "", "text/plain", FORM, "multipart/form-data; boundary=x", "application/json; charset=utf-8", "application/json;charset=UTF-8",
  "Application/JSON", "APPLICATION/JSON; CHARSET=UTF-8", "application/jsonx", "application/json, text/plain", "application/*", "*/*",
  "application/xml", "application/json ; charset=utf-8", "application/x-json", `${FORM}; charset=utf-8`, "application/json",
];

const METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "TRACE", "SEARCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "PURGE", "M-SEARCH", "LINK", "QUERY"];

/** Request targets other than `/`. Nothing under /_tclocal/: the admin endpoints are not part of the API. */
const PATHS = ["/foo", "//", "/index.html", "/_tclocal", "/%2e%2e/", "/..", "/;x", "/cvm/", "/?", "/%00", "/~"];

const AUTHORITIES = ["cvm.tencentcloudapi.com", "CVM.TENCENTCLOUDAPI.COM", "user:pw@cvm.tencentcloudapi.com", "vpc.tencentcloudapi.com", "cvm.tencentcloudapi.com:443", "[::1]:80", "localhost"];

/** Raw bytes that are not (quite) HTTP. Each is sent, then the client half-closes. */
const GARBAGE = [
  "GARBAGE\r\n\r\n", "get / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\nHost: x\n\n",
  "GET / HTTP/1.1\r\nHost: x\r\nX-TC-Action: a\u0000b\r\n\r\n", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
  "\r\n\r\n", "GET\r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET /\u007f HTTP/1.1\r\nHost: x\r\n\r\n", "GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n", "GET\t/\tHTTP/1.1\r\nHost: x\r\n\r\n", "GET /?a=\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n",
  "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\nJUNK JUNK\r\n\r\n", "GET / HTTP/1.0\r\n\r\n", "GET /\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
];

const SECRET_IDS = ["", "AKID", "abc", "AKIDshort", "AKID" + "x".repeat(130), "AKIDtclocalDefaultDevelopmentKeY0000", "AKIDtclocalUnknownKey000000000000000", "AKID-with-dash-0000000000", "akidtclocaldefaultdevelopmentkey0000", "AKID/slash/000000000000", "AKID,comma0000000000000", "AKID tclocal"];
const DATES = ["2019-02-25", "1970-01-01", "9999-99-99", "2023-1-1", "20231114", "abcd-ef-gh", "", "2023-11-14T00:00:00Z"];
const SERVICES = ["vpc", "CVM", "127", "localhost:9000", "", "cvm/x", "c v m", "x".repeat(200)];
const TERMINATORS = ["tc3_requesT", "tc4_request", "", "tc3_request ", "tc3_request/", "TC3_REQUEST"];
/** Names that Object.prototype has: looked up on a plain object, they find its functions instead of nothing. */
const PROTOTYPE_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "isPrototypeOf"];
const SIGNED_HEADERS = ["content-type", "host", "host;content-type", "content-type;host;x-tc-action", "content-type;host;", "Content-Type;Host", "", "content-type; host", "content-type;;host", "content-type;host;content-type", "constructor;content-type;host", "content-type;host;tostring", "content-type;host;valueof"];
const ALGORITHMS = ["TC3-HMAC-SHA1", "tc3-hmac-sha256", "HmacSHA256", "TC3-HMAC-SHA256X", "", "SKIP", "Bearer", "TC3-HMAC-SHA256\t", "AWS4-HMAC-SHA256"];
const TIMESTAMP_TEXTS = ["abc", "1.7e9", "-1", "0x65", "", "17000000000000", "000001700000", "1700000000.5", "+1700000000", "1_700_000_000"];
const LANGUAGES = ["fr-FR", "EN-us", "zh-cn", "", "zh-CN", "en-US", "en-US, zh-CN", "🙂".slice(0, 1)];
const ACTION_VALUES = ["", "describeinstances", "DescribeInstances ", "NoSuchAction", "DescribeKeyPairs", "CreateImage", "A".repeat(300), "Describe%20Instances", ...PROTOTYPE_NAMES];
const VERSION_VALUES = ["", "2017-03-13", "2018-08-13", "latest", "2017-03-12 "];
const REGION_VALUES = ["", "ap-mars", "AP-GUANGZHOU", "ap-guangzhou-3", "ap-guangzhou ", ...OTHER_REGIONS];

function latin1Only(values: readonly string[]): string[] {
  // Node's HTTP client refuses header values outside tab, 0x20-0x7e and 0x80-0xff.
  return values.filter((v) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v));
}

const tc3Mutation: fc.Arbitrary<Tc3Mutation> = fc.oneof(
  { arbitrary: fc.constant<Tc3Mutation>({ m: "none" }), weight: 2 },
  { arbitrary: fc.constantFrom(...latin1Only(ALGORITHMS)).map((value): Tc3Mutation => ({ m: "algorithm", value })), weight: 2 },
  { arbitrary: fc.oneof(fc.constantFrom(...SECRET_IDS), fc.stringMatching(/^[ -~]{0,40}$/)).map((value): Tc3Mutation => ({ m: "secret-id", value })), weight: 3 },
  { arbitrary: fc.constantFrom(...DATES).map((value): Tc3Mutation => ({ m: "date", value })), weight: 2 },
  { arbitrary: fc.record({ value: fc.constantFrom(...SERVICES), resign: fc.boolean() }).map((r): Tc3Mutation => ({ m: "service", ...r })), weight: 2 },
  { arbitrary: fc.constantFrom(...TERMINATORS).map((value): Tc3Mutation => ({ m: "terminator", value })), weight: 1 },
  { arbitrary: fc.constantFrom(...SIGNED_HEADERS).map((value): Tc3Mutation => ({ m: "signed-headers", value })), weight: 2 },
  {
    arbitrary: fc
      .record({ op: fc.constantFrom<SignatureOp>("flip", "flip", "flip", "truncate", "extend", "uppercase", "non-hex", "empty"), at: fc.nat(63) })
      .map((r): Tc3Mutation => ({ m: "signature", ...r })),
    weight: 4,
  },
  { arbitrary: fc.record({ afterAlgorithm: fc.constantFrom(" ", "  ", "\t", ""), list: fc.constantFrom(", ", ",", " , ", ";", ",  ", ",\t") }).map((r): Tc3Mutation => ({ m: "separators", ...r })), weight: 1 },
  {
    arbitrary: fc
      .oneof(fc.integer({ min: -100_000, max: -301 }), fc.integer({ min: 302, max: 100_000 }), fc.constantFrom(-301, 302, -86_400, 86_400, -1_700_000_000))
      .map((seconds): Tc3Mutation => ({ m: "timestamp-skew", seconds })),
    weight: 3,
  },
  { arbitrary: fc.constantFrom(...TIMESTAMP_TEXTS).map((value): Tc3Mutation => ({ m: "timestamp-text", value })), weight: 2 },
  { arbitrary: fc.integer({ min: -60, max: 60 }).filter((s) => s !== 0).map((seconds): Tc3Mutation => ({ m: "timestamp-drift", seconds })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom<Tc3Header>("Authorization", "X-TC-Action", "X-TC-Version", "X-TC-Region", "X-TC-Timestamp", "X-TC-Language", "X-TC-RequestClient", "X-TC-TraceId", "Content-Type", "Host")
      .map((name): Tc3Mutation => ({ m: "missing-header", name })),
    weight: 3,
  },
  {
    arbitrary: fc
      .constantFrom<Exclude<Tc3Header, "Host">>("Authorization", "X-TC-Action", "X-TC-Version", "X-TC-Region", "X-TC-Timestamp", "X-TC-Language", "X-TC-RequestClient", "X-TC-TraceId", "Content-Type")
      .map((name): Tc3Mutation => ({ m: "duplicate-header", name })),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom("permanent-with-token" as const, "temporary" as const, "temporary-missing" as const, "temporary-wrong" as const).map((mode): Tc3Mutation => ({ m: "token", mode })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...latin1Only(LANGUAGES)).map((value): Tc3Mutation => ({ m: "language", value })), weight: 1 },
  { arbitrary: fc.boolean().map((signed): Tc3Mutation => ({ m: "unsigned-payload", signed })), weight: 1 },
  {
    arbitrary: fc.constantFrom("x".repeat(1000), "\u00e9\u00ff", "", " padded ", "a, b", "<script>", "%00").map((value): Tc3Mutation => ({ m: "trace-id", value })),
    weight: 1,
  },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(...ACTION_VALUES).map((value): Tc3Mutation => ({ m: "common", name: "X-TC-Action", value })),
      fc.constantFrom(...VERSION_VALUES).map((value): Tc3Mutation => ({ m: "common", name: "X-TC-Version", value })),
      fc.constantFrom(...REGION_VALUES).map((value): Tc3Mutation => ({ m: "common", name: "X-TC-Region", value })),
    ),
    weight: 2,
  },
);

const v1Mutation: fc.Arbitrary<V1Mutation> = fc.oneof(
  { arbitrary: fc.constant<V1Mutation>({ m: "none" }), weight: 2 },
  { arbitrary: fc.constantFrom("flip" as const, "truncate" as const, "garbage" as const, "lower" as const).map((op): V1Mutation => ({ m: "signature", op })), weight: 3 },
  { arbitrary: fc.oneof(fc.constantFrom(...SECRET_IDS.filter((s) => s !== "")), fc.string({ minLength: 1, maxLength: 40 })).map((value): V1Mutation => ({ m: "secret-id", value })), weight: 2 },
  { arbitrary: fc.constantFrom<V1Name>("SecretId", "Signature", "Nonce", "Timestamp", "Action", "Version", "Region").map((name): V1Mutation => ({ m: "missing", name })), weight: 3 },
  { arbitrary: fc.constantFrom<V1Name>("SecretId", "Signature", "Nonce", "Timestamp", "Action", "Version", "Region").map((name): V1Mutation => ({ m: "empty", name })), weight: 1 },
  {
    arbitrary: fc.oneof(fc.integer({ min: -100_000, max: -301 }), fc.integer({ min: 302, max: 100_000 }), fc.constantFrom(-301, 302)).map((seconds): V1Mutation => ({ m: "timestamp-skew", seconds })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...TIMESTAMP_TEXTS.filter((t) => t !== "")).map((value): V1Mutation => ({ m: "timestamp-text", value })), weight: 1 },
  {
    arbitrary: fc
      .record({ sent: fc.constantFrom<string | null>(null, "HmacSHA1", "HmacSHA256", "hmacsha256", "HMACSHA256", "TC3-HMAC-SHA256", ""), signWith: fc.constantFrom("HmacSHA1" as const, "HmacSHA256" as const) })
      .map((r): V1Mutation => ({ m: "signature-method", ...r })),
    weight: 2,
  },
  {
    arbitrary: fc.constantFrom("permanent-with-token" as const, "temporary" as const, "temporary-missing" as const, "temporary-wrong" as const).map((mode): V1Mutation => ({ m: "token", mode })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...LANGUAGES).map((value): V1Mutation => ({ m: "language", value })), weight: 1 },
  { arbitrary: fc.constantFrom("Action" as const, "Nonce" as const, "Region" as const, "Version" as const).map((name): V1Mutation => ({ m: "duplicate", name })), weight: 1 },
  { arbitrary: fc.constant<V1Mutation>({ m: "tampered" }), weight: 1 },
  { arbitrary: fc.constantFrom("cvm.tencentcloudapi.com", "127.0.0.2", "", "http://127.0.0.1").map((value): V1Mutation => ({ m: "signed-host", value })), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(...ACTION_VALUES.filter((v) => v !== "")).map((value): V1Mutation => ({ m: "common", name: "Action", value })),
      fc.constantFrom(...VERSION_VALUES.filter((v) => v !== "")).map((value): V1Mutation => ({ m: "common", name: "Version", value })),
      fc.constantFrom(...REGION_VALUES.filter((v) => v !== "")).map((value): V1Mutation => ({ m: "common", name: "Region", value })),
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom("18446744073709551615", "9223372036854775807", "0", "-5", "abc", "1".repeat(60)).map((value): V1Mutation => ({ m: "nonce", value })), weight: 1 },
);

export type CaseMix = "all" | "params" | "signatures" | "transport";

/** The arbitraries of every case family, built once the seeded instance ids are known. */
export class CaseGen {
  readonly trees: TreeGen;

  constructor(ctx: GenContext) {
    this.trees = new TreeGen(ctx);
  }

  /** A valid tree for a random implemented action. */
  private validRequest(): fc.Arbitrary<{ action: string; tree: JsonNode }> {
    return fc.oneof(...ACTIONS.map((action) => ({ arbitrary: this.trees.request(action).map((tree) => ({ action, tree })), weight: actionWeight(action) })));
  }

  params(): fc.Arbitrary<ParamCase> {
    return fc
      .record({
        shape: fc.oneof(
          { arbitrary: fc.constant<ParamShape>("tc3-post"), weight: 5 },
          { arbitrary: fc.constant<ParamShape>("tc3-get"), weight: 2 },
          { arbitrary: fc.constant<ParamShape>("v1-get"), weight: 2 },
          { arbitrary: fc.constant<ParamShape>("v1-post"), weight: 2 },
        ),
        count: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.constant(1), weight: 6 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 2 }),
        region: fc.oneof({ arbitrary: fc.constant(REGION), weight: 12 }, { arbitrary: fc.constantFrom(...OTHER_REGIONS), weight: 1 }),
        json: fc.constantFrom<JsonStyle>("compact", "spaced", "ascii"),
        url: fc.constantFrom<UrlStyle>("node", "python", "lower"),
        sortPairs: fc.boolean(),
        signMethod: fc.constantFrom("HmacSHA1" as const, "HmacSHA256" as const),
        base: this.validRequest(),
      })
      .chain(({ base, count, ...rest }) =>
        mutate(base.action, base.tree, count, this.trees).map(({ tree, mutations }): ParamCase => ({ kind: "params", action: base.action, tree, mutations, ...rest })),
      );
  }

  tc3(): fc.Arbitrary<Tc3Case> {
    return fc
      .record({ method: fc.constantFrom("POST" as const, "POST" as const, "GET" as const), base: this.validRequest(), mutation: tc3Mutation })
      .map(({ method, base, mutation }): Tc3Case => ({ kind: "tc3", method, action: base.action, tree: base.tree, mutation }));
  }

  v1(): fc.Arbitrary<V1Case> {
    return fc
      .record({ method: fc.constantFrom("POST" as const, "GET" as const), base: this.validRequest(), mutation: v1Mutation })
      .map(({ method, base, mutation }): V1Case => ({ kind: "v1", method, action: base.action, tree: base.tree, mutation }));
  }

  transport(): fc.Arbitrary<TransportCase> {
    const variant: fc.Arbitrary<TransportVariant> = fc.oneof(
      { arbitrary: fc.constantFrom(...BAD_JSON).map((text): TransportVariant => ({ t: "raw-json", bytes: Buffer.from(text, "utf8"), note: "bad JSON" })), weight: 4 },
      {
        arbitrary: fc
          .record({ bytes: fc.constantFrom(...INVALID_UTF8), inString: fc.boolean() })
          .map(({ bytes, inString }): TransportVariant => ({
            t: "raw-json",
            bytes: inString
              ? Buffer.concat([Buffer.from('{"Filters":[{"Name":"instance-name","Values":["'), bytes, Buffer.from('"]}]}')])
              : Buffer.concat([Buffer.from('{"Limit":1'), bytes, Buffer.from("}")]),
            note: `invalid UTF-8 ${inString ? "in a string" : "between tokens"}`,
          })),
        weight: 1,
      },
      {
        arbitrary: fc
          .record({ shape: fc.constantFrom("v1-post" as const, "v1-get" as const, "tc3-get" as const), injection: fc.constantFrom(...BAD_ENCODINGS), position: fc.nat(1000) })
          .map((r): TransportVariant => ({ t: "bad-encoding", ...r })),
        weight: 4,
      },
      {
        arbitrary: fc
          .record({ shape: fc.constantFrom("tc3-post" as const, "tc3-post" as const, "tc3-get" as const, "v1-post" as const), value: fc.constantFrom(...CONTENT_TYPES) })
          .map((r): TransportVariant => ({ t: "content-type", ...r })),
        weight: 4,
      },
      {
        arbitrary: fc
          .record({ method: fc.constantFrom(...METHODS), signedAs: fc.constantFrom("tc3-post" as const, "tc3-get" as const, "v1-get" as const) })
          .map((r): TransportVariant => ({ t: "method", ...r })),
        weight: 4,
      },
      {
        arbitrary: fc
          .record({
            shape: fc.constantFrom("tc3-post" as const, "tc3-get" as const, "v1-get" as const, "v1-post" as const),
            scheme: fc.constantFrom("http", "HTTP", "https"),
            authority: fc.constantFrom(...AUTHORITIES),
          })
          .map((r): TransportVariant => ({ t: "absolute-form", ...r })),
        weight: 3,
      },
      { arbitrary: fc.record({ shape: fc.constantFrom("tc3-post" as const, "tc3-get" as const), path: fc.constantFrom(...PATHS) }).map((r): TransportVariant => ({ t: "path", ...r })), weight: 2 },
      { arbitrary: fc.constantFrom("Action=RunInstances&Limit=%zz", "%", "a=b", "X-TC-Action=Foo").map((query): TransportVariant => ({ t: "post-query", query })), weight: 1 },
      { arbitrary: fc.constantFrom("{}", "garbage", "Action=RunInstances").map((body): TransportVariant => ({ t: "get-body", body })), weight: 1 },
      { arbitrary: fc.integer({ min: 2, max: 6 }).map((pieces): TransportVariant => ({ t: "chunked", pieces })), weight: 1 },
      {
        arbitrary: fc
          .record({ what: fc.constantFrom("tc3-body" as const, "v1-body" as const, "v1-body" as const, "get-target" as const, "get-target" as const), extra: fc.integer({ min: 1, max: 20_000 }) })
          .map((r): TransportVariant => ({ t: "oversize", ...r })),
        weight: 1,
      },
      { arbitrary: fc.integer({ min: 40 * 1024 * 1024 + 1, max: 2 ** 40 }).map((length): TransportVariant => ({ t: "declared-length", length })), weight: 1 },
      {
        arbitrary: fc.record({ finish: fc.constantFrom("destroy" as const, "end" as const), missing: fc.integer({ min: 1, max: 100_000 }) }).map((r): TransportVariant => ({ t: "truncated", ...r })),
        weight: 2,
      },
      { arbitrary: fc.integer({ min: 65 * 1024, max: 200 * 1024 }).map((size): TransportVariant => ({ t: "header-overflow", size })), weight: 1 },
      { arbitrary: fc.constantFrom(...GARBAGE).map((text): TransportVariant => ({ t: "garbage", text })), weight: 3 },
      { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes): TransportVariant => ({ t: "random-bytes", bytes })), weight: 1 },
      { arbitrary: fc.integer({ min: 2, max: 4 }).map((count): TransportVariant => ({ t: "pipelined", count })), weight: 1 },
      { arbitrary: fc.constantFrom("tc3-post" as const, "v1-get" as const).map((shape): TransportVariant => ({ t: "missing-host", shape })), weight: 1 },
      { arbitrary: fc.constantFrom("100-continue", "200-ok", "foo", "").map((value): TransportVariant => ({ t: "expect", value })), weight: 1 },
      { arbitrary: fc.constant<TransportVariant>({ t: "connect" }), weight: 1 },
    );
    return fc.record({ base: this.validRequest(), variant }).map(({ base, variant: v }): TransportCase => ({ kind: "transport", action: base.action, tree: base.tree, variant: v }));
  }

  /** One case of the given family mix. */
  case(mix: CaseMix): fc.Arbitrary<FuzzCase> {
    switch (mix) {
      case "params":
        return this.params();
      case "signatures":
        return fc.oneof({ arbitrary: this.tc3(), weight: 3 }, { arbitrary: this.v1(), weight: 2 });
      case "transport":
        return this.transport();
      case "all":
        return fc.oneof(
          { arbitrary: this.params(), weight: 10 },
          { arbitrary: this.tc3(), weight: 3 },
          { arbitrary: this.v1(), weight: 2 },
          { arbitrary: this.transport(), weight: 5 },
        );
    }
  }

  batch(mix: CaseMix, size: number): fc.Arbitrary<FuzzCase[]> {
    return fc.array(this.case(mix), { minLength: size, maxLength: size });
  }
}

export function caseLabel(c: FuzzCase): string {
  switch (c.kind) {
    case "params":
      return `params/${c.shape}/${c.action}${c.region === REGION ? "" : `@${c.region}`} [${c.mutations.map(mutationLabel).join(", ") || "valid"}]`;
    case "tc3":
      return `tc3/${c.method}/${c.action} ${clip(JSON.stringify(c.mutation), 160)}`;
    case "v1":
      return `v1/${c.method}/${c.action} ${clip(JSON.stringify(c.mutation), 160)}`;
    case "transport": {
      const v = c.variant;
      const detail =
        v.t === "raw-json" ? `${v.note} ${JSON.stringify(clip(v.bytes.toString("latin1"), 60))}`
        : v.t === "random-bytes" ? `${v.bytes.length} bytes`
        : v.t === "garbage" ? JSON.stringify(clip(v.text, 60))
        : clip(JSON.stringify(v), 160);
      return `transport/${v.t}/${c.action} ${detail}`;
    }
  }
}

// =====================================================================================================
// 2. The oracle
// =====================================================================================================

export interface Expectation {
  /** The action's handler may run: success is allowed (and the request may change state). */
  success: boolean;
  /** Error codes allowed by name. */
  codes: ReadonlySet<string>;
  /** Error classes allowed, beyond the codes named. */
  classes: ReadonlySet<ErrorClass>;
  /** required; optional (the server may close the connection instead); none (the client gave up). */
  answer: "required" | "optional" | "none";
  /** A HEAD request: the answer has headers only. */
  head: boolean;
  /** Which rule decided, for failure reports. */
  why: string;
  /** For pipelined requests: how many answers. */
  answers?: number;
}

function exactly(codes: string | readonly string[], why: string, extra: Partial<Expectation> = {}): Expectation {
  return { success: false, codes: new Set(typeof codes === "string" ? [codes] : codes), classes: new Set(), answer: "required", head: false, why, ...extra };
}

/** What an action's handler may answer: success, or a parameter, state or quota error (DryRunOperation if asked). */
function handlerSet(dryRun: boolean, why: string): Expectation {
  const classes: ErrorClass[] = ["parameter", "state", "quota"];
  if (dryRun) classes.push("dryrun");
  return { success: true, codes: new Set(), classes: new Set(classes), answer: "required", head: false, why };
}

/** What a JSON body must draw, given the server reads it as UTF-8 text and parses it (§4.3, §8). */
function jsonBodyExpectation(action: string, body: Buffer): Expectation {
  if (!Object.hasOwn(MODEL.actions, action)) return exactly("InvalidAction", `action ${action}`);
  if (!IMPLEMENTED.has(action)) return exactly("UnsupportedOperation", "the action is in the model but not implemented");
  const text = body.toString("utf8").trim();
  let parsed: unknown = {};
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      return exactly("InvalidParameter", "the body is not JSON");
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return exactly("InvalidParameter", "the body is not a JSON object");
  const view = parsed as View;
  const violations = parameterViolations(action, view);
  if (violations.size > 0) return exactly([...violations], `the parameters break the model: ${[...violations].join("/")}`);
  return handlerSet(dryRunAsked(action, isRecord(view) ? view["DryRun"] : undefined), "valid parameters: the handler decides");
}

function dryRunAsked(action: string, value: View | undefined): boolean {
  const hasField = MODEL.types[MODEL.actions[action]!.request]?.["DryRun"] !== undefined;
  return hasField && (value === true || (typeof value === "string" && /^true$/i.test(value)));
}

/** A name that flattens to itself and means nothing else to the v1 parser. */
function plainName(name: string, topLevel: boolean, v1: boolean): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !(v1 && topLevel && V1_COMMON.has(name));
}

/** Does the value flatten to at least one pair (§6: nulls, empty lists and empty objects vanish)? */
function flattensToSomething(node: JsonNode): boolean {
  return flatten(toView(node, "flat")).length > 0;
}

/**
 * What flattened parameters must draw. Flattening loses types (every leaf is a string again, coerced by the
 * model), so a code is exact only for the two mutations that survive it unchanged: a missing required field
 * and an unknown field with a plain name and a value that does not vanish. Otherwise the handler set, which
 * includes every parameter error.
 */
function flatExpectation(c: { action: string; tree: JsonNode; mutations: readonly Mutation[] }, pairs: ReadonlyArray<[string, string]>, v1: boolean): Expectation {
  if (!Object.hasOwn(MODEL.actions, c.action)) return exactly("InvalidAction", `action ${c.action}`);
  if (!IMPLEMENTED.has(c.action)) return exactly("UnsupportedOperation", "the action is in the model but not implemented");
  const dryRun = dryRunAsked(c.action, pairs.filter(([k]) => k === "DryRun").at(-1)?.[1]);
  if (c.mutations.length === 1 && c.tree.t === "obj") {
    const m = c.mutations[0]!;
    const parentSurvives = (path: readonly Segment[]) => {
      if (path.length === 0) return true;
      let node: JsonNode | undefined = c.tree;
      for (const seg of path) {
        if (node?.t === "obj" && typeof seg === "string") node = node.entries[lastIndexOf(node, seg)]?.[1];
        else if (node?.t === "arr" && typeof seg === "number") node = node.items[seg];
        else node = undefined;
      }
      return node !== undefined && flattensToSomething(node);
    };
    const exact =
      (m.kind === "unknown-field" && plainName(m.name, m.path.length === 0, v1) && flattensToSomething(m.value)) ||
      (m.kind === "missing-required" && parentSurvives(m.path.slice(0, -1)));
    if (exact) {
      const violations = parameterViolations(c.action, toView(c.tree, "json"));
      if (violations.size > 0) return exactly([...violations], `flattened ${m.kind}: ${[...violations].join("/")}`);
    }
  }
  return handlerSet(dryRun, "flattened parameters: the handler decides");
}

function paramsExpectation(c: { action: string; tree: JsonNode; mutations: readonly Mutation[] }, json: boolean, body: Buffer, pairs: ReadonlyArray<[string, string]>, v1: boolean): Expectation {
  return json ? jsonBodyExpectation(c.action, body) : flatExpectation(c, pairs, v1);
}

/** Does the form/query text decode (§5 step 1: `%XX` and `+`)? */
function formDecodes(text: string): boolean {
  if (!text.includes("%")) return true;
  for (const part of text.split("&")) {
    for (const piece of part.split("=")) {
      if (!piece.includes("%")) continue;
      try {
        decodeURIComponent(piece.replace(/\+/g, " "));
      } catch {
        return false;
      }
    }
  }
  return true;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

function utcDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

interface OracleCredential {
  secretKey: string;
  token?: string;
}

/** What went on the wire, as the server will see it. */
interface WireFacts {
  method: string;
  targetBytes: number;
  bodyBytes: number;
  /** Lower-case name → value, repeated headers joined with ", " (what the server reads). */
  headers: ReadonlyMap<string, string>;
  /** Does the parameter text (query for GET, form body for v1 POST) decode? */
  textDecodes: boolean;
  /** v1: every decoded parameter, common ones included. */
  pairs: ReadonlyArray<[string, string]>;
  /** Does the signature cover exactly what was sent (known by construction)? */
  signatureIntact: boolean;
  /** Unix seconds when the request was built. */
  now: number;
  /** What the API parameters alone must draw. */
  params: Expectation;
}

/** §10 and §8: action, version and region, checked before authentication. */
function routeCode(action: string | undefined, version: string | undefined, region: string | undefined): { code: string; why: string } | undefined {
  if (!action) return { code: "MissingParameter", why: "no Action" };
  if (!version) return { code: "MissingParameter", why: "no Version" };
  // STS is served too (it issues the temporary key), at its own version: no CVM action is one of its actions.
  if (version === STS_VERSION && !Object.hasOwn(STS_MODEL.actions, action)) return { code: "InvalidAction", why: `action ${action} at STS's version` };
  if (version !== VERSION) return { code: "NoSuchVersion", why: `version ${version}` };
  if (!Object.hasOwn(MODEL.actions, action)) return { code: "InvalidAction", why: `action ${action}` };
  if (!region) return action === "DescribeRegions" ? undefined : { code: "MissingParameter", why: "no Region" };
  if (!cvm.isRegion(region)) return { code: "UnsupportedRegion", why: `region ${region}` };
  return undefined;
}

function languageBad(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "en-US" && value !== "zh-CN";
}

/** §3: Timestamp present, an integer, within ±300 s. */
function timestampCode(text: string | undefined, now: number): { code: string; why: string } | undefined {
  if (text === undefined || text === "") return { code: "MissingParameter", why: "no timestamp" };
  if (!/^\d{1,12}$/.test(text)) return { code: "AuthFailure.SignatureExpire", why: `timestamp ${JSON.stringify(text)} is not an integer` };
  if (Math.abs(Number(text) - now) > WINDOW_SECONDS) return { code: "AuthFailure.SignatureExpire", why: `timestamp ${text} is ${Number(text) - now} s from now` };
  return undefined;
}

/** §4.2 step 5 and §8: SecretId form, existence, token. */
function credentialCode(secretId: string, token: string | undefined, credentials: ReadonlyMap<string, OracleCredential>): { code: string; why: string } | undefined {
  if (!isWellFormedSecretId(secretId)) return { code: "AuthFailure.InvalidSecretId", why: "SecretId of the wrong form" };
  const credential = credentials.get(secretId);
  if (!credential) return { code: "AuthFailure.SecretIdNotFound", why: "unknown SecretId" };
  if (credential.token !== undefined) {
    if (!token) return { code: "AuthFailure.TokenFailure", why: "temporary key without its token" };
    if (token !== credential.token) return { code: "AuthFailure.TokenFailure", why: "wrong token" };
  } else if (token) return { code: "AuthFailure.TokenFailure", why: "token with a permanent key" };
  return undefined;
}

/** The expected answer for what went on the wire: the checks of §1, §2, §4.2, §5 and §10 in order. */
function expectationFor(f: WireFacts, credentials: ReadonlyMap<string, OracleCredential>): Expectation {
  const method = f.method;
  const fail = (r: { code: string; why: string }) => exactly(r.code, r.why);
  if (method !== "GET" && method !== "POST") return exactly("UnsupportedProtocol", `method ${method}`, { head: method === "HEAD" });
  if (method === "GET" && f.targetBytes > LIMITS.get) return exactly("RequestSizeLimitExceeded", `GET target of ${f.targetBytes} bytes`);
  if (method === "POST" && f.bodyBytes > LIMITS.tc3Post) return exactly("RequestSizeLimitExceeded", `body of ${f.bodyBytes} bytes`);
  const authorization = f.headers.get("authorization");
  const type = mediaType(f.headers.get("content-type"));

  if ((authorization !== undefined && authorization !== "") || (method === "POST" && type === "application/json")) {
    // TC3 (§2 shapes 1 and 4).
    if (authorization && !authorization.startsWith("TC3-HMAC-SHA256") && authorization !== "SKIP") return exactly("AuthFailure.InvalidAuthorization", "not a TC3 Authorization");
    if (method === "POST") {
      if (type === "multipart/form-data") return exactly("InvalidRequest", "multipart");
      if (type === FORM) return exactly("AuthFailure.SignatureFailure", "form body with TC3");
      if (type !== "application/json") return exactly("InvalidRequest", `content type ${JSON.stringify(type)} with TC3`);
    } else if (!f.textDecodes) return exactly("InvalidParameter", "the query does not URL-decode");
    if (languageBad(f.headers.get("x-tc-language"))) return exactly("InvalidParameterValue", "bad X-TC-Language");
    const route = routeCode(f.headers.get("x-tc-action"), f.headers.get("x-tc-version"), f.headers.get("x-tc-region"));
    if (route) return fail(route);
    if (!authorization) return exactly("MissingParameter", "JSON POST without Authorization");
    const parsed = TC3_AUTHORIZATION_RE.exec(authorization.trim());
    if (!parsed) return exactly("AuthFailure.InvalidAuthorization", "Authorization does not parse");
    const timestamp = f.headers.get("x-tc-timestamp");
    const ts = timestampCode(timestamp, f.now);
    if (ts) return fail(ts);
    if (parsed[2] !== utcDate(Number(timestamp))) return exactly("AuthFailure.SignatureFailure", "credential date ≠ timestamp date");
    const signed = parsed[4]!.split(";");
    if (!signed.includes("content-type") || !signed.includes("host")) return exactly("AuthFailure.SignatureFailure", "SignedHeaders without content-type or host");
    const credential = credentialCode(parsed[1]!, f.headers.get("x-tc-token"), credentials);
    if (credential) return fail(credential);
    if (!f.signatureIntact) return exactly("AuthFailure.SignatureFailure", "the signature does not cover what was sent");
    return f.params;
  }

  // v1 (§2 shapes 2 and 5).
  if (method === "POST") {
    if (type !== FORM) return exactly("InvalidRequest", `content type ${JSON.stringify(type)} without TC3`);
    if (f.bodyBytes > LIMITS.v1Post) return exactly("RequestSizeLimitExceeded", `v1 body of ${f.bodyBytes} bytes`);
  }
  if (!f.textDecodes) return exactly("InvalidParameter", "the parameters do not URL-decode");
  const common = new Map<string, string>();
  for (const [k, v] of f.pairs) if (V1_COMMON.has(k)) common.set(k, v);
  if (languageBad(common.get("Language"))) return exactly("InvalidParameterValue", "bad Language");
  const route = routeCode(common.get("Action"), common.get("Version"), common.get("Region"));
  if (route) return fail(route);
  for (const name of ["SecretId", "Signature", "Nonce"]) if (!common.get(name)) return exactly("MissingParameter", `no ${name}`);
  const ts = timestampCode(common.get("Timestamp"), f.now);
  if (ts) return fail(ts);
  const credential = credentialCode(common.get("SecretId")!, common.get("Token"), credentials);
  if (credential) return fail(credential);
  if (!f.signatureIntact) return exactly("AuthFailure.SignatureFailure", "the signature does not cover what was sent");
  return f.params;
}

// =====================================================================================================
// 2b. Building the wire request (signing with the official signer) and its expectation
// =====================================================================================================

export interface Credential {
  secretId: string;
  secretKey: string;
  token?: string;
}

export interface FuzzEnv {
  port: number;
  permanent: Credential;
  temporary: Credential & { token: string };
}

export type Wire =
  | {
      readonly via: "http";
      readonly method: string;
      readonly target: string;
      readonly headers: ReadonlyArray<readonly [string, string]>;
      readonly body: Buffer | undefined;
      /** Write the body in this many pieces, without Content-Length (chunked). */
      readonly chunks?: number;
    }
  | { readonly via: "raw"; readonly data: Buffer; readonly finish: "keep" | "end" | "destroy" };

export interface Prepared {
  readonly label: string;
  readonly expect: Expectation;
  readonly wire: Wire;
  /** The X-TC-TraceId sent (once), which the answer must echo. */
  readonly traceId: string | undefined;
}

function credentialTable(env: FuzzEnv): Map<string, OracleCredential> {
  return new Map<string, OracleCredential>([
    [env.permanent.secretId, { secretKey: env.permanent.secretKey }],
    [env.temporary.secretId, { secretKey: env.temporary.secretKey, token: env.temporary.token }],
  ]);
}

function headerMap(headers: ReadonlyArray<readonly [string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    // Node's parser strips leading and trailing whitespace from header values.
    const v = value.trim();
    const prev = out.get(key);
    out.set(key, prev === undefined ? v : `${prev}, ${v}`);
  }
  return out;
}

/** Percent-encodes UTF-8 (a lone surrogate becomes U+FFFD, as every encoder does). */
function encodeComponent(text: string, style: UrlStyle): string {
  const encoded = encodeURIComponent(wellFormed(text));
  // Node keeps !'()*; `'` is escaped here all the same, since the signer's URL parser would re-encode it.
  if (style === "node") return encoded.replace(/'/g, "%27");
  const strict = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return style === "python" ? strict.replace(/%20/g, "+") : strict.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}

function encodePairs(pairs: ReadonlyArray<readonly [string, string]>, style: UrlStyle): string {
  return pairs.map(([k, v]) => `${encodeComponent(k, style)}=${encodeComponent(v, style)}`).join("&");
}

/** What the server decodes a string to after it went through UTF-8 (lone surrogates become U+FFFD). */
function wellFormed(text: string): string {
  return /[\ud800-\udfff]/.test(text) ? Buffer.from(text, "utf8").toString("utf8") : text;
}

function flatPairs(tree: JsonNode, url: UrlStyle, sort: boolean): Array<[string, string]> {
  const pairs = flatten(toView(tree, url === "python" ? "python" : "flat")).map(([k, v]): [string, string] => [wellFormed(k), wellFormed(v)]);
  return sort ? pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : pairs;
}

interface AuthParts {
  algorithm: string;
  afterAlgorithm: string;
  secretId: string;
  date: string;
  service: string;
  terminator: string;
  signedHeaders: string;
  signature: string;
  list: string;
}

function assemble(p: AuthParts): string {
  return `${p.algorithm}${p.afterAlgorithm}Credential=${p.secretId}/${p.date}/${p.service}/${p.terminator}${p.list}SignedHeaders=${p.signedHeaders}${p.list}Signature=${p.signature}`;
}

const SIGNER_OUTPUT_RE = /^TC3-HMAC-SHA256 Credential=([^/]*)\/(\d{4}-\d{2}-\d{2})\/(.*)\/tc3_request, SignedHeaders=([^,]*), Signature=([0-9a-f]{64})$/;

/** Signs with the official SDK signer; the signed host is the hostname of signUrl. */
function sign3(o: { method: "GET" | "POST"; signUrl: string; payload: Buffer; timestamp: number; service: string; credential: Credential; contentType: string | null }): AuthParts {
  const header = Sign.sign3({
    method: o.method,
    url: o.signUrl,
    payload: o.payload,
    timestamp: o.timestamp,
    service: o.service,
    secretId: o.credential.secretId,
    secretKey: o.credential.secretKey,
    multipart: false,
    boundary: "",
    headers: o.contentType === null ? {} : { "Content-Type": o.contentType },
  });
  const m = SIGNER_OUTPUT_RE.exec(header);
  if (!m) throw new Error(`unexpected signer output ${header}`);
  return { algorithm: "TC3-HMAC-SHA256", afterAlgorithm: " ", secretId: m[1]!, date: m[2]!, service: m[3]!, terminator: "tc3_request", signedHeaders: m[4]!, signature: m[5]!, list: ", " };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Everything that goes into a TC3 request; each mutation adjusts it before or after signing. */
interface Tc3Spec {
  method: string;
  signAs: "GET" | "POST";
  /** The request target; default `/` plus `?query`. */
  target: string | undefined;
  query: string;
  body: Buffer | undefined;
  contentType: string | null;
  /** The Host header; null sends none. */
  host: string | null;
  /** The URL host given to the signer (its hostname is what gets signed). */
  signHost: string;
  credential: Credential;
  /** X-TC-Token; default the credential's own token. */
  token: string | null | undefined;
  timestamp: number;
  /** X-TC-Timestamp as sent; default the signed timestamp. */
  timestampHeader: string | null | undefined;
  service: string;
  /** The service in the Authorization header, when it differs from the signed one. */
  headerService: string | undefined;
  unsignedPayload: "off" | "signed" | "header-only";
  action: string | null;
  version: string | null;
  region: string | null;
  language: string | null;
  traceId: string;
  duplicate: string | undefined;
  omit: string | undefined;
  rewrite: ((parts: AuthParts) => void) | undefined;
  extraHeaders: Array<[string, string]>;
}

function baseTc3(env: FuzzEnv, method: "GET" | "POST", action: string, region: string): Tc3Spec {
  return {
    method,
    signAs: method,
    target: undefined,
    query: "",
    body: undefined,
    contentType: method === "GET" ? FORM : "application/json",
    host: `127.0.0.1:${env.port}`,
    signHost: `127.0.0.1:${env.port}`,
    credential: env.permanent,
    token: undefined,
    timestamp: nowSeconds(),
    timestampHeader: undefined,
    service: "cvm",
    headerService: undefined,
    unsignedPayload: "off",
    action,
    version: VERSION,
    region: action === "DescribeRegions" && region === REGION ? null : region,
    language: "en-US",
    traceId: randomUUID(),
    duplicate: undefined,
    omit: undefined,
    rewrite: undefined,
    extraHeaders: [],
  };
}

function buildTc3(spec: Tc3Spec): { headers: Array<[string, string]>; target: string; body: Buffer | undefined } {
  const suffix = spec.query === "" ? "" : `?${spec.query}`;
  const parts = sign3({
    method: spec.signAs,
    signUrl: `http://${spec.signHost}/${spec.signAs === "GET" ? suffix : ""}`,
    payload: spec.unsignedPayload === "signed" ? Buffer.from(UNSIGNED_PAYLOAD) : spec.signAs === "GET" ? Buffer.alloc(0) : (spec.body ?? Buffer.alloc(0)),
    timestamp: spec.timestamp,
    service: spec.service,
    credential: spec.credential,
    contentType: spec.contentType,
  });
  if (spec.headerService !== undefined) parts.service = spec.headerService;
  spec.rewrite?.(parts);
  const headers: Array<[string, string]> = [];
  const add = (name: string, value: string | null | undefined) => {
    if (value === null || value === undefined || name === spec.omit) return;
    headers.push([name, value]);
    if (name === spec.duplicate) headers.push([name, value]);
  };
  add("Host", spec.host);
  add("Content-Type", spec.contentType);
  add("Authorization", assemble(parts));
  add("X-TC-Timestamp", spec.timestampHeader === undefined ? String(spec.timestamp) : spec.timestampHeader);
  add("X-TC-Action", spec.action);
  add("X-TC-Version", spec.version);
  add("X-TC-Region", spec.region);
  add("X-TC-Language", spec.language);
  add("X-TC-RequestClient", "SDK_NODEJS_fuzz");
  add("X-TC-TraceId", spec.traceId);
  add("X-TC-Token", spec.token === undefined ? spec.credential.token : spec.token);
  if (spec.unsignedPayload !== "off") add("X-TC-Content-SHA256", UNSIGNED_PAYLOAD);
  for (const [k, v] of spec.extraHeaders) headers.push([k, v]);
  return { headers, target: spec.target ?? `/${suffix}`, body: spec.body };
}

/** A TC3 request as a Prepared: its wire and the oracle's expectation. */
function tc3Prepared(env: FuzzEnv, label: string, spec: Tc3Spec, intact: boolean | (() => boolean), params: Expectation, textDecodes = true): Prepared {
  const built = buildTc3(spec);
  const sendBody = built.body !== undefined && spec.method !== "HEAD" && spec.method !== "TRACE";
  const body = sendBody ? built.body : undefined;
  const facts: WireFacts = {
    method: spec.method,
    targetBytes: Buffer.byteLength(built.target),
    bodyBytes: body?.length ?? 0,
    headers: headerMap(built.headers),
    textDecodes,
    pairs: [],
    // Some mutations only know once the request is signed whether they changed anything.
    signatureIntact: typeof intact === "function" ? intact() : intact,
    now: nowSeconds(),
    params,
  };
  const traceIds = built.headers.filter(([k]) => k === "X-TC-TraceId").length;
  return {
    label,
    expect: expectationFor(facts, credentialTable(env)),
    wire: { via: "http", method: spec.method, target: built.target, headers: built.headers, body },
    // Node trims header values; the server echoes at most 256 characters.
    traceId: traceIds === 1 ? spec.traceId.trim().slice(0, 256) : undefined,
  };
}

/** Everything that goes into a v1 request. */
interface V1Spec {
  method: string;
  signAs: "GET" | "POST";
  apiPairs: Array<[string, string]>;
  /** Common parameters, in the order sent. Signature is appended after signing. */
  common: Array<[string, string]>;
  signWith: "HmacSHA1" | "HmacSHA256";
  /** The key the signature is made with. */
  secretKey: string;
  signHost: string;
  host: string | null;
  contentType: string | null;
  url: UrlStyle;
  /** Rewrites the signature as sent; null leaves it out. */
  signature: (s: string) => string | null;
  /** Changes the parameters after signing. */
  tamper: ((pairs: Array<[string, string]>) => Array<[string, string]>) | undefined;
  /** The request target for a given query; default `/?query` (GET) or `/` (POST). */
  target: ((query: string) => string) | undefined;
  traceId: string;
}

function baseV1(env: FuzzEnv, method: "GET" | "POST", action: string, region: string, apiPairs: Array<[string, string]>, url: UrlStyle): V1Spec {
  const common: Array<[string, string]> = [
    ["Action", action],
    ["Version", VERSION],
    ["Timestamp", String(nowSeconds())],
    ["Nonce", String(1 + Math.floor(Math.random() * 2 ** 31))],
    ["SecretId", env.permanent.secretId],
    ["SignatureMethod", "HmacSHA256"],
    ["RequestClient", "SDK_PYTHON_fuzz"],
  ];
  if (!(action === "DescribeRegions" && region === REGION)) common.push(["Region", region]);
  return {
    method,
    signAs: method,
    apiPairs,
    common,
    signWith: "HmacSHA256",
    secretKey: env.permanent.secretKey,
    signHost: `127.0.0.1:${env.port}`,
    host: `127.0.0.1:${env.port}`,
    contentType: method === "POST" ? FORM : null,
    url,
    signature: (s) => s,
    tamper: undefined,
    target: undefined,
    traceId: randomUUID(),
  };
}

function setCommon(spec: V1Spec, name: string, value: string | null): void {
  spec.common = spec.common.filter(([k]) => k !== name);
  if (value !== null) spec.common.push([name, value]);
}

/** What the API parameters must draw, for the action the request names (the last Action parameter). */
type V1Params = (apiPairs: ReadonlyArray<[string, string]>, action: string) => Expectation;

function v1Prepared(env: FuzzEnv, label: string, spec: V1Spec, intact: boolean, params: V1Params, inject?: (text: string) => string): Prepared {
  const normalised = [...spec.common, ...spec.apiPairs].map(([k, v]): [string, string] => [wellFormed(k), wellFormed(v)]);
  const signature = Sign.sign(spec.secretKey, v1StringToSign(spec.signAs, spec.signHost, "/", normalised), spec.signWith);
  let pairs = [...normalised];
  const sent = spec.signature(signature);
  if (sent !== null) pairs.push(["Signature", sent]);
  if (spec.tamper) pairs = spec.tamper(pairs);
  let text = encodePairs(pairs, spec.url);
  if (inject) text = inject(text);
  const target = spec.target ? spec.target(spec.method === "GET" ? text : "") : spec.signAs === "GET" ? `/?${text}` : "/";
  const body = spec.signAs === "POST" ? Buffer.from(text) : undefined;
  const headers: Array<[string, string]> = [];
  if (spec.host !== null) headers.push(["Host", spec.host]);
  if (spec.contentType !== null) headers.push(["Content-Type", spec.contentType]);
  headers.push(["X-TC-TraceId", spec.traceId]);
  const facts: WireFacts = {
    method: spec.method,
    targetBytes: Buffer.byteLength(target),
    bodyBytes: body?.length ?? 0,
    headers: headerMap(headers),
    textDecodes: formDecodes(text),
    pairs,
    // The server hashes with the method the last SignatureMethod names (§3: HmacSHA256, else HmacSHA1).
    signatureIntact: intact && (pairs.filter(([k]) => k === "SignatureMethod").at(-1)?.[1] === "HmacSHA256" ? "HmacSHA256" : "HmacSHA1") === spec.signWith,
    now: nowSeconds(),
    params: params(
      pairs.filter(([k]) => !V1_COMMON.has(k)),
      pairs.filter(([k]) => k === "Action").at(-1)?.[1] ?? "",
    ),
  };
  return { label, expect: expectationFor(facts, credentialTable(env)), wire: { via: "http", method: spec.method, target, headers, body }, traceId: spec.traceId };
}

/** Does the official signer's URL parser leave this query exactly as sent (so that it signs what is sent)? */
function signerKeepsQuery(query: string): boolean {
  try {
    return new URL(`http://h/?${query}`).search === (query === "" ? "" : `?${query}`);
  } catch {
    return false;
  }
}

/** Request bytes for a raw socket. */
function rawBytes(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>, body: Buffer | undefined): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body ?? Buffer.alloc(0)]);
}

/** Request heads past this size go over a raw socket: the server may close before the client is done writing. */
const HEAD_BYTES_FOR_RAW = 60 * 1024;

function viaRawIfHuge(p: Prepared): Prepared {
  if (p.wire.via !== "http") return p;
  const headBytes = Buffer.byteLength(p.wire.target) + p.wire.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  if (headBytes <= HEAD_BYTES_FOR_RAW) return p;
  return {
    ...p,
    wire: { via: "raw", data: rawBytes(p.wire.method, p.wire.target, p.wire.headers, p.wire.body), finish: "keep" },
    expect: { ...p.expect, answer: "optional" },
    traceId: undefined,
  };
}

function hasDryRunField(action: string): boolean {
  return MODEL.types[MODEL.actions[action]!.request]?.["DryRun"] !== undefined;
}

function prepareParams(env: FuzzEnv, c: ParamCase): Prepared {
  const label = caseLabel(c);
  switch (c.shape) {
    case "tc3-post": {
      const spec = baseTc3(env, "POST", c.action, c.region);
      spec.body = Buffer.from(jsonText(c.tree, c.json), "utf8");
      return tc3Prepared(env, label, spec, true, paramsExpectation(c, true, spec.body, [], false));
    }
    case "tc3-get": {
      const spec = baseTc3(env, "GET", c.action, c.region);
      const pairs = flatPairs(c.tree, c.url, c.sortPairs);
      spec.query = encodePairs(pairs, c.url);
      return tc3Prepared(env, label, spec, signerKeepsQuery(spec.query), paramsExpectation(c, false, Buffer.alloc(0), pairs, false), formDecodes(spec.query));
    }
    case "v1-get":
    case "v1-post": {
      const spec = baseV1(env, c.shape === "v1-get" ? "GET" : "POST", c.action, c.region, flatPairs(c.tree, c.url, c.sortPairs), c.url);
      spec.signWith = c.signMethod;
      // HmacSHA1 is what an absent SignatureMethod means (§3).
      setCommon(spec, "SignatureMethod", c.signMethod === "HmacSHA256" ? "HmacSHA256" : null);
      return v1Prepared(env, label, spec, true, (api, action) => flatExpectation({ ...c, action }, api, true));
    }
  }
}

function mutateSignature(signature: string, op: SignatureOp, at: number): string {
  switch (op) {
    case "flip": {
      const c = signature[at]!;
      return signature.slice(0, at) + (c === "0" ? "1" : "0") + signature.slice(at + 1);
    }
    case "truncate":
      return signature.slice(0, at);
    case "extend":
      return `${signature}0`;
    case "uppercase":
      return signature.toUpperCase();
    case "non-hex":
      return `${signature.slice(0, at)}g${signature.slice(at + 1)}`;
    case "empty":
      return "";
  }
}

function tc3Params(spec: Tc3Spec, action: string, tree: JsonNode): Expectation {
  if (spec.signAs === "POST") {
    spec.body = Buffer.from(jsonText(tree, "compact"), "utf8");
    return jsonBodyExpectation(action, spec.body);
  }
  const pairs = flatPairs(tree, "node", false);
  spec.query = encodePairs(pairs, "node");
  return flatExpectation({ action, tree, mutations: [] }, pairs, false);
}

function prepareTc3(env: FuzzEnv, c: Tc3Case): Prepared {
  const spec = baseTc3(env, c.method, c.action, REGION);
  let params = tc3Params(spec, c.action, c.tree);
  const m = c.mutation;
  let intact: boolean | (() => boolean) = true;
  switch (m.m) {
    case "none":
      break;
    case "algorithm":
      spec.rewrite = (p) => void (p.algorithm = m.value);
      intact = m.value === "TC3-HMAC-SHA256";
      break;
    case "secret-id":
      spec.rewrite = (p) => void (p.secretId = m.value);
      intact = m.value === env.permanent.secretId;
      break;
    case "date":
      spec.rewrite = (p) => void (p.date = m.value);
      intact = m.value === utcDate(spec.timestamp);
      break;
    case "service":
      if (m.resign) spec.service = m.value;
      else spec.headerService = m.value;
      intact = m.resign || m.value === "cvm";
      break;
    case "terminator":
      spec.rewrite = (p) => void (p.terminator = m.value);
      break;
    case "signed-headers":
      spec.rewrite = (p) => void (p.signedHeaders = m.value);
      intact = m.value === "content-type;host";
      break;
    case "signature": {
      let changed = false;
      spec.rewrite = (p) => {
        const next = mutateSignature(p.signature, m.op, m.at);
        changed = next !== p.signature;
        p.signature = next;
      };
      // An all-digit signature does not change when upper-cased.
      intact = () => !changed;
      break;
    }
    case "separators":
      spec.rewrite = (p) => {
        p.afterAlgorithm = m.afterAlgorithm;
        p.list = m.list;
      };
      break;
    case "timestamp-skew":
      spec.timestamp = nowSeconds() + m.seconds;
      break;
    case "timestamp-text":
      spec.timestampHeader = m.value;
      intact = false;
      break;
    case "timestamp-drift":
      spec.timestampHeader = String(spec.timestamp + m.seconds);
      intact = false;
      break;
    case "missing-header":
      if (m.name === "Host") spec.host = null;
      else spec.omit = m.name;
      intact = m.name !== "Host" && m.name !== "Content-Type";
      break;
    case "duplicate-header":
      spec.duplicate = m.name;
      intact = m.name !== "Content-Type";
      break;
    case "token":
      if (m.mode === "permanent-with-token") spec.token = "fuzz-token";
      else {
        spec.credential = env.temporary;
        if (m.mode === "temporary-missing") spec.token = null;
        if (m.mode === "temporary-wrong") spec.token = `x${env.temporary.token.slice(1)}`;
      }
      break;
    case "language":
      spec.language = m.value;
      break;
    case "unsigned-payload":
      // Only defined for a body (§4.3); a GET keeps its plain signature.
      if (spec.signAs === "POST") {
        spec.unsignedPayload = m.signed ? "signed" : "header-only";
        intact = m.signed;
      }
      break;
    case "common":
      if (m.name === "X-TC-Action") {
        spec.action = m.value;
        // The parameters are now checked against the action named (as the server reads it: trimmed).
        params = tc3Params(spec, m.value.trim(), c.tree);
      } else if (m.name === "X-TC-Version") spec.version = m.value;
      else spec.region = m.value;
      break;
    case "trace-id":
      spec.traceId = m.value;
      break;
  }
  return tc3Prepared(env, caseLabel(c), spec, intact, params);
}

function prepareV1(env: FuzzEnv, c: V1Case): Prepared {
  const spec = baseV1(env, c.method, c.action, REGION, flatPairs(c.tree, "node", false), "node");
  const params: V1Params = (api, action) => flatExpectation({ action, tree: c.tree, mutations: [] }, api, true);
  const m = c.mutation;
  let intact = true;
  const useTemporary = () => {
    setCommon(spec, "SecretId", env.temporary.secretId);
    spec.secretKey = env.temporary.secretKey;
  };
  switch (m.m) {
    case "none":
      break;
    case "signature":
      spec.signature = (s) => (m.op === "flip" ? (s[0] === "A" ? "B" : "A") + s.slice(1) : m.op === "truncate" ? s.slice(0, -4) : m.op === "garbage" ? "!!not base64!!" : s.toLowerCase());
      intact = false;
      break;
    case "secret-id":
      setCommon(spec, "SecretId", m.value);
      intact = m.value === env.permanent.secretId;
      break;
    case "missing":
    case "empty":
      if (m.name === "Signature") spec.signature = () => (m.m === "missing" ? null : "");
      else setCommon(spec, m.name, m.m === "missing" ? null : "");
      break;
    case "timestamp-skew":
      setCommon(spec, "Timestamp", String(nowSeconds() + m.seconds));
      break;
    case "timestamp-text":
      setCommon(spec, "Timestamp", m.value);
      break;
    case "signature-method":
      // Whether the HMAC matches what SignatureMethod names is worked out in v1Prepared.
      setCommon(spec, "SignatureMethod", m.sent);
      spec.signWith = m.signWith;
      break;
    case "token":
      if (m.mode === "permanent-with-token") setCommon(spec, "Token", "fuzz-token");
      else {
        useTemporary();
        if (m.mode === "temporary") setCommon(spec, "Token", env.temporary.token);
        if (m.mode === "temporary-wrong") setCommon(spec, "Token", `x${env.temporary.token.slice(1)}`);
      }
      break;
    case "language":
      setCommon(spec, "Language", m.value);
      break;
    case "duplicate": {
      const value = spec.common.find(([k]) => k === m.name)?.[1] ?? "x";
      spec.common.push([m.name, value]);
      break;
    }
    case "tampered":
      spec.tamper = (pairs) => pairs.map(([k, v]): [string, string] => (k === "Nonce" ? [k, `${v}1`] : [k, v]));
      intact = false;
      break;
    case "signed-host":
      spec.signHost = m.value;
      intact = m.value === spec.host || m.value === spec.host?.replace(/:\d+$/, "");
      break;
    case "common":
      setCommon(spec, m.name, m.value);
      break;
    case "nonce":
      setCommon(spec, "Nonce", m.value);
      break;
  }
  return v1Prepared(env, caseLabel(c), spec, intact, params);
}

function prepareTransport(env: FuzzEnv, c: TransportCase): Prepared {
  const label = caseLabel(c);
  const v = c.variant;
  const host = `127.0.0.1:${env.port}`;
  const postSpec = () => {
    const spec = baseTc3(env, "POST", c.action, REGION);
    return { spec, params: tc3Params(spec, c.action, c.tree) };
  };
  const getSpec = () => {
    const spec = baseTc3(env, "GET", c.action, REGION);
    return { spec, params: tc3Params(spec, c.action, c.tree) };
  };
  const v1Spec = (method: "GET" | "POST") => baseV1(env, method, c.action, REGION, flatPairs(c.tree, "node", false), "node");
  const v1Params: V1Params = (api, action) => flatExpectation({ action, tree: c.tree, mutations: [] }, api, true);
  switch (v.t) {
    case "raw-json": {
      const { spec } = postSpec();
      spec.body = v.bytes;
      return tc3Prepared(env, label, spec, true, jsonBodyExpectation(c.action, v.bytes));
    }
    case "bad-encoding": {
      // The bad escape is a whole key or value, so that it cannot combine with its neighbours into a good one.
      const inject = (text: string) => {
        const parts = text === "" ? [] : text.split("&");
        const at = v.position % (parts.length + 1);
        parts.splice(at, 0, v.position % 2 === 0 ? `${v.injection}=1` : `Fuzz=${v.injection}`);
        return parts.join("&");
      };
      if (v.shape === "tc3-get") {
        const { spec } = getSpec();
        spec.query = inject(spec.query);
        return tc3Prepared(env, label, spec, signerKeepsQuery(spec.query), handlerSet(hasDryRunField(c.action), "injected parameter"), formDecodes(spec.query));
      }
      return v1Prepared(env, label, v1Spec(v.shape === "v1-get" ? "GET" : "POST"), false, v1Params, inject);
    }
    case "content-type": {
      if (v.shape === "v1-post") {
        const spec = v1Spec("POST");
        spec.contentType = v.value;
        return v1Prepared(env, label, spec, true, v1Params);
      }
      const { spec, params } = v.shape === "tc3-post" ? postSpec() : getSpec();
      spec.contentType = v.value;
      // The signer writes the header value as given; verification lower-cases it or keeps it (§4.3).
      return tc3Prepared(env, label, spec, v.value !== null, params);
    }
    case "method": {
      if (v.signedAs === "v1-get") {
        const spec = v1Spec("GET");
        spec.method = v.method;
        return v1Prepared(env, label, spec, true, v1Params);
      }
      const { spec, params } = v.signedAs === "tc3-post" ? postSpec() : getSpec();
      spec.method = v.method;
      return tc3Prepared(env, label, spec, true, params);
    }
    case "absolute-form": {
      const hostHeader = v.authority.replace(/^[^@]*@/, "");
      const base = `${v.scheme}://${v.authority}/`;
      if (v.shape === "v1-get" || v.shape === "v1-post") {
        const spec = v1Spec(v.shape === "v1-get" ? "GET" : "POST");
        spec.host = hostHeader;
        spec.signHost = hostHeader;
        spec.target = (query) => (query === "" ? base : `${base}?${query}`);
        return v1Prepared(env, label, spec, true, v1Params);
      }
      const { spec, params } = v.shape === "tc3-post" ? postSpec() : getSpec();
      spec.host = hostHeader;
      spec.signHost = hostHeader;
      spec.target = spec.query === "" ? base : `${base}?${spec.query}`;
      return tc3Prepared(env, label, spec, true, params);
    }
    case "path": {
      const { spec, params } = v.shape === "tc3-post" ? postSpec() : getSpec();
      spec.target = spec.query === "" ? v.path : v.path.includes("?") ? `${v.path}${spec.query}` : `${v.path}?${spec.query}`;
      return tc3Prepared(env, label, spec, true, params);
    }
    case "post-query": {
      const { spec, params } = postSpec();
      spec.target = `/?${v.query}`;
      return tc3Prepared(env, label, spec, true, params);
    }
    case "get-body": {
      const { spec, params } = getSpec();
      spec.body = Buffer.from(v.body);
      return tc3Prepared(env, label, spec, true, params);
    }
    case "chunked": {
      const { spec, params } = postSpec();
      const p = tc3Prepared(env, label, spec, true, params);
      return p.wire.via === "http" ? { ...p, wire: { ...p.wire, chunks: v.pieces } } : p;
    }
    case "oversize": {
      if (v.what === "v1-body") {
        const spec = v1Spec("POST");
        spec.apiPairs = [...spec.apiPairs, ["Pad", "x".repeat(LIMITS.v1Post + v.extra)]];
        return v1Prepared(env, label, spec, true, v1Params);
      }
      if (v.what === "get-target") {
        const { spec, params } = getSpec();
        spec.query = `${spec.query}${spec.query === "" ? "" : "&"}Pad=${"x".repeat(LIMITS.get + v.extra)}`;
        return tc3Prepared(env, label, spec, true, params);
      }
      const { spec, params } = postSpec();
      spec.body = Buffer.alloc(LIMITS.tc3Post + v.extra, 0x20);
      return tc3Prepared(env, label, spec, true, params);
    }
    case "declared-length": {
      const data = Buffer.from(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${v.length}\r\n\r\n`, "latin1");
      return { label, expect: exactly("RequestSizeLimitExceeded", "declared Content-Length past every limit"), wire: { via: "raw", data, finish: "keep" }, traceId: undefined };
    }
    case "truncated": {
      const { spec } = postSpec();
      const built = buildTc3(spec);
      const body = built.body ?? Buffer.alloc(0);
      const head = [`POST ${built.target} HTTP/1.1`, ...built.headers.map(([k, val]) => `${k}: ${val}`), `Content-Length: ${body.length + v.missing}`];
      const data = Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body]);
      const expect =
        v.finish === "destroy"
          ? { ...exactly([], "the client abandoned the request"), answer: "none" as const }
          : exactly("InvalidRequest", "the body ends before Content-Length", { answer: "optional" });
      return { label, expect, wire: { via: "raw", data, finish: v.finish }, traceId: undefined };
    }
    case "header-overflow": {
      const data = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Pad: ${"a".repeat(v.size)}\r\n\r\n`, "latin1");
      return { label, expect: exactly("RequestSizeLimitExceeded", "request head past 64 KB", { answer: "optional" }), wire: { via: "raw", data, finish: "keep" }, traceId: undefined };
    }
    case "garbage":
    case "random-bytes": {
      const data = v.t === "garbage" ? Buffer.from(v.text, "latin1") : Buffer.concat([Buffer.from(v.bytes), Buffer.from("\r\n\r\n")]);
      // `Host: x` names no address and no name tclocal answers to: a request that parses is refused for it (as DNS rebinding would be).
      const foreignHost = v.t === "garbage" && /\nHost: x\r?\n/.test(v.text);
      const expect: Expectation = {
        ...exactly(foreignHost ? ["UnauthorizedOperation"] : [], foreignHost ? "not HTTP, HTTP without parameters, or a foreign Host" : "not HTTP, or HTTP without parameters", { answer: "optional" }),
        classes: new Set<ErrorClass>(["protocol", "parameter"]),
      };
      return { label, expect, wire: { via: "raw", data, finish: "end" }, traceId: undefined };
    }
    case "pipelined": {
      const pieces: Buffer[] = [];
      for (let i = 0; i < v.count; i++) {
        const spec = baseTc3(env, "GET", i % 2 === 0 ? "DescribeRegions" : "DescribeZones", REGION);
        const built = buildTc3(spec);
        pieces.push(rawBytes("GET", built.target, built.headers, undefined));
      }
      return {
        label,
        expect: { ...handlerSet(false, "pipelined valid requests"), answers: v.count },
        wire: { via: "raw", data: Buffer.concat(pieces), finish: "keep" },
        traceId: undefined,
      };
    }
    case "missing-host": {
      if (v.shape === "v1-get") {
        const spec = v1Spec("GET");
        spec.host = null;
        return v1Prepared(env, label, spec, false, v1Params);
      }
      const { spec, params } = postSpec();
      spec.host = null;
      return tc3Prepared(env, label, spec, false, params);
    }
    case "expect": {
      const { spec, params } = postSpec();
      spec.extraHeaders.push(["Expect", v.value]);
      const built = buildTc3(spec);
      const p = tc3Prepared(env, label, spec, true, params);
      return { ...p, wire: { via: "raw", data: rawBytes("POST", built.target, built.headers, built.body), finish: "keep" }, traceId: undefined };
    }
    case "connect": {
      const data = Buffer.from(`CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n`, "latin1");
      return { label, expect: exactly("UnsupportedProtocol", "CONNECT is not GET or POST"), wire: { via: "raw", data, finish: "keep" }, traceId: undefined };
    }
  }
}

/** Builds the request for a case, now (timestamps are taken at this moment), with its expectation. */
export function prepare(env: FuzzEnv, c: FuzzCase): Prepared {
  switch (c.kind) {
    case "params":
      return viaRawIfHuge(prepareParams(env, c));
    case "tc3":
      return viaRawIfHuge(prepareTc3(env, c));
    case "v1":
      return viaRawIfHuge(prepareV1(env, c));
    case "transport":
      return viaRawIfHuge(prepareTransport(env, c));
  }
}

// =====================================================================================================
// 3. Delivery
// =====================================================================================================

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Delivery {
  answers: Answer[];
  /** A transport failure (reset, timeout) seen before all answers arrived. */
  error: string | undefined;
}

function outgoingHeaders(list: ReadonlyArray<readonly [string, string]>): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function sendHttp(port: number, agent: Agent, wire: Extract<Wire, { via: "http" }>, timeoutMs: number, retry = true): Promise<Delivery> {
  return new Promise((resolve) => {
    const headers = outgoingHeaders(wire.headers);
    if (wire.body !== undefined && wire.chunks === undefined) headers["Content-Length"] = String(wire.body.length);
    const req = httpRequest({ host: "127.0.0.1", port, method: wire.method, path: wire.target, headers, agent, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ answers: [{ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }], error: undefined }));
      res.on("error", (e) => resolve({ answers: [], error: `response: ${e.message}` }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      // A keep-alive socket the server closed while idle: the documented remedy is to send again.
      if (retry && req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE")) resolve(sendHttp(port, agent, wire, timeoutMs, false));
      else resolve({ answers: [], error: `${e.code ?? ""} ${e.message}`.trim() });
    });
    const body = wire.body;
    if (body !== undefined && wire.chunks !== undefined) {
      const size = Math.ceil(body.length / wire.chunks) || 1;
      for (let i = 0; i < body.length; i += size) req.write(body.subarray(i, i + size));
      req.end();
    } else req.end(body);
  });
}

/** Parses the HTTP/1.1 responses in `data` (Content-Length or chunked bodies); 1xx interim answers are skipped. */
export function parseResponses(data: Buffer, closed: boolean): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf("\r\n\r\n", at, "latin1");
    if (end < 0) break;
    const lines = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!status) break;
    const headers: IncomingHttpHeaders = {};
    const record = headers as Record<string, string>;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      record[name] = record[name] === undefined ? value : `${record[name]}, ${value}`;
    }
    let next = end + 4;
    let body: Buffer = Buffer.alloc(0);
    const code = Number(status[1]);
    if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (next + length > data.length) break;
      body = data.subarray(next, next + length);
      next += length;
    } else if (/chunked/i.test(String(headers["transfer-encoding"] ?? ""))) {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf("\r\n", next, "latin1");
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(next, lineEnd).toString("latin1"), 16);
        if (Number.isNaN(size) || lineEnd + 2 + size + 2 > data.length) break;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        next = lineEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else if (code >= 200 && code !== 204 && code !== 304) {
      if (!closed) break;
      body = data.subarray(next);
      next = data.length;
    }
    if (code >= 200) answers.push({ status: code, headers, body });
    at = next;
  }
  return answers;
}

function sendRaw(port: number, wire: Extract<Wire, { via: "raw" }>, expected: number, timeoutMs: number): Promise<Delivery> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers: parseResponses(Buffer.concat(chunks), closed), error });
    };
    const timer = setTimeout(() => {
      error = `no answer within ${timeoutMs} ms`;
      finish(false);
    }, timeoutMs);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      if (wire.finish === "keep" && parseResponses(Buffer.concat(chunks), false).length >= expected) finish(false);
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error ??= `${e.code ?? ""} ${e.message}`.trim();
    });
    socket.on("close", () => finish(true));
    socket.write(wire.data, () => {
      if (wire.finish === "end") socket.end();
      if (wire.finish === "destroy") finish(true);
    });
  });
}

// =====================================================================================================
// 4. Invariants
// =====================================================================================================

/** Checks one answer; returns the problems found and the code answered. */
export function checkAnswer(p: Prepared, a: Answer): { code: string; problems: string[] } {
  const problems: string[] = [];
  if (a.status !== 200) problems.push(`HTTP ${a.status}, expected 200`);
  if (a.headers["content-type"] !== "application/json") problems.push(`Content-Type ${JSON.stringify(a.headers["content-type"])}, expected exactly application/json`);
  const headerId = a.headers["x-tc-requestid"];
  if (typeof headerId !== "string" || !UUID_RE.test(headerId)) problems.push(`X-TC-RequestId ${JSON.stringify(headerId)} is not a UUID`);
  if (p.expect.head) {
    if (a.body.length > 0) problems.push(`a HEAD answer has a ${a.body.length}-byte body`);
    return { code: "(HEAD)", problems };
  }
  let body: unknown;
  try {
    body = JSON.parse(a.body.toString("utf8"));
  } catch {
    problems.push(`the body is not JSON: ${JSON.stringify(clip(a.body.toString("utf8"), 200))}`);
    return { code: "(not JSON)", problems };
  }
  const response = typeof body === "object" && body !== null && "Response" in body ? (body as { Response: unknown }).Response : undefined;
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    problems.push("the body has no Response object");
    return { code: "(no Response)", problems };
  }
  const r = response as Record<string, unknown>;
  if (typeof r["RequestId"] !== "string" || !UUID_RE.test(r["RequestId"])) problems.push(`Response.RequestId ${JSON.stringify(r["RequestId"])} is not a UUID`);
  else if (r["RequestId"] !== headerId) problems.push("Response.RequestId differs from X-TC-RequestId");
  if (p.traceId !== undefined && a.headers["x-tc-traceid"] !== p.traceId) problems.push(`X-TC-TraceId not echoed (got ${JSON.stringify(a.headers["x-tc-traceid"])})`);
  if (r["Error"] === undefined) {
    if (!p.expect.success) problems.push("the request succeeded, but it must be rejected");
    return { code: "Success", problems };
  }
  const error = r["Error"] as { Code?: unknown; Message?: unknown };
  const code = typeof error.Code === "string" ? error.Code : "(no code)";
  if (typeof error.Code !== "string") problems.push("Response.Error.Code is not a string");
  if (typeof error.Message !== "string") problems.push("Response.Error.Message is not a string");
  if (!isKnownErrorCode(code)) problems.push(`${code} is not a catalogued error code`);
  const cls = errorClassOf(code);
  if (code === "InternalError" || cls === "internal") problems.push(`${code}: ${typeof error.Message === "string" ? clip(error.Message, 300) : ""}`);
  else if (!p.expect.codes.has(code) && !(cls !== undefined && p.expect.classes.has(cls))) problems.push(`${code} (class ${cls}) is not what the request must draw`);
  return { code, problems };
}

/** Hashes every table, rows in rowid order (primary key order for a WITHOUT ROWID table), so that every change to stored state changes the hash. */
export class StateWatch {
  private readonly tables: Array<{ name: string; rows: { all(): unknown[] } }>;
  private readonly totalChanges: { get(): unknown };

  constructor(db: SqliteDatabase) {
    this.tables = db
      .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map(({ name, sql }) => ({
        name,
        rows: db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"${/WITHOUT\s+ROWID/i.test(sql) ? "" : " ORDER BY rowid"}`).raw(),
      }));
    this.totalChanges = db.prepare("SELECT total_changes()").pluck();
  }

  /** Rows written since the connection opened, rolled-back writes included: a cheap "nothing happened" test. */
  changes(): number {
    return Number(this.totalChanges.get());
  }

  fingerprint(): string {
    const hash = createHash("sha256");
    for (const table of this.tables) {
      hash.update(`\u0000${table.name}\u0000`);
      for (const row of table.rows.all()) hash.update(JSON.stringify(row));
    }
    return hash.digest("hex");
  }
}

// =====================================================================================================
// 5. The target server and the runner
// =====================================================================================================

export interface FuzzTarget {
  server: TestServer;
  env: FuzzEnv;
  ctx: GenContext;
  /** Error-level lines the server logged. */
  errorLog: string[];
  close(): Promise<void>;
}

/** What the seeded instances are launched with (test/helpers/instances.ts imports vitest, so not from there). */
const SEED_RUN = { Placement: { Zone: "ap-guangzhou-3" }, ImageId: "img-9qabwvbn", InstanceType: "S5.MEDIUM4" };

/** Starts the real server (timing instant, throttle off), seeds instances and a temporary key. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const errorLog: string[] = [];
  const server = await startTestServer({ timing: "instant", instanceQuota: 1000, logger: createLogger("error", logLines(errorLog)) });
  const client = cvmClient(server);
  const first = await client.RunInstances({ ...SEED_RUN, InstanceCount: 6 });
  const second = await client.RunInstances({ ...SEED_RUN, Placement: { Zone: "ap-guangzhou-4" }, InstanceCount: 4 });
  const instanceIds = [...(first.InstanceIdSet ?? []), ...(second.InstanceIdSet ?? [])];
  if (instanceIds.length !== 10) throw new Error(`seeding launched ${instanceIds.length} instances, expected 10`);
  await client.StopInstances({ InstanceIds: instanceIds.slice(0, 2) });
  // Temporary credentials from STS, for as long as a root account may have them: 7200 s of resource time,
  // far more than a run takes.
  const credentials = await mintFederationToken(server, { Name: "fuzz", DurationSeconds: 7200 });
  return {
    server,
    env: {
      port: server.port,
      permanent: { secretId: DEFAULT_SECRET_ID, secretKey: DEFAULT_SECRET_KEY },
      temporary: { secretId: credentials.TmpSecretId, secretKey: credentials.TmpSecretKey, token: credentials.Token },
    },
    ctx: { instanceIds },
    errorLog,
    close: () => server.close(),
  };
}

export interface Failure {
  label: string;
  problems: string[];
  expected: string;
  request: string;
  answer: string;
}

export interface RunStats {
  requests: number;
  batches: number;
  healthChecks: number;
  codes: Map<string, number>;
  failures: Failure[];
}

export interface RunnerOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Longer than this without an answer is a hang. */
  timeoutMs: number;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

function describeWire(w: Wire): string {
  if (w.via === "raw") return `raw socket (${w.finish}): ${JSON.stringify(clip(w.data.toString("latin1"), 400))}`;
  const headers = w.headers.map(([k, v]) => `${k}: ${clip(v, 120)}`).join(" | ");
  const body = w.body === undefined ? "" : ` body ${JSON.stringify(clip(w.body.toString("utf8"), 400))}`;
  return `${w.method} ${clip(w.target, 300)} | ${headers}${body}${w.chunks ? ` (chunked ×${w.chunks})` : ""}`;
}

function describeExpectation(e: Expectation): string {
  const parts = [e.success ? "success or" : "", e.codes.size > 0 ? [...e.codes].join("/") : "", e.classes.size > 0 ? `class ${[...e.classes].join("/")}` : ""].filter(Boolean);
  return `${parts.join(" ")} [answer ${e.answer}${e.head ? ", HEAD" : ""}] — ${e.why}`;
}

function describeAnswers(answers: readonly Answer[], error: string | undefined): string {
  const text = answers.map((a) => `HTTP ${a.status} ${JSON.stringify(a.headers["content-type"])} ${clip(a.body.toString("utf8"), 400)}`).join(" || ");
  return `${text || "(no answer)"}${error ? ` [${error}]` : ""}`;
}

/** A built request older than this is built again before it is sent. */
const STALE_MS = 250;
/** Fewer live instances than this, and more are launched; at most this many are offered to the generators. */
const POOL_MIN = 6;
const POOL_MAX = 40;

export class FuzzRunner {
  readonly stats: RunStats = { requests: 0, batches: 0, healthChecks: 0, codes: new Map(), failures: [] };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private readonly watch: StateWatch;
  private baseline: { changes: number; hash: string };
  private logSeen = 0;
  private readonly instanceIdsStmt: { all(account: string, region: string): string[] };

  constructor(
    private readonly target: FuzzTarget,
    private readonly options: RunnerOptions = { concurrency: 8, timeoutMs: 15_000 },
  ) {
    this.watch = new StateWatch(sqliteOf(target.server));
    const ids = sqliteOf(target.server).prepare<[string, string], string>("SELECT instance_id FROM cvm_instances WHERE account_uin = ? AND region = ? ORDER BY rowid").pluck();
    this.instanceIdsStmt = { all: (account, region) => ids.all(account, region) };
    this.baseline = { changes: this.watch.changes(), hash: this.watch.fingerprint() };
  }

  /** Re-reads the state after requests that may legitimately have changed it. */
  private refresh(): void {
    const changes = this.watch.changes();
    if (changes !== this.baseline.changes) this.baseline = { changes, hash: this.watch.fingerprint() };
  }

  /**
   * Sends a batch: first every request that must be rejected, concurrently (nothing may change state
   * meanwhile, so each is compared with the same baseline), then one at a time the requests that may
   * succeed, each compared with the state just before it when it is rejected after all.
   */
  async runBatch(cases: readonly FuzzCase[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    const prepared = cases.map((c) => ({ c, p: prepare(this.target.env, c), at: Date.now() }));
    this.refresh();
    const shared = prepared.filter(({ p }) => !p.expect.success);
    let next = 0;
    const worker = async () => {
      while (next < shared.length) await this.runOne(shared[next++]!, false, failures);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, shared.length) }, worker));
    for (const entry of prepared.filter(({ p }) => p.expect.success)) await this.runOne(entry, true, failures);
    await this.health(failures);
    this.stats.batches++;
    this.stats.failures.push(...failures);
    return failures;
  }

  private count(code: string): void {
    this.stats.codes.set(code, (this.stats.codes.get(code) ?? 0) + 1);
  }

  private async runOne(entry: { c: FuzzCase; p: Prepared; at: number }, exclusive: boolean, failures: Failure[]): Promise<void> {
    // Timestamps are taken when a request is built: rebuild one that waited, so that a skew of +302 s is not
    // worn down to the accepted +300 s by the time it is sent.
    const p = Date.now() - entry.at > STALE_MS ? prepare(this.target.env, entry.c) : entry.p;
    if (exclusive) this.refresh();
    const before = this.baseline;
    const expected = p.expect.answers ?? 1;
    const delivery = p.wire.via === "http" ? await sendHttp(this.target.env.port, this.agent, p.wire, this.options.timeoutMs) : await sendRaw(this.target.env.port, p.wire, expected, this.options.timeoutMs);
    this.stats.requests++;
    const problems: string[] = [];
    let anySuccess = false;
    if (p.expect.answer === "none") this.count("(abandoned)");
    else if (delivery.answers.length === 0) {
      if (p.expect.answer === "required") problems.push(`no answer: ${delivery.error ?? "the connection closed"}`);
      this.count("(closed)");
    } else {
      if (p.expect.answer === "required" && delivery.answers.length < expected) problems.push(`${delivery.answers.length} answers, expected ${expected}`);
      for (const a of delivery.answers.slice(0, expected)) {
        const checked = checkAnswer(p, a);
        problems.push(...checked.problems);
        this.count(checked.code);
        if (checked.code === "Success") anySuccess = true;
      }
    }
    if (!anySuccess) {
      // Rejected (or unanswered): no table may have changed.
      const changes = this.watch.changes();
      if (changes !== before.changes) {
        const hash = this.watch.fingerprint();
        if (hash !== before.hash) problems.push("a rejected request changed the stored state");
        this.baseline = { changes, hash };
      }
    } else this.refresh();
    if (problems.length > 0) {
      failures.push({ label: p.label, problems, expected: describeExpectation(p.expect), request: describeWire(p.wire), answer: describeAnswers(delivery.answers, delivery.error) });
    }
  }

  /** The server still answers: the health endpoint and a valid signed request; and it logged no error. */
  private async health(failures: Failure[]): Promise<void> {
    const problems: string[] = [];
    const port = this.target.env.port;
    const admin = await sendHttp(port, this.agent, { via: "http", method: "GET", target: "/_tclocal/health", headers: [["Host", `127.0.0.1:${port}`]], body: undefined }, this.options.timeoutMs);
    const status = admin.answers[0];
    if (!status || status.status !== 200 || !status.body.toString("utf8").includes('"Status":"ok"')) problems.push(`health endpoint: ${describeAnswers(admin.answers, admin.error)}`);
    if (this.stats.batches % 8 === 0) await this.probe(problems);
    this.stats.healthChecks++;
    await this.maintainPool();
    const log = this.target.errorLog;
    for (; this.logSeen < log.length; this.logSeen++) problems.push(`the server logged an error: ${clip(log[this.logSeen]!, 600)}`);
    this.refresh();
    if (problems.length > 0) failures.push({ label: "server health after the batch", problems, expected: "", request: "", answer: "" });
  }

  /**
   * Refreshes the pool of instance ids the generators draw from, and launches more when the fuzzing has
   * terminated most of them (between batches: the state check re-reads the tables afterwards).
   */
  private async maintainPool(): Promise<void> {
    const pool = this.target.ctx.instanceIds;
    const live = this.instanceIdsStmt.all(this.target.server.defaultAccount.uin, REGION);
    if (live.length < POOL_MIN) {
      const { InstanceIdSet } = await cvmClient(this.target.server).RunInstances({ ...SEED_RUN, InstanceCount: POOL_MIN });
      live.push(...(InstanceIdSet ?? []));
    }
    pool.splice(0, pool.length, ...live.slice(-POOL_MAX));
  }

  /** A valid signed request still succeeds. */
  private async probe(problems: string[]): Promise<void> {
    const port = this.target.env.port;
    const probe = prepare(this.target.env, { kind: "params", shape: "tc3-post", action: "DescribeRegions", region: REGION, tree: obj([]), mutations: [], json: "compact", url: "node", sortPairs: false, signMethod: "HmacSHA256" });
    if (probe.wire.via === "http") {
      const answer = await sendHttp(port, this.agent, probe.wire, this.options.timeoutMs);
      const a = answer.answers[0];
      const checked = a ? checkAnswer(probe, a) : { code: "(none)", problems: [`no answer: ${answer.error ?? ""}`] };
      if (checked.code !== "Success") problems.push(`DescribeRegions probe: ${checked.code} ${checked.problems.join("; ")}`);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export function formatFailure(f: Failure): string {
  return [`✗ ${f.label}`, ...f.problems.map((p) => `    - ${p}`), f.expected && `    expected: ${f.expected}`, f.request && `    request:  ${f.request}`, f.answer && `    answer:   ${f.answer}`]
    .filter(Boolean)
    .join("\n");
}

export function formatSummary(stats: RunStats, ms: number): string {
  const codes = [...stats.codes.entries()].sort((a, b) => b[1] - a[1]);
  const width = Math.max(...codes.map(([c]) => c.length), 4);
  return [
    `requests: ${stats.requests} in ${stats.batches} batches (${(ms / 1000).toFixed(1)} s, ${Math.round(stats.requests / (ms / 1000))}/s), plus ${stats.healthChecks} health checks`,
    "codes seen:",
    ...codes.map(([code, n]) => `  ${code.padEnd(width)}  ${n}`),
    `failures: ${stats.failures.length}`,
  ].join("\n");
}
