// Load benchmark for tclocal: starts the server as a child process (so that the load generator and the
// server do not share an event loop), seeds instances through RunInstances, then drives signed TC3 POST
// requests over loopback and reports throughput and latency per scenario.
//
//   npm run bench -- [--seconds N] [--count N] [--warmup S] [--scenarios describe,run] [--sizes 1000,10000] [--source]
//
// This is a measurement, not a test: the PASS/FAIL lines at the end do not change the exit code.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { IMAGE_ID, INSTANCE_TYPE, ROOT, ZONES } from "../test/crash/harness.js";
import { optionsOrExit, positiveNumber } from "../test/helpers/cli-options.js";
import {
  isObject,
  percentileOfSorted as percentile,
  processCpuSeconds,
  progress,
  signedPostHeaders,
  type Json,
} from "./common.js";

// ---------------------------------------------------------------------------------------------------
// Constants

// Each of the ZONES' default subnet is a /20 (about 4,090 private addresses), so 10,000 instances do not fit
// in one zone: seeding and RunInstances go round-robin over them.
const SEED_BATCH = 500;
const TERMINATE_BATCH = 100;
const DESCRIBE_LIMIT = 100;
const CONCURRENCIES = [16, 1] as const;
const READY_TIMEOUT_MS = 60_000;
const TARGET_RPS_10K_C16 = 700;
const TARGET_RATIO = 0.8;
/** Large answers are parsed and checked in full once in this many calls; the rest by their first bytes. */
const FULL_CHECK_EVERY = 16;

// ---------------------------------------------------------------------------------------------------
// Options

type ScenarioKind = "describe" | "run";

interface Options {
  seconds: number;
  count: number | undefined;
  warmupSeconds: number;
  scenarios: Set<ScenarioKind>;
  sizes: number[];
  forceSource: boolean;
}

const USAGE = `Usage: npm run bench -- [options]

  --seconds N            measured duration of each scenario (default 5)
  --count N              measure a fixed number of requests per scenario instead of a duration
  --warmup S             warm-up seconds before each scenario (default: 20% of --seconds, 0.5 to 2)
  --scenarios LIST       describe,run (default both)
  --sizes LIST           instances stored for the DescribeInstances scenarios (default 1000,10000)
  --source               run the server from src/ through tsx even when dist/ exists
  -h, --help             show this text
`;

function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string" },
      count: { type: "string" },
      warmup: { type: "string" },
      scenarios: { type: "string" },
      sizes: { type: "string" },
      source: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const seconds = values.seconds === undefined ? 5 : positiveNumber(values.seconds, "--seconds", false);
  const count = values.count === undefined ? undefined : positiveNumber(values.count, "--count", true);
  const warmupSeconds =
    values.warmup === undefined ? Math.min(2, Math.max(0.5, seconds * 0.2)) : values.warmup === "0" ? 0 : positiveNumber(values.warmup, "--warmup", false);
  const scenarios = new Set<ScenarioKind>();
  for (const name of (values.scenarios ?? "describe,run").split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    if (name !== "describe" && name !== "run") throw new Error(`--scenarios: \`${name}\` is not one of describe, run`);
    scenarios.add(name);
  }
  if (scenarios.size === 0) throw new Error("--scenarios names no scenario");
  const sizes = [...new Set((values.sizes ?? "1000,10000").split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => positiveNumber(s, "--sizes", true)))].sort(
    (a, b) => a - b,
  );
  if (scenarios.has("describe") && sizes.length === 0) throw new Error("--sizes names no size");
  return { seconds, count, warmupSeconds, scenarios, sizes, forceSource: values.source ?? false };
}

// ---------------------------------------------------------------------------------------------------
// The server under test

/** Set once this process stops the server on purpose, so that its exit is not reported as a crash. */
let stopping = false;

interface ServerProcess {
  child: ChildProcess;
  host: string;
  port: number;
  command: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolvePort(port) : reject(new Error("could not find a free port"))));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

