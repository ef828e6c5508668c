// Crash-safety harness: runs tclocal as a child process on a disk data dir, drives a concurrent
// RunInstances / TerminateInstances load through the official SDK, kills the server with SIGKILL at a
// random moment, restarts it on the same data dir and checks what survived against what was acknowledged.
//
// Cycles are chained: the server restarted after cycle N is the one cycle N+1 loads and kills, so the
// database goes through every crash in turn and everything acknowledged in any earlier cycle is checked
// again after each later one.
//
// Used by test/e2e/crash.test.ts (a few cycles in CI) and test/crash/cli.ts (`npm run crash`).
import { spawn, type ChildProcess, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import * as tencentcloud from "tencentcloud-sdk-nodejs-cvm";
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import pg from "pg";
import { DATABASE_FILE, openSqlite } from "../../src/store/sqlite.js";

// ---------------------------------------------------------------------------------------------------
// Constants

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The public development key pair tclocal's default account has (src/auth/keys.ts). */
export const SECRET_ID = "AKIDtclocalDefaultDevelopmentKey0000";
export const SECRET_KEY = "tclocalDefaultDevelopmentSecret0";
export const REGION = "ap-guangzhou";
/** The zones of ap-guangzhou that sell S5.MEDIUM4 pay-as-you-go; each default subnet holds about 4,090 addresses. */
export const ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"] as const;
export const IMAGE_ID = "img-9qabwvbn";
export const INSTANCE_TYPE = "S5.MEDIUM4";
/** The documented InstanceState values (written out here, not imported, so that the test is an independent oracle). */
export const INSTANCE_STATES: ReadonlySet<string> = new Set([
  "PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING", "REBOOTING", "SHUTDOWN", "TERMINATING",
]);
const PAGE = 100;

// ---------------------------------------------------------------------------------------------------
// Randomness: seeded, so that a failing run can be repeated (as far as timing allows).

export type Random = () => number;

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer from min to max, both included. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

// ---------------------------------------------------------------------------------------------------
// The server as a child process

export interface TclocalProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly command: string;
  /** Milliseconds from spawn to the ready line. */
  readonly startupMs: number;
  /** What the server printed up to and including its ready line. */
  readonly banner: string;
  /** The last few kilobytes the server wrote to stderr. */
  stderr(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** Sends a signal and waits until the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited after 5 s. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  /** A postgres:// URL: the server keeps its state there (`--database`) instead of in the data dir. */
  database?: string;
  /** Extra flags, e.g. ["--timing", "instant"]. `--data-dir` (or `--database`) and `--port 0` are always passed. */
  args?: readonly string[];
  /** Options for node itself, before the script (e.g. ["--trace-gc"]). */
  nodeArgs?: readonly string[];
  readyTimeoutMs?: number;
  /** TCLOCAL_* variables for the server (those of this process are never passed on). */
  env?: Readonly<Record<string, string>>;
}

/**
 * The environment for a child process: this one's, without the TCLOCAL_* variables (they must not change
 * the server under test) and NODE_OPTIONS, plus `extra`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("TCLOCAL_") && name !== "NODE_OPTIONS") env[name] = value;
  return Object.assign(env, extra);
}

/**
 * Starts `node --import tsx src/cli.ts` (one process, so that a signal reaches the server itself; `npx tsx`
 * adds two launcher processes and a SIGKILL to the launcher leaves the server running) with `--port 0`, and
 * waits for the "tclocal ready on http://HOST:PORT" line.
 */
export async function startTclocal(options: StartOptions): Promise<TclocalProcess> {
  const flags = [...(options.database !== undefined ? ["--database", options.database] : ["--data-dir", options.dataDir]), "--port", "0", ...(options.args ?? [])];
  const nodeArgs = options.nodeArgs ?? [];
  const args = [...nodeArgs, "--import", "tsx", join(ROOT, "src", "cli.ts"), ...flags];
  const command = `node ${[...nodeArgs, ""].join(" ")}--import tsx src/cli.ts ${flags.join(" ")}`;
  const env = childEnv(options.env);
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });

  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  let hasExited = false;
  // Never leave the server running when this process ends (a test runner interrupted, an uncaught error).
  const killOnExit = (): void => {
    if (!hasExited) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const exit = new Promise<void>((resolveExit) => {
    child.once("exit", () => {
      hasExited = true;
      process.removeListener("exit", killOnExit);
      resolveExit();
    });
  });
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (!hasExited) child.kill(signal);
    await exit;
  };
  const stop = async (): Promise<void> => {
    if (hasExited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exit;
    clearTimeout(timer);
  };

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  try {
    const { host, port, banner } = await new Promise<{ host: string; port: number; banner: string }>((resolveReady, reject) => {
      let stdout = "";
      const timer = setTimeout(() => fail(new Error(`tclocal printed no ready line within ${timeoutMs / 1000} s`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(new Error(`${error.message}\n  command: ${command}\n  stdout: ${stdout.trim()}\n  stderr: ${stderr.trim()}`));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(new Error(`tclocal exited before it was ready (code ${code}, signal ${signal})`));
      const onData = (chunk: string): void => {
        stdout = (stdout + chunk).slice(-8000);
        const match = /tclocal ready on http:\/\/(\[[^\]]+\]|[^\s:/]+):(\d+)/.exec(stdout);
        if (!match) return;
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", fail);
        // Keep draining stdout (the request log) so that the server never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolveReady({ host: match[1]!, port: Number(match[2]), banner: stdout.slice(0, match.index + match[0].length) });
      };
      child.once("error", fail);
      child.once("exit", onExit);
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", onData);
    });
    return {
      child,
      pid: child.pid!,
      port,
      url: `http://${host}:${port}`,
      command,
      startupMs: performance.now() - started,
      banner,
      stderr: () => stderr,
      exited: () => hasExited,
      kill,
      stop,
    };
  } catch (error) {
    await kill("SIGKILL");
    throw error;
  }
}

/**
 * The port of the "tclocal ready on …" line a process spawned with piped stdout prints (tclocal itself, or
 * `npm start`); rejects if the process exits first.
 */
export function readyPort(child: ChildProcessByStdio<null, Readable, Readable>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const ready = /tclocal ready on http:\/\/[^:]+:(\d+)/.exec(out);
      if (ready) resolve(Number(ready[1]));
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before tclocal was ready`)));
  });
}

/** The resident set size of a process in bytes (/proc/<pid>/status VmRSS; Linux), or undefined. */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// SDK clients

export type CvmClient = InstanceType<typeof tencentcloud.cvm.v20170312.Client>;

/** An official SDK client for a server on 127.0.0.1:port (TC3-HMAC-SHA256, POST). */
export function sdkClient(port: number, timeoutSeconds = 30): CvmClient {
  return new tencentcloud.cvm.v20170312.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: REGION,
    profile: {
      signMethod: "TC3-HMAC-SHA256",
      httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: "http://", reqMethod: "POST", reqTimeout: timeoutSeconds },
    },
  });
}

/** What the SDK threw: an API answer (it has a RequestId) or a transport failure (no answer at all). */
export type CallFailure = { kind: "api"; code: string; message: string } | { kind: "transport"; message: string };

export function classifyFailure(error: unknown): CallFailure {
  if (typeof error === "object" && error !== null) {
    const fields = error as { requestId?: unknown; code?: unknown; message?: unknown };
    const message = typeof fields.message === "string" ? fields.message : String(error);
    if (typeof fields.requestId === "string" && fields.requestId !== "") {
      return { kind: "api", code: typeof fields.code === "string" ? fields.code : "?", message };
    }
    return { kind: "transport", message };
  }
  return { kind: "transport", message: String(error) };
}

export function runRequest(token: string, count: number, zone: string): M.RunInstancesRequest {
  return {
    Placement: { Zone: zone },
    ImageId: IMAGE_ID,
    InstanceType: INSTANCE_TYPE,
    InstanceCount: count,
    ClientToken: token,
  };
}

/** Every instance DescribeInstances lists, page by page (nothing else may write meanwhile). */
export async function listAllInstances(client: CvmClient): Promise<{ instances: M.Instance[]; totalCount: number }> {
  const instances: M.Instance[] = [];
  let totalCount = 0;
  for (let offset = 0; ; offset += PAGE) {
    const answer = await client.DescribeInstances({ Offset: offset, Limit: PAGE });
    totalCount = answer.TotalCount ?? -1;
    const set = answer.InstanceSet ?? [];
    instances.push(...set);
    if (set.length < PAGE || offset + PAGE >= totalCount) break;
  }
  return { instances, totalCount };
}

// ---------------------------------------------------------------------------------------------------
// Shape of a listed instance: every field DescribeInstances always returns.

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === "string";
const nonEmpty: Check = (v) => typeof v === "string" && v !== "";
const matches = (re: RegExp): Check => (v) => typeof v === "string" && re.test(v);
const isInteger: Check = (v) => typeof v === "number" && Number.isInteger(v);
const positive: Check = (v) => typeof v === "number" && v > 0;
const isBoolean: Check = (v) => typeof v === "boolean";
const isArray: Check = (v) => Array.isArray(v);
const isObject: Check = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Path in the Instance object → what its value must be. */
export const REQUIRED_FIELDS: ReadonlyArray<readonly [string, Check]> = [
  ["InstanceId", matches(/^ins-[a-z0-9]{8}$/)],
  ["Uuid", matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)],
  ["InstanceState", (v) => typeof v === "string" && INSTANCE_STATES.has(v)],
  ["InstanceName", isString],
  ["InstanceType", nonEmpty],
  ["InstanceChargeType", nonEmpty],
  ["CPU", (v) => isInteger(v) && positive(v)],
  ["Memory", positive],
  ["ImageId", matches(/^img-[a-z0-9]{8}$/)],
  ["OsName", nonEmpty],
  ["RestrictState", nonEmpty],
  ["CreatedTime", matches(ISO_TIME)],
  ["Placement", isObject],
  ["Placement.Zone", nonEmpty],
  ["Placement.ProjectId", isInteger],
  ["SystemDisk", isObject],
  ["SystemDisk.DiskType", nonEmpty],
  ["SystemDisk.DiskId", matches(/^disk-[a-z0-9]{8}$/)],
  ["SystemDisk.DiskSize", positive],
  ["DataDisks", isArray],
  ["PrivateIpAddresses", (v) => Array.isArray(v) && v.length > 0 && v.every((ip) => typeof ip === "string" && IPV4.test(ip))],
  ["InternetAccessible", isObject],
  ["InternetAccessible.InternetChargeType", nonEmpty],
  ["InternetAccessible.InternetMaxBandwidthOut", isInteger],
  ["VirtualPrivateCloud", isObject],
  ["VirtualPrivateCloud.VpcId", matches(/^vpc-[a-z0-9]{8}$/)],
  ["VirtualPrivateCloud.SubnetId", matches(/^subnet-[a-z0-9]{8}$/)],
  ["VirtualPrivateCloud.AsVpcGateway", isBoolean],
  ["SecurityGroupIds", (v) => Array.isArray(v) && v.length > 0 && v.every(matches(/^sg-[a-z0-9]{8}$/))],
  ["LoginSettings", isObject],
  ["Tags", isArray],
  ["LatestOperation", nonEmpty],
  ["LatestOperationState", nonEmpty],
  ["LatestOperationRequestId", nonEmpty],
  ["StopChargingMode", nonEmpty],
  ["DisableApiTermination", isBoolean],
];

function valueAt(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The fields of a listed instance that are missing or malformed. */
export function shapeProblems(instance: M.Instance): string[] {
  const problems: string[] = [];
  for (const [path, check] of REQUIRED_FIELDS) {
    const value = valueAt(instance, path);
    if (!check(value)) problems.push(`${path}=${JSON.stringify(value) ?? "undefined"}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The ledger: what the clients were told, across every cycle.

interface RunEntry {
  token: string;
  count: number;
  zone: string;
  cycle: number;
  /** acked: the answer gave ids; refused: an API error; unknown: no answer (in flight when the server died). */
  status: "acked" | "refused" | "unknown";
  ids: string[];
}

/** What is known of a TerminateInstances: acked (answered success) or unknown (no answer). */
type TerminateStatus = "acked" | "unknown";

class Ledger {
  readonly runs = new Map<string, RunEntry>();
  readonly owner = new Map<string, string>();
  readonly terminated = new Map<string, TerminateStatus>();
  /** Ids of acknowledged instances that no TerminateInstances has named (yet): the ones the load may terminate. */
  private readonly aliveList: string[] = [];
  private readonly aliveIndex = new Map<string, number>();
  readonly violations: string[] = [];

  get aliveCount(): number {
    return this.aliveList.length;
  }

  addAlive(id: string): void {
    if (this.aliveIndex.has(id)) return;
    this.aliveIndex.set(id, this.aliveList.length);
    this.aliveList.push(id);
  }

  private removeAlive(id: string): void {
    const i = this.aliveIndex.get(id);
    if (i === undefined) return;
    const last = this.aliveList.pop()!;
    if (last !== id) {
      this.aliveList[i] = last;
      this.aliveIndex.set(last, i);
    }
    this.aliveIndex.delete(id);
  }

  /** Takes up to n random alive ids out of the pool (no other worker will pick them). */
  takeAlive(random: Random, n: number): string[] {
    const taken: string[] = [];
    while (taken.length < n && this.aliveList.length > 0) {
      const id = this.aliveList[Math.floor(random() * this.aliveList.length)]!;
      this.removeAlive(id);
      taken.push(id);
    }
    return taken;
  }

  /** Records the ids an answer (or a retry) gave a token; ids must not belong to another token. */
  recordIds(entry: RunEntry, ids: readonly string[], via: string): void {
    entry.status = "acked";
    entry.ids = [...ids];
    for (const id of ids) {
      const earlier = this.owner.get(id);
      if (earlier !== undefined && earlier !== entry.token) {
        this.violations.push(`${via}: instance ${id} was returned for ClientToken ${entry.token} and earlier for ClientToken ${earlier}`);
        continue;
      }
      this.owner.set(id, entry.token);
      if (!this.terminated.has(id)) this.addAlive(id);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The load

export interface LoadStats {
  runsSent: number;
  runsAcked: number;
  runsRefused: number;
  runsUnknown: number;
  instancesAcked: number;
  terminatesSent: number;
  terminatesAcked: number;
  terminatesRefused: number;
  terminatesUnknown: number;
  /** API error codes seen during the load, with counts. */
  apiErrors: Map<string, number>;
  /** Requests answered (successfully or not) after the kill was sent. */
  answeredAfterKill: number;
}

function newLoadStats(): LoadStats {
  return {
    runsSent: 0, runsAcked: 0, runsRefused: 0, runsUnknown: 0, instancesAcked: 0,
    terminatesSent: 0, terminatesAcked: 0, terminatesRefused: 0, terminatesUnknown: 0,
    apiErrors: new Map(), answeredAfterKill: 0,
  };
}

interface LoadContext {
  ledger: Ledger;
  random: Random;
  cycle: number;
  maxAlive: number;
  stats: LoadStats;
  stopped: () => boolean;
  killed: () => boolean;
  nextToken: () => string;
}

async function loadWorker(client: CvmClient, ctx: LoadContext): Promise<void> {
  const { ledger, random, stats } = ctx;
  while (!ctx.stopped()) {
    const terminate = ledger.aliveCount > 0 && (ledger.aliveCount > ctx.maxAlive || random() < 0.35);
    if (terminate) {
      const ids = ledger.takeAlive(random, between(random, 1, 3));
      stats.terminatesSent++;
      try {
        await client.TerminateInstances({ InstanceIds: ids });
        if (ctx.killed()) stats.answeredAfterKill++;
        stats.terminatesAcked++;
        for (const id of ids) ledger.terminated.set(id, "acked");
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind === "api") {
          if (ctx.killed()) stats.answeredAfterKill++;
          stats.terminatesRefused++;
          stats.apiErrors.set(`TerminateInstances ${failure.code}`, (stats.apiErrors.get(`TerminateInstances ${failure.code}`) ?? 0) + 1);
          // Refused as a whole (a batch is all or nothing): the instances are as they were.
          for (const id of ids) ledger.addAlive(id);
        } else {
          stats.terminatesUnknown++;
          for (const id of ids) ledger.terminated.set(id, "unknown");
        }
      }
      continue;
    }
    const entry: RunEntry = { token: ctx.nextToken(), count: between(random, 1, 3), zone: pick(random, ZONES), cycle: ctx.cycle, status: "unknown", ids: [] };
    ledger.runs.set(entry.token, entry);
    stats.runsSent++;
    try {
      const answer = await client.RunInstances(runRequest(entry.token, entry.count, entry.zone));
      if (ctx.killed()) stats.answeredAfterKill++;
      const ids = answer.InstanceIdSet ?? [];
      if (ids.length !== entry.count) {
        ledger.violations.push(`cycle ${ctx.cycle}: RunInstances ${entry.token} asked for ${entry.count} instances and was answered ${JSON.stringify(ids)}`);
      }
      stats.runsAcked++;
      stats.instancesAcked += ids.length;
      ledger.recordIds(entry, ids, `cycle ${ctx.cycle} load`);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === "api") {
        if (ctx.killed()) stats.answeredAfterKill++;
        entry.status = "refused";
        stats.runsRefused++;
        stats.apiErrors.set(`RunInstances ${failure.code}`, (stats.apiErrors.get(`RunInstances ${failure.code}`) ?? 0) + 1);
      } else {
        stats.runsUnknown++;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Verification after the restart

export interface VerifyStats {
  listed: number;
  /** Tokens whose RunInstances was in flight at the kill: committed before it, or created only by the retry. */
  inFlightCommitted: number;
  inFlightCreated: number;
  /** Acknowledged tokens retried (a sample). */
  tokensRetried: number;
  /** Terminations in flight at the kill: applied before it, or not. */
  terminatesApplied: number;
  terminatesNotApplied: number;
  integrity: string;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

async function retryToken(client: CvmClient, entry: RunEntry): Promise<{ ids: string[] } | { failure: CallFailure }> {
  try {
    const answer = await client.RunInstances(runRequest(entry.token, entry.count, entry.zone));
    return { ids: answer.InstanceIdSet ?? [] };
  } catch (error) {
    return { failure: classifyFailure(error) };
  }
}

/**
 * The database's own consistency: SQLite's integrity_check; on PostgreSQL (which checks its own pages), that
 * the counts its triggers keep agree with the instances stored, the part of the schema a kill could tear.
 */
async function integrityCheck(dataDir: string, database: string | undefined): Promise<string> {
  if (database !== undefined) {
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const { rows } = await client.query<{ stored: string; counted: string | null; faceted: string | null }>(
        "SELECT (SELECT COUNT(*) FROM cvm_instances) AS stored, (SELECT SUM(n) FROM cvm_instance_counts) AS counted, (SELECT SUM(n) FROM cvm_instance_facets) AS faceted",
      );
      const { stored, counted, faceted } = rows[0]!;
      return Number(stored) === Number(counted ?? 0) && Number(stored) === Number(faceted ?? 0) ? "ok" : `${stored} instances stored, ${counted} counted, ${faceted} in facets`;
    } finally {
      await client.end();
    }
  }
  const db = openSqlite(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows = db.pragma("integrity_check") as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

async function verify(client: CvmClient, ledger: Ledger, cycle: number, dataDir: string, database: string | undefined, random: Random, sampleSize: number): Promise<VerifyStats> {
  const v = (message: string): void => {
    ledger.violations.push(`cycle ${cycle}: ${message}`);
  };
  const stats: VerifyStats = { listed: 0, inFlightCommitted: 0, inFlightCreated: 0, tokensRetried: 0, terminatesApplied: 0, terminatesNotApplied: 0, integrity: "" };

  // The database itself.
  stats.integrity = await integrityCheck(dataDir, database);
  if (stats.integrity !== "ok") v(`integrity check: ${stats.integrity}`);

  // 1. Everything listed: whole, valid, unique.
  const { instances, totalCount } = await listAllInstances(client);
  stats.listed = instances.length;
  if (totalCount !== instances.length) v(`DescribeInstances TotalCount is ${totalCount}, but paging listed ${instances.length} instances`);
  const listed = new Map<string, M.Instance>();
  const uuids = new Set<string>();
  const addresses = new Set<string>();
  for (const instance of instances) {
    const id = String(instance.InstanceId);
    const problems = shapeProblems(instance);
    if (problems.length > 0) v(`instance ${id} is incomplete: ${problems.join(", ")}`);
    if (listed.has(id)) v(`instance ${id} is listed twice`);
    listed.set(id, instance);
    const uuid = String(instance.Uuid);
    if (uuids.has(uuid)) v(`Uuid ${uuid} is listed twice`);
    uuids.add(uuid);
    const address = `${instance.VirtualPrivateCloud?.SubnetId} ${instance.PrivateIpAddresses?.[0]}`;
    if (addresses.has(address)) v(`private address ${address} is held by two instances`);
    addresses.add(address);
    const token = ledger.owner.get(id);
    const entry = token === undefined ? undefined : ledger.runs.get(token);
    if (entry && (instance.Placement?.Zone !== entry.zone || instance.InstanceType !== INSTANCE_TYPE)) {
      v(`instance ${id} (ClientToken ${entry.token}) is ${instance.InstanceType} in ${instance.Placement?.Zone}; ${INSTANCE_TYPE} in ${entry.zone} was asked for`);
    }
  }

  // 2. Every acknowledged instance is there, unless an acknowledged termination removed it.
  for (const entry of ledger.runs.values()) {
    if (entry.status !== "acked") continue;
    for (const id of entry.ids) {
      const termination = ledger.terminated.get(id);
      const instance = listed.get(id);
      if (termination === undefined && !instance) v(`instance ${id} of acknowledged RunInstances ${entry.token} (cycle ${entry.cycle}) is missing`);
      if (termination === "acked" && instance && instance.InstanceState !== "TERMINATING") {
        v(`instance ${id} was acknowledged as terminated, but it is listed ${instance.InstanceState}`);
      }
    }
  }

  // 3. RunInstances in flight at the kill: the retry with the same ClientToken answers one set of ids,
  //    the same every time, and that set was either wholly committed before the kill or wholly new.
  const orphans = new Set([...listed.keys()].filter((id) => !ledger.owner.has(id)));
  const created: string[] = [];
  for (const entry of ledger.runs.values()) {
    if (entry.status !== "unknown") continue;
    const first = await retryToken(client, entry);
    const second = await retryToken(client, entry);
    if ("failure" in first || "failure" in second) {
      const failure = "failure" in first ? first.failure : (second as { failure: CallFailure }).failure;
      v(`retrying in-flight RunInstances ${entry.token} failed: ${failure.kind === "api" ? failure.code : "transport"}: ${failure.message}`);
      continue;
    }
    if (!sameIds(first.ids, second.ids)) v(`ClientToken ${entry.token} answered ${JSON.stringify(first.ids)}, then ${JSON.stringify(second.ids)}`);
    if (first.ids.length !== entry.count) v(`ClientToken ${entry.token} (InstanceCount ${entry.count}) answered ${JSON.stringify(first.ids)}`);
    const before = first.ids.filter((id) => listed.has(id));
    if (before.length === first.ids.length) stats.inFlightCommitted++;
    else if (before.length === 0) {
      stats.inFlightCreated++;
      created.push(...first.ids);
    } else v(`ClientToken ${entry.token}: only ${before.length} of its ${first.ids.length} instances existed after the crash (${JSON.stringify(first.ids)}): half-created`);
    for (const id of first.ids) orphans.delete(id);
    ledger.recordIds(entry, first.ids, `cycle ${cycle} retry`);
  }
  // Every instance listed after the crash belongs to some RunInstances the clients know of.
  for (const id of orphans) {
    const instance = listed.get(id)!;
    v(`instance ${id} (${instance.InstanceState}, request ${instance.LatestOperationRequestId}) belongs to no ClientToken: created without its token record`);
  }
  // What the retries created exists, whole.
  for (let i = 0; i < created.length; i += PAGE) {
    const ids = created.slice(i, i + PAGE);
    const answer = await client.DescribeInstances({ InstanceIds: ids, Limit: PAGE });
    const found = new Map((answer.InstanceSet ?? []).map((instance) => [String(instance.InstanceId), instance]));
    for (const id of ids) {
      const instance = found.get(id);
      if (!instance) v(`instance ${id}, created by a retried ClientToken, is not listed`);
      else {
        const problems = shapeProblems(instance);
        if (problems.length > 0) v(`instance ${id}, created by a retried ClientToken, is incomplete: ${problems.join(", ")}`);
      }
    }
  }

  // 4. A sample of acknowledged tokens, from any cycle: the retry answers exactly the ids of the first answer.
  const acked = [...ledger.runs.values()].filter((e) => e.status === "acked");
  for (let i = 0; i < Math.min(sampleSize, acked.length); i++) {
    const entry = acked[Math.floor(random() * acked.length)]!;
    const answer = await retryToken(client, entry);
    stats.tokensRetried++;
    if ("failure" in answer) v(`retrying acknowledged RunInstances ${entry.token} failed: ${answer.failure.kind === "api" ? answer.failure.code : "transport"}: ${answer.failure.message}`);
    else if (!sameIds(answer.ids, entry.ids)) v(`ClientToken ${entry.token} answered ${JSON.stringify(entry.ids)} before the crash and ${JSON.stringify(answer.ids)} after it`);
  }

  // 5. Terminations in flight at the kill: applied or not, as listed now. Instances still running go back to the pool.
  for (const [id, status] of ledger.terminated) {
    if (status !== "unknown") continue;
    const instance = listed.get(id);
    if (instance && instance.InstanceState !== "TERMINATING") {
      ledger.terminated.delete(id);
      ledger.addAlive(id);
      stats.terminatesNotApplied++;
    } else {
      ledger.terminated.set(id, "acked");
      stats.terminatesApplied++;
    }
  }
  return stats;
}

// ---------------------------------------------------------------------------------------------------
// Cycles

export interface CrashOptions {
  cycles: number;
  seed: number;
  /** Concurrent SDK clients driving the load (default 8). */
  workers?: number;
  /** The kill comes after a random time in this range of load (default 100-800 ms). */
  killAfterMs?: readonly [number, number];
  /** Acknowledged tokens retried after each crash (default 25). */
  sampleSize?: number;
  /** Above this many live instances the load only terminates (default 300). */
  maxAlive?: number;
  /** Data dir to use (default: a new temporary one, removed at the end unless keepDataDir). */
  dataDir?: string;
  /** A postgres:// URL: the server keeps its state in that (empty) database instead of the data dir. */
  database?: string;
  keepDataDir?: boolean;
  /** Called after each cycle. */
  onCycle?: (report: CycleReport) => void;
  /** Progress lines (start-up, …). */
  log?: (line: string) => void;
}

export interface CycleReport {
  cycle: number;
  killAfterMs: number;
  load: LoadStats;
  verify: VerifyStats;
  /** Time from the restart's spawn to its ready line. */
  restartMs: number;
  cycleMs: number;
  /** The violations this cycle found. */
  violations: string[];
}

export interface CrashSummary {
  seed: number;
  dataDir: string;
  cycles: CycleReport[];
  violations: string[];
  tokens: number;
}

export const SERVER_FLAGS = ["--timing", "instant", "--rate-limits", "off", "--instance-quota", "100000", "--log-level", "warn"] as const;

export async function runCrashCycles(options: CrashOptions): Promise<CrashSummary> {
  const workers = options.workers ?? 8;
  const [killMin, killMax] = options.killAfterMs ?? [100, 800];
  const sampleSize = options.sampleSize ?? 25;
  const maxAlive = options.maxAlive ?? 300;
  const random = seededRandom(options.seed);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tclocal-crash-"));
  const ledger = new Ledger();
  const reports: CycleReport[] = [];
  const log = options.log ?? ((): void => {});
  let tokenCounter = 0;
  // Unique across runs of the harness too (a reused --data-dir keeps its tokens), and at most 64 characters.
  const tokenPrefix = `crash-${options.seed.toString(36)}-${Date.now().toString(36)}`;

  const database = options.database;
  let server = await startTclocal({ dataDir, database, args: SERVER_FLAGS });
  log(`server: ${server.command} (pid ${server.pid}, ready in ${Math.round(server.startupMs)} ms)`);
  try {
    // Warm-up, so that the first cycle's load is like the later ones' (whose server the verification
    // warmed): the first RunInstances creates the default network, and each action's first call compiles
    // its validator. The warm-up's instances are part of the ledger like any other.
    const warmUp = sdkClient(server.port, 20);
    // A reused data dir may hold instances of an earlier run: they belong to no token of this one.
    for (const instance of (await listAllInstances(warmUp)).instances) ledger.owner.set(String(instance.InstanceId), "(before this run)");
    for (let i = 0; i < 2; i++) {
      // "warm-up-0": the load's tokens are the prefix and a base-36 counter, which never holds a "-"
      // (a plain "w0" was the counter's 1,152nd token, and its RunInstances rightly answered the warm-up's ids).
      const entry: RunEntry = { token: `${tokenPrefix}-warm-up-${i}`, count: 2, zone: pick(random, ZONES), cycle: 0, status: "unknown", ids: [] };
      ledger.runs.set(entry.token, entry);
      const answer = await warmUp.RunInstances(runRequest(entry.token, entry.count, entry.zone));
      ledger.recordIds(entry, answer.InstanceIdSet ?? [], "warm-up");
    }
    const [doomed] = ledger.takeAlive(random, 1);
    await warmUp.TerminateInstances({ InstanceIds: [doomed!] });
    ledger.terminated.set(doomed!, "acked");
    await warmUp.DescribeInstances({ Limit: PAGE });
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const cycleStarted = performance.now();
      const violationsBefore = ledger.violations.length;
      const stats = newLoadStats();
      let stopped = false;
      let killed = false;
      const ctx: LoadContext = {
        ledger,
        random,
        cycle,
        maxAlive,
        stats,
        stopped: () => stopped,
        killed: () => killed,
        nextToken: () => `${tokenPrefix}-${(tokenCounter++).toString(36)}`,
      };
      const clients = Array.from({ length: workers }, () => sdkClient(server.port, 20));
      const killAfterMs = between(random, killMin, killMax);
      const load = Promise.all(clients.map((client) => loadWorker(client, ctx)));
      await new Promise((r) => setTimeout(r, killAfterMs));
      stopped = true;
      killed = true;
      await server.kill("SIGKILL");
      await load;
      if (server.child.signalCode !== "SIGKILL") ledger.violations.push(`cycle ${cycle}: the server ended with ${server.child.signalCode ?? `exit code ${server.child.exitCode}`} before the kill: ${server.stderr().trim()}`);
      for (const [code, n] of stats.apiErrors) ledger.violations.push(`cycle ${cycle}: ${n} × ${code} during the load (none expected)`);

      server = await startTclocal({ dataDir, database, args: SERVER_FLAGS });
      const restartMs = server.startupMs;
      const verifyStats = await verify(sdkClient(server.port, 20), ledger, cycle, dataDir, database, random, sampleSize);
      const report: CycleReport = {
        cycle,
        killAfterMs,
        load: stats,
        verify: verifyStats,
        restartMs,
        cycleMs: performance.now() - cycleStarted,
        violations: ledger.violations.slice(violationsBefore),
      };
      reports.push(report);
      options.onCycle?.(report);
    }
  } finally {
    await server.stop();
    if (!options.keepDataDir && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
  return { seed: options.seed, dataDir, cycles: reports, violations: [...ledger.violations], tokens: ledger.runs.size };
}

/** One line per cycle, for the CLI and the test log. */
export function formatCycle(report: CycleReport, cycles: number): string {
  const { load, verify: v } = report;
  const width = String(cycles).length;
  return [
    `cycle ${String(report.cycle).padStart(width)}/${cycles}`,
    `kill@${String(report.killAfterMs).padStart(3)}ms`,
    `runs ${load.runsAcked} acked, ${load.runsUnknown} in flight (${v.inFlightCommitted} committed, ${v.inFlightCreated} created on retry)`,
    `terminates ${load.terminatesAcked} acked, ${load.terminatesUnknown} in flight (${v.terminatesApplied} of their instances gone, ${v.terminatesNotApplied} not)`,
    `listed ${v.listed}`,
    `retried ${v.tokensRetried}`,
    `restart ${Math.round(report.restartMs)}ms`,
    report.violations.length === 0 ? "ok" : `${report.violations.length} VIOLATIONS`,
  ].join("  ");
}
