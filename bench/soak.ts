// Soak: a long, mixed, signed load against tclocal running as a child process on a disk data dir, to see
// whether memory or latency drift while the store stays about the same size.
//
//   npm run soak -- [--minutes M] [--interval S] [--rps N] [--concurrency N] [--instances N] [--timing fast|instant]
//
// The load is open-loop at --rps requests per second (at most --concurrency in flight), a realistic mix of
// DescribeInstances (pages, ids, state filters), RunInstances, StopInstances, StartInstances and
// TerminateInstances. The client keeps a model of every instance it made and only stops a RUNNING one, starts
// a STOPPED one, and so on, once the server's transition time (timing profile) has passed, so the server
// should refuse almost nothing; refusals (an instance in the wrong state) are counted apart from failures
// (transport errors, InternalError, any other error). RunInstances and TerminateInstances keep the number of
// instances within 10% of --instances.
//
// Every interval (60 s, or 10 s when --minutes is under 3) prints requests, failures, refusals, the server's
// RSS (/proc/<pid>/status VmRSS, sampled each second) and latency. At the end the last interval is compared
// with the second (the first includes the warm-up): PASS when the mean RSS and the p99 latency of the last
// are at most 10% above the second's, and nothing failed. Exit code 1 on FAIL.
//
// The p99 judged is tclocal's own: the latencyMs of its request log (from the handler's call to the answer
// written), so the server runs at --log-level info. The p99 this client observes is printed after the `|`,
// with what else it holds, but not judged: on a shared machine it moves with things outside tclocal.
// - The load generator: its CPU, event-loop delay p99 and GC time. It parses about 20 pages of 150 KB a
//   second; V8 keeps each in its large-object space, and with the default heap sizing it came to collect its
//   old generation every second after a few minutes, which doubled the client p99 while tclocal's stayed
//   flat. `npm run soak` therefore runs it with a 256 MB initial old space.
// - The machine: the share of CPU time its host stole, and a probe process beside the load whose 5 ms timer
//   and 4 KiB fdatasync ten times a second show how long the machine stalled at worst ("stall", "fsync").
//   Stalls of hundreds of ms happen here, and the same work can take a third more CPU from one minute to the
//   next. The verdict names the compared intervals in which the machine stalled.
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PerformanceObserver, monitorEventLoopDelay } from "node:perf_hooks";
import { TIMING_PROFILES, isTimingProfile, type TimingProfile } from "../src/products/cvm/timing.js";
import {
  IMAGE_ID,
  INSTANCE_TYPE,
  ZONES,
  between,
  pick,
  residentBytes,
  seededRandom,
  startTclocal,
  type Random,
  type TclocalProcess,
} from "../test/crash/harness.js";
import { optionsOrExit, positiveNumber, seedOption } from "../test/helpers/cli-options.js";
import {
  isObject,
  machineCpuTicks,
  percentileOfSorted,
  processCpuSeconds,
  progress,
  signedPostHeaders,
  type Json,
  type JsonObject,
} from "./common.js";

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  minutes: number;
  intervalSeconds: number;
  rps: number;
  concurrency: number;
  instances: number;
  timing: TimingProfile;
  seed: number;
  logLevel: string;
  dataDir: string | undefined;
  keep: boolean;
  nodeArgs: string[];
  serverOutput: string | undefined;
}

const USAGE = `Usage: npm run soak -- [options]

  --minutes M        duration of the measured load (default 10; fractional allowed, e.g. 0.5)
  --interval S       seconds per report line (default 60, or 10 when --minutes is under 3)
  --rps N            requests per second offered (default 150)
  --concurrency N    requests in flight at most (default 16)
  --instances N      instances kept in the store, within 10% (default 500)
  --timing PROFILE   server timing profile: fast (default) or instant
  --seed N           seed of the mix (default: random, printed)
  --log-level LEVEL  server log level (default info: the in-server latency is read from the request log)
  --data-dir DIR     use this data dir (kept) instead of a temporary one
  --keep             keep the temporary data dir
  --node-arg ARG     an option for the server's node process (repeatable), e.g. --node-arg=--trace-gc
  --server-output F  write the server's stdout (request log, --trace-gc) to file F
  -h, --help         show this text
`;