async function startTclocal(forceSource: boolean): Promise<ServerProcess> {
  const port = await freePort();
  const flags = ["--in-memory", "--rate-limits", "off", "--timing", "instant", "--port", String(port), "--log-level", "silent", "--instance-quota", "1000000"];
  const distCli = join(ROOT, "dist", "cli.js");
  const useDist = !forceSource && existsSync(distCli);
  if (useDist && newestMtime(join(ROOT, "src")) > statSync(distCli).mtimeMs) {
    progress("warning: some file in src/ is newer than dist/cli.js: the numbers are for the last build (run `npm run build`, or pass --source)");
  }
  // `node --import tsx` keeps the server in one process (the tsx launcher would add a parent process).
  const args = useDist ? [distCli, ...flags] : ["--import", "tsx", join(ROOT, "src", "cli.ts"), ...flags];
  const command = `node ${useDist ? "dist/cli.js" : "--import tsx src/cli.ts"} ${flags.join(" ")}`;
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "production" } });

  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once("exit", () => resolveExit());
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  const url = await new Promise<string>((resolveReady, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(new Error(`tclocal printed no ready line within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n  command: ${command}\n  stdout: ${stdout.trim()}\n  stderr: ${stderr.trim()}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`tclocal exited before it was ready (code ${code}, signal ${signal})`));
    const onData = (chunk: string): void => {
      stdout += chunk;
      const match = /tclocal ready on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", fail);
        // Keep draining stdout so that the child never blocks on a full pipe.
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolveReady(match[1]!);
      }
    };
    child.once("error", fail);
    child.once("exit", onExit);
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", onData);
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  child.once("exit", (code, signal) => {
    if (!stopping) progress(`tclocal exited unexpectedly (code ${code}, signal ${signal})${stderr ? `: ${stderr.trim()}` : ""}`);
  });
  const parsed = new URL(url);
  return { child, host: parsed.hostname, port: Number(parsed.port), command, stop };
}

// ---------------------------------------------------------------------------------------------------
// The load generator (CPU accounting: the generator through process.cpuUsage, the server through /proc).

/** Checks a parsed answer; returns a short description of what is wrong, or undefined when it is a success. */
type Check = (response: { [key: string]: Json }) => string | undefined;

type CallResult = { ok: true } | { ok: false; error: string };

class Tc3Client {
  readonly agent: Agent;

  constructor(
    private readonly host: string,
    private readonly port: number,
    concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  private calls = 0;

  /**
   * One signed TC3 POST; the signature is computed for this request by the official signer. With
   * `expectedPrefix`, only one answer in FULL_CHECK_EVERY is parsed and checked in full; the others are
   * checked by their first bytes, so that parsing large answers does not take the CPU the server needs.
   */
  call(action: string, body: Buffer, check: Check, expectedPrefix?: string): Promise<CallResult> {
    const fullCheck = expectedPrefix === undefined || this.calls++ % FULL_CHECK_EVERY === 0;
    const headers = signedPostHeaders(this.host, this.port, action, body);
    return new Promise((resolveCall) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method: "POST",
          path: "/",
          agent: this.agent,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error: Error) => resolveCall({ ok: false, error: `response: ${error.message}` }));
          res.on("end", () => {
            if (!fullCheck && res.statusCode === 200) {
              const head = chunks[0]?.subarray(0, expectedPrefix!.length).toString("utf8");
              resolveCall(head === expectedPrefix ? { ok: true } : { ok: false, error: `answer starts ${JSON.stringify(head)}` });
              return;
            }
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode !== 200) {
              resolveCall({ ok: false, error: `HTTP ${res.statusCode}: ${text.slice(0, 120)}` });
              return;
            }
            let parsed: Json;
            try {
              parsed = JSON.parse(text) as Json;
            } catch {
              resolveCall({ ok: false, error: `answer is not JSON: ${text.slice(0, 120)}` });
              return;
            }
            const response = isObject(parsed) ? parsed["Response"] : undefined;
            if (!isObject(response)) {
              resolveCall({ ok: false, error: `answer has no Response object: ${text.slice(0, 120)}` });
              return;
            }
            const apiError = response["Error"];
            if (apiError !== undefined) {
              const code = isObject(apiError) && typeof apiError["Code"] === "string" ? apiError["Code"] : "?";
              const message = isObject(apiError) && typeof apiError["Message"] === "string" ? apiError["Message"] : JSON.stringify(apiError);
              resolveCall({ ok: false, error: `${code}: ${message.slice(0, 160)}` });
              return;
            }
            if (typeof response["RequestId"] !== "string") {
              resolveCall({ ok: false, error: "Response.RequestId is missing" });
              return;
            }
            const problem = check(response);
            resolveCall(problem === undefined ? { ok: true } : { ok: false, error: problem });
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolveCall({ ok: false, error: `request: ${error.code ?? error.message}` }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

interface PhaseResult {
  completed: number;
  elapsedSeconds: number;
  latenciesMs: Float64Array;
  errors: Map<string, number>;
  errorCount: number;
  serverCpuSeconds: number | undefined;
  generatorCpuSeconds: number;
}

/** Runs `concurrency` closed-loop workers until the deadline passes or `count` requests have been sent. */
async function runPhase(
  client: Tc3Client,
  concurrency: number,
  stop: { seconds: number } | { count: number },
  fire: (client: Tc3Client) => Promise<CallResult>,
  serverPid: number | undefined,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let errorCount = 0;
  let issued = 0;
  const serverCpuBefore = processCpuSeconds(serverPid);
  const generatorCpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = "seconds" in stop ? started + stop.seconds * 1000 : Infinity;
  const limit = "count" in stop ? stop.count : Infinity;
  const more = (): boolean => issued < limit && performance.now() < deadline;

  const worker = async (): Promise<void> => {
    while (more()) {
      issued++;
      const t0 = performance.now();
      const result = await fire(client);
      latencies.push(performance.now() - t0);
      if (!result.ok) {
        errorCount++;
        errors.set(result.error, (errors.get(result.error) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const elapsedSeconds = (performance.now() - started) / 1000;
  const serverCpuAfter = processCpuSeconds(serverPid);
  const generatorCpu = process.cpuUsage(generatorCpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  return {
    completed: latencies.length,
    elapsedSeconds,
    latenciesMs: sorted,
    errors,
    errorCount,
    serverCpuSeconds: serverCpuBefore !== undefined && serverCpuAfter !== undefined ? serverCpuAfter - serverCpuBefore : undefined,
    generatorCpuSeconds: (generatorCpu.user + generatorCpu.system) / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

const RUN_BODY = (count: number, zone: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      Placement: { Zone: zone },
      ImageId: IMAGE_ID,
      InstanceType: INSTANCE_TYPE,
      InstanceCount: count,
    }),
  );

/** Checks a RunInstances answer, and adds the instance ids it created to `created` when given. */
function runCheck(count: number, created?: string[]): Check {
  return (response) => {
    const ids = response["InstanceIdSet"];
    if (!Array.isArray(ids) || ids.length !== count) return `RunInstances answered ${Array.isArray(ids) ? ids.length : "no"} instance ids, expected ${count}`;
    for (const id of ids) if (typeof id === "string") created?.push(id);
    return undefined;
  };
}

function describeCheck(stored: number, limit: number): Check {
  const expectedPage = Math.min(limit, stored);
  return (response) => {
    const set = response["InstanceSet"];
    const total = response["TotalCount"];
    if (!Array.isArray(set) || set.length !== expectedPage) return `DescribeInstances answered ${Array.isArray(set) ? set.length : "no"} instances, expected ${expectedPage}`;
    if (total !== stored) return `DescribeInstances answered TotalCount ${JSON.stringify(total)}, expected ${stored}`;
    return undefined;
  };
}

interface Row {
  scenario: string;
  action: string;
  stored: string;
  concurrency: number;
  result: PhaseResult;
}

function rps(result: PhaseResult): number {
  return result.elapsedSeconds > 0 ? result.completed / result.elapsedSeconds : 0;
}

// ---------------------------------------------------------------------------------------------------
// Output

interface Column {
  title: string;
  align: "left" | "right";
  cell: (row: Row) => string;
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");
const cpuPercent = (seconds: number | undefined, wall: number): string => (seconds === undefined || wall <= 0 ? "-" : `${Math.round((seconds / wall) * 100)}%`);

const COLUMNS: Column[] = [
  { title: "scenario", align: "left", cell: (r) => r.scenario },
  { title: "stored", align: "right", cell: (r) => r.stored },
  { title: "conc", align: "right", cell: (r) => String(r.concurrency) },
  { title: "requests", align: "right", cell: (r) => String(r.result.completed) },
  { title: "req/s", align: "right", cell: (r) => fixed(rps(r.result), 1) },
  { title: "p50 ms", align: "right", cell: (r) => fixed(percentile(r.result.latenciesMs, 0.5), 2) },
  { title: "p99 ms", align: "right", cell: (r) => fixed(percentile(r.result.latenciesMs, 0.99), 2) },
  { title: "errors", align: "right", cell: (r) => String(r.result.errorCount) },
  { title: "server CPU", align: "right", cell: (r) => cpuPercent(r.result.serverCpuSeconds, r.result.elapsedSeconds) },
  { title: "bench CPU", align: "right", cell: (r) => cpuPercent(r.result.generatorCpuSeconds, r.result.elapsedSeconds) },
];

function renderTable(rows: readonly Row[]): string {
  const cells = rows.map((row) => COLUMNS.map((c) => c.cell(row)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number): string => (COLUMNS[i]!.align === "left" ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (values: readonly string[]): string => values.map(pad).join("  ").trimEnd();
  return [line(COLUMNS.map((c) => c.title)), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = optionsOrExit("bench", USAGE, parseOptions);
  const measure: { seconds: number } | { count: number } = opts.count !== undefined ? { count: opts.count } : { seconds: opts.seconds };

  progress("starting tclocal ...");
  const server = await startTclocal(opts.forceSource);
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    progress(`\n${signal}: stopping tclocal`);
    void server.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // Last resort: never leave the server running when this process ends.
  process.once("exit", () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
  });

  const rows: Row[] = [];
  let failure: unknown;
  try {
    progress(`server: ${server.command}  (pid ${server.child.pid}, http://${server.host}:${server.port})`);
    progress(
      `load:   ${"count" in measure ? `${measure.count} requests` : `${measure.seconds} s`} per scenario after ${opts.warmupSeconds} s warm-up; node ${process.version}`,
    );

    const seedClient = new Tc3Client(server.host, server.port, 1);
    const storedCount = async (): Promise<number> => {
      let total = -1;
      const result = await seedClient.call("DescribeInstances", Buffer.from(JSON.stringify({ Limit: 1 })), (response) => {
        const t = response["TotalCount"];
        if (typeof t !== "number") return "DescribeInstances answered no TotalCount";
        total = t;
        return undefined;
      });
      if (!result.ok) throw new Error(`DescribeInstances failed: ${result.error}`);
      return total;
    };
    let seedBatches = 0;
    const seedTo = async (target: number): Promise<void> => {
      let stored = await storedCount();
      if (stored >= target) return;
      const started = performance.now();
      while (stored < target) {
        const batch = Math.min(SEED_BATCH, target - stored);
        const zone = ZONES[seedBatches++ % ZONES.length]!;
        const result = await seedClient.call("RunInstances", RUN_BODY(batch, zone), runCheck(batch));
        if (!result.ok) throw new Error(`seeding: RunInstances of ${batch} failed: ${result.error}`);
        stored += batch;
      }
      const confirmed = await storedCount();
      if (confirmed !== target) throw new Error(`after seeding, DescribeInstances reports ${confirmed} instances, expected ${target}`);
      progress(`seeded ${target} instances (RunInstances × ${SEED_BATCH}, ${ZONES.length} zones) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };
    /** Terminates instances (timing instant: they are gone at once), so that every RunInstances scenario starts from the same store. */
    const terminate = async (ids: string[]): Promise<void> => {
      for (let i = 0; i < ids.length; i += TERMINATE_BATCH) {
        const batch = ids.slice(i, i + TERMINATE_BATCH);
        const result = await seedClient.call("TerminateInstances", Buffer.from(JSON.stringify({ InstanceIds: batch })), () => undefined);
        if (!result.ok) throw new Error(`clean-up: TerminateInstances failed: ${result.error}`);
      }
    };

    const scenario = async (name: string, action: string, stored: string, concurrency: number, fire: (client: Tc3Client) => Promise<CallResult>): Promise<void> => {
      const client = new Tc3Client(server.host, server.port, concurrency);
      try {
        if (opts.warmupSeconds > 0) await runPhase(client, concurrency, { seconds: opts.warmupSeconds }, fire, undefined);
        const result = await runPhase(client, concurrency, measure, fire, server.child.pid);
        const row: Row = { scenario: name, action, stored, concurrency, result };
        rows.push(row);
        progress(
          `  ${name} c${concurrency}: ${fixed(rps(result), 1)} req/s, p50 ${fixed(percentile(result.latenciesMs, 0.5), 2)} ms, p99 ${fixed(percentile(result.latenciesMs, 0.99), 2)} ms, ${result.errorCount} errors`,
        );
      } finally {
        client.close();
      }
    };

    // RunInstances first, before the store holds 10k instances: each zone's default /20 subnet holds about
    // 4,090, and a long run at full speed would exhaust them.
    if (opts.scenarios.has("run")) {
      const bodies = ZONES.map((zone) => RUN_BODY(1, zone));
      const created: string[] = [];
      const check = runCheck(1, created);
      let next = 0;
      const base = await storedCount();
      for (const c of CONCURRENCIES) {
        await scenario("RunInstances Count=1", "RunInstances", String(base), c, (client) => client.call("RunInstances", bodies[next++ % bodies.length]!, check));
        const started = performance.now();
        await terminate(created.splice(0));
        const after = await storedCount();
        progress(`  terminated the instances RunInstances created in ${((performance.now() - started) / 1000).toFixed(1)} s (${after} stored)`);
      }
    }
    if (opts.scenarios.has("describe")) {
      const body = Buffer.from(JSON.stringify({ Limit: DESCRIBE_LIMIT }));
      for (const size of opts.sizes) {
        await seedTo(size);
        const stored = await storedCount();
        if (stored !== size) throw new Error(`${stored} instances are stored, expected ${size}`);
        const check = describeCheck(size, DESCRIBE_LIMIT);
        for (const c of CONCURRENCIES) {
          await scenario(`DescribeInstances Limit=${DESCRIBE_LIMIT}`, "DescribeInstances", String(size), c, (client) => client.call("DescribeInstances", body, check, `{"Response":{"TotalCount":${size},"InstanceSet":[{`));
        }
      }
    }

    seedClient.close();
  } catch (error) {
    failure = error;
  } finally {
    stopping = true;
    await server.stop();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }

  // Report (what was measured, even when a step failed).
  if (rows.length > 0) process.stdout.write(`\n${renderTable(rows)}\n`);
  const withErrors = rows.filter((r) => r.result.errorCount > 0);
  if (withErrors.length > 0) {
    process.stdout.write("\nerrors:\n");
    for (const row of withErrors) {
      for (const [message, n] of [...row.result.errors].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
        process.stdout.write(`  ${row.scenario} (stored ${row.stored}, c${row.concurrency}): ${n} × ${message}\n`);
      }
      if (row.result.errors.size > 5) process.stdout.write(`  ... and ${row.result.errors.size - 5} other messages\n`);
    }
  }

  if (failure !== undefined) throw failure;

  const describeAt = (size: number, c: number): Row | undefined => rows.find((r) => r.action === "DescribeInstances" && r.stored === String(size) && r.concurrency === c);
  const at1k = describeAt(1000, 16);
  const at10k = describeAt(10000, 16);
  process.stdout.write("\n");
  if (at10k) {
    const value = rps(at10k.result);
    process.stdout.write(`${value > TARGET_RPS_10K_C16 ? "PASS" : "FAIL"}  DescribeInstances @10k c16: ${fixed(value, 1)} req/s (target > ${TARGET_RPS_10K_C16})\n`);
  } else {
    process.stdout.write(`SKIP  DescribeInstances @10k c16 (target > ${TARGET_RPS_10K_C16} req/s): not measured (needs --scenarios describe and 10000 in --sizes)\n`);
  }
  if (at1k && at10k) {
    const ratio = rps(at10k.result) / rps(at1k.result);
    process.stdout.write(
      `${ratio >= TARGET_RATIO ? "PASS" : "FAIL"}  DescribeInstances c16 ratio @10k / @1k: ${fixed(ratio, 2)} (${fixed(rps(at10k.result), 1)} / ${fixed(rps(at1k.result), 1)} req/s; target ≥ ${TARGET_RATIO})\n`,
    );
  } else {
    process.stdout.write(`SKIP  DescribeInstances c16 ratio @10k / @1k (target ≥ ${TARGET_RATIO}): not measured (needs 1000 and 10000 in --sizes)\n`);
  }
  const totalErrors = rows.reduce((n, r) => n + r.result.errorCount, 0);
  if (totalErrors > 0) process.stdout.write(`NOTE  ${totalErrors} requests failed: the numbers above include failed requests\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