function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string" },
      interval: { type: "string" },
      rps: { type: "string" },
      concurrency: { type: "string" },
      instances: { type: "string" },
      timing: { type: "string" },
      seed: { type: "string" },
      "log-level": { type: "string" },
      "data-dir": { type: "string" },
      keep: { type: "boolean" },
      "node-arg": { type: "string", multiple: true },
      "server-output": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const minutes = values.minutes === undefined ? 10 : positiveNumber(values.minutes, "--minutes", false);
  const intervalSeconds = values.interval !== undefined ? positiveNumber(values.interval, "--interval", false) : minutes < 3 ? 10 : 60;
  const timing = values.timing ?? "fast";
  if (!isTimingProfile(timing) || timing === "realistic") throw new Error(`--timing \`${timing}\` is not fast or instant`);
  const seed = seedOption(values.seed);
  return {
    minutes,
    intervalSeconds,
    rps: values.rps === undefined ? 150 : positiveNumber(values.rps, "--rps", false),
    concurrency: values.concurrency === undefined ? 16 : positiveNumber(values.concurrency, "--concurrency", true),
    instances: values.instances === undefined ? 500 : positiveNumber(values.instances, "--instances", true),
    timing,
    seed,
    logLevel: values["log-level"] ?? "info",
    dataDir: values["data-dir"],
    keep: values.keep ?? false,
    nodeArgs: values["node-arg"] ?? [],
    serverOutput: values["server-output"],
  };
}

// ---------------------------------------------------------------------------------------------------
// Signed requests: TC3-HMAC-SHA256 by the official signer, over keep-alive connections.

/** ok: the Response object; api: the service's error code; transport: no usable answer. */
type Outcome = { kind: "ok"; response: JsonObject } | { kind: "api"; code: string; message: string } | { kind: "transport"; message: string };

class SignedClient {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    concurrency: number,
  ) {
    // `timeout` as Node's global agent (which the SDK uses) has it: with it, the agent closes an idle socket
    // a second before the server's announced keep-alive timeout (Keep-Alive: timeout=5), instead of reusing
    // it just as the server closes it (ECONNRESET).
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, timeout: 5000 });
  }

  call(action: string, params: object): Promise<Outcome> {
    const body = Buffer.from(JSON.stringify(params));
    const headers = signedPostHeaders("127.0.0.1", this.port, action, body);
    return new Promise((resolveCall) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: this.port,
          method: "POST",
          path: "/",
          agent: this.agent,
          timeout: 30_000,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error: Error) => resolveCall({ kind: "transport", message: `response: ${error.message}` }));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode !== 200) return resolveCall({ kind: "transport", message: `HTTP ${res.statusCode}` });
            let parsed: Json;
            try {
              parsed = JSON.parse(text) as Json;
            } catch {
              return resolveCall({ kind: "transport", message: "answer is not JSON" });
            }
            const response = isObject(parsed) ? parsed["Response"] : undefined;
            if (!isObject(response) || typeof response["RequestId"] !== "string") return resolveCall({ kind: "transport", message: "answer has no Response.RequestId" });
            const error = response["Error"];
            if (error !== undefined) {
              const code = isObject(error) && typeof error["Code"] === "string" ? error["Code"] : "?";
              const message = isObject(error) && typeof error["Message"] === "string" ? error["Message"] : "";
              return resolveCall({ kind: "api", code, message });
            }
            resolveCall({ kind: "ok", response });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (error: NodeJS.ErrnoException) => resolveCall({ kind: "transport", message: `request: ${error.code ?? error.message}` }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// The client's model of its instances

type LocalState = "RUNNING" | "STOPPED";

interface Tracked {
  id: string;
  /** The state the instance is in, or reaches at readyAt. */
  state: LocalState;
  /** Before this (client clock), a transition may still be under way. */
  readyAt: number;
  /** A request naming it is in flight. */
  busy: boolean;
}

/** Extra wait after a transition's nominal end, for the server's clock reading and the answer's travel. */
const MARGIN_MS = 50;

class Fleet {
  readonly all = new Map<string, Tracked>();

  constructor(private readonly timing: TimingProfile) {}

  /** Instances of a state whose transitions are over and that no request is acting on, up to n at random. */
  takeReady(random: Random, state: LocalState, n: number): Tracked[] {
    const now = Date.now();
    const ready = [...this.all.values()].filter((t) => !t.busy && t.state === state && t.readyAt <= now);
    const taken: Tracked[] = [];
    while (taken.length < n && ready.length > 0) {
      const [t] = ready.splice(Math.floor(random() * ready.length), 1);
      t!.busy = true;
      taken.push(t!);
    }
    return taken;
  }

  launched(ids: readonly string[]): void {
    const readyAt = Date.now() + TIMING_PROFILES[this.timing].launch + MARGIN_MS;
    for (const id of ids) this.all.set(id, { id, state: "RUNNING", readyAt, busy: false });
  }

  transitioned(instances: readonly Tracked[], state: LocalState, phase: "start" | "stop"): void {
    const readyAt = Date.now() + TIMING_PROFILES[this.timing][phase] + MARGIN_MS;
    for (const t of instances) Object.assign(t, { state, readyAt, busy: false });
  }

  release(instances: readonly Tracked[]): void {
    for (const t of instances) t.busy = false;
  }

  remove(instances: readonly Tracked[]): void {
    for (const t of instances) this.all.delete(t.id);
  }

  someIds(random: Random, n: number): string[] {
    const ids = [...this.all.keys()];
    return Array.from({ length: Math.min(n, ids.length) }, () => pick(random, ids));
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurement

/** Refusals: the service declined because of an instance's state or a limit; every other error is a failure. */
function isRefusal(code: string): boolean {
  return /^(UnsupportedOperation\.InstanceState|OperationDenied\.|LimitExceeded\.|ResourceInsufficient\.)/.test(code);
}

interface Interval {
  index: number;
  startedAt: number;
  endedAt: number;
  requests: number;
  failures: number;
  refusals: number;
  /** Requests due that were not sent because --concurrency were already in flight. */
  skipped: number;
  byAction: Map<string, number>;
  latencies: number[];
  /** tclocal's own time per request (its request log's latencyMs: handler called → answer written), ms. */
  serverLatencies: number[];
  rssSamples: number[];
  /** The stall probe's samples, one a second. */
  stallSamples: StallSample[];
  cpuSeconds: number | undefined;
  /** This load generator's own CPU time (s) and event-loop delay p99 (ms): its share of the latencies. */
  generatorCpuSeconds: number | undefined;
  generatorLoopP99: number | undefined;
  /** The load generator's garbage-collection pauses (ms). */
  generatorGcPauses: number[];
  /** Share of the machine's CPU time the hypervisor stole during the interval (0–1). */
  steal: number | undefined;
  storeTotal: number | undefined;
  dbBytes: number | undefined;
}

function newInterval(index: number): Interval {
  return { index, startedAt: performance.now(), endedAt: 0, requests: 0, failures: 0, refusals: 0, skipped: 0, byAction: new Map(), latencies: [], serverLatencies: [], rssSamples: [], stallSamples: [], cpuSeconds: undefined, generatorCpuSeconds: undefined, generatorLoopP99: undefined, generatorGcPauses: [], steal: undefined, storeTotal: undefined, dbBytes: undefined };
}

function percentile(values: readonly number[], q: number): number {
  return percentileOfSorted(Float64Array.from(values).sort(), q);
}

const mean = (values: readonly number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
const mb = (bytes: number | undefined): string => (bytes === undefined || !Number.isFinite(bytes) ? "-" : (bytes / 1024 / 1024).toFixed(1));
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : "-");

/** A machine stall this long (ms) in a compared interval is named in the verdict. */
const NOTABLE_STALL_MS = 50;
// Every second the probe prints two numbers: how late its 5 ms timer fired at worst (CPU), and the longest
// 4 KiB write + fdatasync of a file next to the database, one every 100 ms (disk). The sync runs on libuv's
// thread pool, so it does not delay the timer.
const PROBE_SCRIPT =
  "const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'w'); const block = Buffer.alloc(4096);" +
  "let last = performance.now(), worst = 0, disk = 0, syncing = 0;" +
  "setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 5); last = now; }, 5);" +
  "const sync = () => { syncing = performance.now(); fs.write(fd, block, 0, block.length, 0, () => fs.fdatasync(fd, () => {" +
  "  disk = Math.max(disk, performance.now() - syncing); syncing = 0; setTimeout(sync, 100); })); }; sync();" +
  "setInterval(() => { if (syncing) disk = Math.max(disk, performance.now() - syncing);" +
  "  process.stdout.write(worst.toFixed(1) + ' ' + disk.toFixed(1) + '\\n'); worst = 0; disk = 0; }, 1000);";

interface StallSample {
  /** How late the probe's timer fired at worst in the second (ms). */
  cpu: number;
  /** The longest write + fdatasync in the second (ms). */
  disk: number;
}

/** Starts the stall probe, its disk file at `file`; `onSample` gets one sample a second. */
function startStallProbe(file: string, onSample: (sample: StallSample) => void): { stop(): void } {
  const child = spawn(process.execPath, ["-e", PROBE_SCRIPT, file], { stdio: ["ignore", "pipe", "ignore"] });
  child.stdout.setEncoding("utf8");
  onLines(child.stdout, (line) => {
    const [cpu, disk] = line.split(" ").map(Number);
    if (cpu !== undefined && disk !== undefined) onSample({ cpu, disk });
  });
  return {
    stop: () => {
      child.kill();
      rmSync(file, { force: true });
    },
  };
}

const worstStall = (i: Interval, kind: keyof StallSample): number => (i.stallSamples.length === 0 ? NaN : Math.max(...i.stallSamples.map((s) => s[kind])));

/** Calls `onLatency` with the latencyMs of each line of tclocal's request log (pino JSON on its stdout). */
function readRequestLog(stdout: NodeJS.ReadableStream, onLatency: (ms: number) => void): void {
  onLines(stdout, (line) => {
    if (!line.includes('"latencyMs"')) return;
    try {
      const entry = JSON.parse(line) as Json;
      if (isObject(entry) && typeof entry["latencyMs"] === "number") onLatency(entry["latencyMs"]);
    } catch {
      // Not a log line (the banner, --trace-gc output).
    }
  });
}

/** Calls `onLine` with each complete line of a text stream (setEncoding done), without its newline. */
function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.on("data", (chunk: string) => {
    const lines = (buffered + chunk).split("\n");
    buffered = lines.pop()!;
    for (const line of lines) onLine(line);
  });
}

function databaseBytes(dataDir: string): number | undefined {
  let total = 0;
  for (const name of ["tclocal.sqlite", "tclocal.sqlite-wal"]) {
    try {
      total += statSync(join(dataDir, name)).size;
    } catch {
      // The WAL may not exist at a given moment.
    }
  }
  return total > 0 ? total : undefined;
}

// ---------------------------------------------------------------------------------------------------
// The load

class Soak {
  readonly fleet: Fleet;
  readonly failureMessages = new Map<string, number>();
  readonly refusalCodes = new Map<string, number>();
  readonly totals = new Map<string, number>();
  current: Interval = newInterval(1);
  inFlight = 0;

  constructor(
    private readonly client: SignedClient,
    private readonly random: Random,
    private readonly options: Options,
  ) {
    this.fleet = new Fleet(options.timing);
  }

  /** One request, measured into the current interval. */
  private async call(action: string, params: object): Promise<Outcome> {
    const t0 = performance.now();
    const outcome = await this.client.call(action, params);
    const interval = this.current;
    interval.latencies.push(performance.now() - t0);
    interval.requests++;
    interval.byAction.set(action, (interval.byAction.get(action) ?? 0) + 1);
    this.totals.set(action, (this.totals.get(action) ?? 0) + 1);
    if (outcome.kind === "api" && isRefusal(outcome.code)) {
      interval.refusals++;
      const key = `${action} ${outcome.code}`;
      this.refusalCodes.set(key, (this.refusalCodes.get(key) ?? 0) + 1);
    } else if (outcome.kind !== "ok") {
      interval.failures++;
      const key = outcome.kind === "api" ? `${action} ${outcome.code}: ${outcome.message.slice(0, 100)}` : `${action} transport: ${outcome.message}`;
      this.failureMessages.set(key, (this.failureMessages.get(key) ?? 0) + 1);
    }
    return outcome;
  }

  async run(count: number): Promise<void> {
    const outcome = await this.call("RunInstances", {
      Placement: { Zone: pick(this.random, ZONES) },
      ImageId: IMAGE_ID,
      InstanceType: INSTANCE_TYPE,
      InstanceCount: count,
    });
    if (outcome.kind !== "ok") return;
    const ids = outcome.response["InstanceIdSet"];
    if (Array.isArray(ids)) this.fleet.launched(ids.filter((id): id is string => typeof id === "string"));
  }

  private async act(action: "StopInstances" | "StartInstances" | "TerminateInstances", targets: Tracked[]): Promise<void> {
    const outcome = await this.call(action, { InstanceIds: targets.map((t) => t.id) });
    if (outcome.kind === "ok") {
      if (action === "TerminateInstances") this.fleet.remove(targets);
      else if (action === "StopInstances") this.fleet.transitioned(targets, "STOPPED", "stop");
      else this.fleet.transitioned(targets, "RUNNING", "start");
      return;
    }
    if (outcome.kind === "api") await this.resync(targets);
    else this.fleet.release(targets);
  }

  /** After a refusal, the client asks what state its instances are in, as a real client would. */
  private async resync(targets: Tracked[]): Promise<void> {
    const outcome = await this.call("DescribeInstances", { InstanceIds: targets.map((t) => t.id) });
    const set = outcome.kind === "ok" ? outcome.response["InstanceSet"] : undefined;
    const states = new Map<string, string>();
    if (Array.isArray(set)) for (const i of set) if (isObject(i) && typeof i["InstanceId"] === "string" && typeof i["InstanceState"] === "string") states.set(i["InstanceId"], i["InstanceState"]);
    for (const t of targets) {
      const state = states.get(t.id);
      if (outcome.kind === "ok" && state === undefined) this.fleet.all.delete(t.id);
      else if (state === "RUNNING" || state === "STOPPED") Object.assign(t, { state, readyAt: 0, busy: false });
      else Object.assign(t, { readyAt: Date.now() + 1000, busy: false });
    }
  }

  async describe(): Promise<void> {
    const r = this.random();
    if (r < 0.5) {
      const limit = r < 0.25 ? 20 : 100;
      const size = this.fleet.all.size;
      const offset = between(this.random, 0, Math.max(0, size - limit));
      const outcome = await this.call("DescribeInstances", { Offset: offset, Limit: limit });
      if (outcome.kind === "ok" && typeof outcome.response["TotalCount"] === "number") this.current.storeTotal = outcome.response["TotalCount"];
    } else if (r < 0.8) {
      const ids = this.fleet.someIds(this.random, between(this.random, 1, 10));
      await this.call("DescribeInstances", ids.length > 0 ? { InstanceIds: ids } : { Limit: 10 });
    } else {
      await this.call("DescribeInstances", { Filters: [{ Name: "instance-state", Values: [pick(this.random, ["RUNNING", "STOPPED"])] }], Limit: 50 });
    }
  }

  /** One request of the mix. */
  async next(): Promise<void> {
    const target = this.options.instances;
    const size = this.fleet.all.size;
    const r = this.random();
    // 55% DescribeInstances, 10% RunInstances, 10% TerminateInstances, 12.5% StopInstances, 12.5% StartInstances.
    if (r < 0.55) return this.describe();
    if (r < 0.75) {
      const wantRun = size < target * 0.9 || (size <= target * 1.1 && r < 0.65);
      if (wantRun) return this.run(between(this.random, 1, 3));
      const targets = [...this.fleet.takeReady(this.random, "RUNNING", between(this.random, 1, 3))];
      if (targets.length === 0) targets.push(...this.fleet.takeReady(this.random, "STOPPED", 1));
      if (targets.length === 0) return this.describe();
      return this.act("TerminateInstances", targets);
    }
    const stop = r < 0.875;
    const targets = this.fleet.takeReady(this.random, stop ? "RUNNING" : "STOPPED", between(this.random, 1, 3));
    if (targets.length === 0) return this.describe();
    return this.act(stop ? "StopInstances" : "StartInstances", targets);
  }
}

function clockTime(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`;
}

function intervalLine(i: Interval, elapsedSeconds: number): string {
  const seconds = (i.endedAt - i.startedAt) / 1000;
  const share = (cpuSeconds: number | undefined): string => (cpuSeconds === undefined || seconds <= 0 ? "-" : `${Math.round((cpuSeconds / seconds) * 100)}%`);
  const worst = (kind: keyof StallSample): string => (Number.isFinite(worstStall(i, kind)) ? worstStall(i, kind).toFixed(0) : "-");
  return [
    `[${clockTime(elapsedSeconds).padStart(5)}]`,
    `requests ${String(i.requests).padStart(6)} (${(i.requests / seconds).toFixed(1)}/s)`,
    `errors ${i.failures}`,
    `refused ${i.refusals}`,
    ...(i.skipped > 0 ? [`skipped ${i.skipped}`] : []),
    `rss ${mb(mean(i.rssSamples))} MB (max ${mb(Math.max(...i.rssSamples))})`,
    `p99 ${ms(percentile(i.serverLatencies, 0.99))} ms`,
    `cpu ${share(i.cpuSeconds)}`,
    `instances ${i.storeTotal ?? "-"}`,
    `db ${mb(i.dbBytes)} MB`,
    `| client p50 ${ms(percentile(i.latencies, 0.5))} p99 ${ms(percentile(i.latencies, 0.99))} ms`,
    `generator cpu ${share(i.generatorCpuSeconds)} loop p99 ${ms(i.generatorLoopP99 ?? NaN)} ms gc ${i.generatorGcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
    `machine steal ${i.steal === undefined ? "-" : `${(i.steal * 100).toFixed(1)}%`} stall ${worst("cpu")} ms fsync ${worst("disk")} ms`,
  ].join("  ");
}

// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const options = optionsOrExit("soak", USAGE, parseOptions);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tclocal-soak-"));
  const random = seededRandom(options.seed);

  const server: TclocalProcess = await startTclocal({
    dataDir,
    args: ["--timing", options.timing, "--rate-limits", "off", "--instance-quota", "100000", "--log-level", options.logLevel],
    nodeArgs: options.nodeArgs,
  });
  if (options.serverOutput !== undefined) server.child.stdout?.pipe(createWriteStream(options.serverOutput));
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`\n${signal}: stopping tclocal`);
    void server.stop().finally(() => {
      // process.exit skips the `finally` below: remove a temporary data dir here too.
      if (options.dataDir === undefined && !options.keep) rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const client = new SignedClient(server.port, options.concurrency);
  const soak = new Soak(client, random, options);
  if (server.child.stdout) readRequestLog(server.child.stdout, (latency) => soak.current.serverLatencies.push(latency));
  const intervals: Interval[] = [];
  let verdict = false;
  try {
    progress(`server: ${server.command}  (pid ${server.pid}, ready in ${Math.round(server.startupMs)} ms)`);
    progress(
      `load:   ${options.minutes} min at ${options.rps} req/s (≤ ${options.concurrency} in flight), ${options.instances} instances, timing ${options.timing}, seed ${options.seed}, report every ${options.intervalSeconds} s; node ${process.version}`,
    );

    // Seed the store, then wait until the instances run.
    const seedStarted = performance.now();
    while (soak.fleet.all.size < options.instances) {
      const before = soak.fleet.all.size;
      await soak.run(Math.min(50, options.instances - before));
      if (soak.fleet.all.size === before) throw new Error(`seeding failed: ${[...soak.failureMessages.keys()].join("; ")}`);
    }
    await new Promise((r) => setTimeout(r, TIMING_PROFILES[options.timing].launch + MARGIN_MS));
    progress(`seeded ${soak.fleet.all.size} instances in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    soak.totals.clear();
    soak.failureMessages.clear();
    soak.refusalCodes.clear();

    // The measured load: open loop at --rps, at most --concurrency in flight.
    const started = performance.now();
    const endAt = started + options.minutes * 60_000;
    const intervalMs = options.intervalSeconds * 1000;
    let issued = 0;
    let late = 0;
    soak.current = newInterval(1);
    let cpuMark = processCpuSeconds(server.pid);
    let machineMark = machineCpuTicks();
    let generatorCpuMark = process.cpuUsage();
    const generatorLoop = monitorEventLoopDelay({ resolution: 5 });
    generatorLoop.enable();
    const generatorGc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) soak.current.generatorGcPauses.push(entry.duration);
    });
    generatorGc.observe({ entryTypes: ["gc"] });
    const pending = new Set<Promise<void>>();
    const sampler = setInterval(() => {
      const rss = residentBytes(server.pid);
      if (rss !== undefined) soak.current.rssSamples.push(rss);
    }, 1000);
    const probe = startStallProbe(join(dataDir, "stall-probe"), (sample) => soak.current.stallSamples.push(sample));
    const closeInterval = (now: number): void => {
      const i = soak.current;
      i.endedAt = now;
      const cpu = processCpuSeconds(server.pid);
      i.cpuSeconds = cpu !== undefined && cpuMark !== undefined ? cpu - cpuMark : undefined;
      cpuMark = cpu;
      const machine = machineCpuTicks();
      if (machine !== undefined && machineMark !== undefined && machine.total > machineMark.total) i.steal = (machine.steal - machineMark.steal) / (machine.total - machineMark.total);
      machineMark = machine;
      const generatorCpu = process.cpuUsage(generatorCpuMark);
      i.generatorCpuSeconds = (generatorCpu.user + generatorCpu.system) / 1e6;
      generatorCpuMark = process.cpuUsage();
      i.generatorLoopP99 = generatorLoop.percentile(99) / 1e6;
      generatorLoop.reset();
      i.dbBytes = databaseBytes(dataDir);
      const rss = residentBytes(server.pid);
      if (rss !== undefined) i.rssSamples.push(rss);
      intervals.push(i);
      process.stdout.write(`${intervalLine(i, (now - started) / 1000)}\n`);
      soak.current = newInterval(i.index + 1);
    };
    try {
      while (true) {
        const now = performance.now();
        if (now >= endAt) break;
        if (now - soak.current.startedAt >= intervalMs) closeInterval(now);
        if (server.exited()) throw new Error(`tclocal exited during the soak: ${server.stderr().trim()}`);
        const due = Math.floor(((now - started) * options.rps) / 1000) - issued;
        for (let k = 0; k < due; k++) {
          issued++;
          if (soak.inFlight >= options.concurrency) {
            // The server (or this generator) cannot keep up: the request is skipped and counted.
            late++;
            soak.current.skipped++;
            continue;
          }
          soak.inFlight++;
          const p: Promise<void> = soak.next().finally(() => {
            soak.inFlight--;
            pending.delete(p);
          });
          pending.add(p);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(pending);
      // The last stretch, when at least half an interval long, is reported as an interval of its own.
      if (performance.now() - soak.current.startedAt >= intervalMs / 2 || intervals.length === 0) closeInterval(performance.now());
    } finally {
      clearInterval(sampler);
      generatorLoop.disable();
      generatorGc.disconnect();
      probe.stop();
    }

    // Report.
    const all = intervals.flatMap((i) => i.latencies);
    const seconds = (performance.now() - started) / 1000;
    const requests = intervals.reduce((n, i) => n + i.requests, 0);
    const failures = intervals.reduce((n, i) => n + i.failures, 0);
    const refusals = intervals.reduce((n, i) => n + i.refusals, 0);
    process.stdout.write(
      [
        "",
        `total: ${requests} requests in ${seconds.toFixed(1)} s (${(requests / seconds).toFixed(1)}/s), ${failures} errors, ${refusals} refused, ${late} skipped (over --concurrency); p99 in tclocal ${ms(percentile(intervals.flatMap((i) => i.serverLatencies), 0.99))} ms; at the client p50 ${ms(percentile(all, 0.5))} ms, p99 ${ms(percentile(all, 0.99))} ms`,
        `  mix: ${[...soak.totals].sort((a, b) => b[1] - a[1]).map(([action, n]) => `${action} ${n}`).join(", ")}`,
        ...[...soak.refusalCodes].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([code, n]) => `  refused: ${n} × ${code}`),
        ...[...soak.failureMessages].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([message, n]) => `  error:   ${n} × ${message}`),
        "",
      ].join("\n"),
    );

    if (intervals.length < 3) {
      process.stdout.write(`FAIL  ${intervals.length} intervals measured: the comparison needs at least 3 (raise --minutes or lower --interval)\n`);
      return 1;
    }
    const second = intervals[1]!;
    const last = intervals[intervals.length - 1]!;
    /** Whether b is at most 10% above a; `judged` false prints INFO instead of PASS/FAIL, with `why`. */
    const compare = (name: string, a: number, b: number, unit: string, digits: number, judged = true, why = ""): boolean => {
      const change = (b - a) / a;
      const pass = b <= a * 1.1;
      const label = !judged ? "INFO" : pass ? "PASS" : "FAIL";
      process.stdout.write(
        `${label}  ${name}: interval ${second.index} ${a.toFixed(digits)} ${unit} → interval ${last.index} ${b.toFixed(digits)} ${unit} (${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%; limit +10%)${why}\n`,
      );
      return pass;
    };
    const rssPass = compare("server RSS (mean)", mean(second.rssSamples) / 1048576, mean(last.rssSamples) / 1048576, "MB", 1);
    let p99Pass = false;
    if (second.serverLatencies.length === 0 || last.serverLatencies.length === 0) {
      process.stdout.write(`FAIL  p99 latency in tclocal: no request log to read (the soak needs --log-level info or lower)\n`);
    } else {
      p99Pass = compare("p99 latency in tclocal (its request log)", percentile(second.serverLatencies, 0.99), percentile(last.serverLatencies, 0.99), "ms", 2);
    }
    const loop = (i: Interval): string => ms(i.generatorLoopP99 ?? NaN);
    compare(
      "p99 latency at the client",
      percentile(second.latencies, 0.99),
      percentile(last.latencies, 0.99),
      "ms",
      2,
      false,
      `; not judged: it adds this load generator's own delays (event-loop p99 ${loop(second)} → ${loop(last)} ms) and the machine's (steal, stalls) to tclocal's`,
    );
    for (const i of [second, last]) {
      const cpuStalls = i.stallSamples.filter((sample) => sample.cpu >= NOTABLE_STALL_MS).length;
      const diskStalls = i.stallSamples.filter((sample) => sample.disk >= NOTABLE_STALL_MS).length;
      const stalls = [
        ...(cpuStalls > 0 ? [`an idle probe process's 5 ms timer fired up to ${worstStall(i, "cpu").toFixed(0)} ms late, ${cpuStalls} s of the interval ${NOTABLE_STALL_MS} ms or more`] : []),
        ...(diskStalls > 0 ? [`a 4 KiB fdatasync beside the database took up to ${worstStall(i, "disk").toFixed(0)} ms, ${diskStalls} s of the interval ${NOTABLE_STALL_MS} ms or more`] : []),
      ];
      if (stalls.length > 0) process.stdout.write(`NOTE  interval ${i.index}: the machine stalled (${stalls.join("; ")}); the latencies of that interval are not tclocal's alone\n`);
    }
    const errorsPass = failures === 0;
    process.stdout.write(`${errorsPass ? "PASS" : "FAIL"}  errors: ${failures} (refusals, ${refusals}, are not errors)\n`);
    verdict = rssPass && p99Pass && errorsPass;
    process.stdout.write(`${verdict ? "PASS" : "FAIL"}\n`);
  } finally {
    client.close();
    await server.stop();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (options.dataDir === undefined && !options.keep) rmSync(dataDir, { recursive: true, force: true });
    else progress(`data dir: ${dataDir}`);
  }
  return verdict ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
