// A tclocal cluster on one machine: PostgreSQL, several tclocal nodes sharing it, and HAProxy in front of
// them on one port, as a user would run it behind a load balancer. Plain Node, no build step.
//
//   node scripts/cluster.mjs [--port 4577] [--nodes 3] [--database URL] [--source] [--verbose] [-- TCLOCAL FLAGS]
//     (`npm run cluster -- …`) starts a throwaway PostgreSQL (scripts/postgres.mjs) unless --database names
//     one, then the nodes (`node dist/cli.js --database URL --port 0 …`, each waited for until it prints its
//     ready line), then HAProxy on 127.0.0.1:PORT, and prints
//       tclocal cluster ready on http://127.0.0.1:PORT (N nodes, PostgreSQL postgres://user@host:port/db)
//     SIGINT or SIGTERM stops HAProxy, the nodes and the PostgreSQL it started, and it exits 0. When a part
//     fails to start, what was started is stopped and it exits 1 with the reason.
//
//   import { startNodes, startHaproxy, … } from "./scripts/cluster.mjs";   (bench/bench.ts)
//
// HAProxy balances round-robin, checks GET /_tclocal/health on each node every second, and sends a request
// that cannot reach its node (refused, or the node closed the connection without an answer) to another one:
// a node that dies is skipped before its health check has noticed. Each answer names the node that gave it
// in an `X-Tclocal-Node` header (node1, node2, …).
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "./postgres.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_PORT = 4577;
export const DEFAULT_NODES = 3;
const READY_TIMEOUT_MS = 60_000;
/** How long HAProxy gets to answer a health request through its port after it started. */
const BALANCER_TIMEOUT_MS = 15_000;
/** tclocal flags the cluster sets itself, which may not be passed after `--`. */
const OWN_FLAGS = ["--database", "--port", "--host", "--data-dir", "--in-memory"];
/** The request log of every node would go nowhere useful; `-- --log-level info` brings it back (on stderr). */
const DEFAULT_NODE_FLAGS = ["--log-level", "warn"];

export { freePort };

/** Whether something accepts connections on 127.0.0.1:port. */
export function portInUse(port) {
  return new Promise((resolveUse) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolveUse(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveUse(false)));
  });
}

/** A PostgreSQL URL without its password (and without the user's, if the URL cannot be parsed). */
export function withoutPassword(url) {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(a malformed database URL)";
  }
}

/** Resolves when `child` has exited (at once if it has). */
function exitOf(child) {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once("exit", () => resolveExit());
  });
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves when the process has exited. */
async function stopChild(child, signal = "SIGTERM", graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  try {
    child.kill(signal);
  } catch {
    // Gone already.
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Calls `onLine` with each complete line of a readable stream. */
function eachLine(stream, onLine) {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (pending !== "") onLine(pending);
    pending = "";
  });
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * How a node is run: `node dist/cli.js`, or with `source` `node --import tsx src/cli.ts` (one process, as
 * the tsx launcher would add a parent). `warning` is set when dist/ is older than some file of src/.
 */
export function nodeCommand(source = false) {
  if (source) return { args: ["--import", "tsx", join(ROOT, "src", "cli.ts")], shown: "node --import tsx src/cli.ts", warning: undefined };
  const cli = join(ROOT, "dist", "cli.js");
  if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first (or pass --source to run src/ through tsx)");
  let warning;
  try {
    if (existsSync(join(ROOT, "src")) && newestMtime(join(ROOT, "src")) > statSync(cli).mtimeMs) {
      warning = "some file in src/ is newer than dist/cli.js: the nodes run the last build (run `npm run build`, or pass --source)";
    }
  } catch {
    // No src/ to compare with (an installed package).
  }
  return { args: [cli], shown: "node dist/cli.js", warning };
}

/**
 * Starts one tclocal node, `--database databaseUrl --port 0 ...flags`, and resolves once it has printed
 * its ready line. After that, its output goes to `log` line by line (its stdout: the request log; stderr:
 * warnings and errors), prefixed with its name.
 * @param {{ databaseUrl: string, index: number, source?: boolean, flags?: readonly string[], log?: (line: string) => void, env?: NodeJS.ProcessEnv }} options
 */
export function startNode(options) {
  const { databaseUrl, index, source = false, flags = [], log } = options;
  const name = `node${index}`;
  const command = nodeCommand(source);
  const args = [...command.args, "--database", databaseUrl, "--port", "0", ...flags];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
  const exited = exitOf(child);
  let ready = false;
  let output = "";
  const keep = (line) => {
    output = `${output}${line}\n`.slice(-8000);
  };
  let onReady;
  const readyLine = new Promise((resolveReady) => (onReady = resolveReady));
  eachLine(child.stdout, (line) => {
    if (ready) return log?.(`${name}: ${line}`);
    keep(line);
    const match = /tclocal ready on (http:\/\/\S+)/.exec(line);
    if (match) {
      ready = true;
      onReady(match[1]);
    }
  });
  eachLine(child.stderr, (line) => (ready ? log?.(`${name}: ${line}`) : keep(line)));
  const shown = `${command.shown} --database ${withoutPassword(databaseUrl)} --port 0 ${flags.join(" ")}`.trim();
  const node = {
    name,
    index,
    child,
    pid: child.pid,
    port: 0,
    url: "",
    command: shown,
    exited,
    /** SIGTERM (SIGKILL after 5 s), then waits for the exit. */
    stop: () => stopChild(child, "SIGTERM"),
    /** SIGKILL, then waits for the exit: a node lost without warning. */
    kill: () => stopChild(child, "SIGKILL"),
  };
  return new Promise((resolveNode, reject) => {
    const fail = (reason) => {
      clearTimeout(timer);
      void stopChild(child, "SIGKILL").then(() =>
        reject(new Error(`tclocal ${name} ${reason}\n  command: ${shown}${output.trim() === "" ? "" : `\n  output:\n${output.trim().replace(/^/gm, "    ")}`}`)),
      );
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    child.once("error", (error) => fail(`could not start: ${error.message}`));
    child.once("exit", (code, signal) => {
      if (!ready) fail(`exited before it was ready (${signal ?? `exit code ${code}`})`);
    });
    readyLine.then((url) => {
      clearTimeout(timer);
      const parsed = new URL(url);
      node.url = url;
      node.port = Number(parsed.port);
      resolveNode(node);
    });
  });
}

/**
 * Starts `count` nodes on one database, all at once (the first to take the migration lock migrates the
 * schema; the others wait for it). When one fails, the others are stopped and the error is thrown.
 * @param {{ databaseUrl: string, count: number, source?: boolean, flags?: readonly string[], log?: (line: string) => void }} options
 */
export async function startNodes(options) {
  const started = await Promise.allSettled(Array.from({ length: options.count }, (_, i) => startNode({ ...options, index: i + 1 })));
  const failed = started.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(started.filter((s) => s.status === "fulfilled").map((s) => s.value.stop()));
    throw failed.reason;
  }
  return started.map((s) => s.value);
}

/** The haproxy executable on PATH, or undefined. */
export function findHaproxy() {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "haproxy");
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export const HAPROXY_MISSING =
  "HAProxy is not installed (no `haproxy` on PATH); the cluster puts it in front of the nodes. Install it with\n" +
  "  sudo apt-get install haproxy    (Debian, Ubuntu)\n" +
  "  brew install haproxy            (macOS)";

/**
 * The HAProxy configuration: 127.0.0.1:port in HTTP mode, round-robin over the nodes (each a `{ port }`).
 * - Health: GET /_tclocal/health (no authentication) every second; every tclocal answer is HTTP 200, an
 *   error too, so the check also wants the body's "Status":"ok". Two failures take a node out, two
 *   successes bring it back; a refused connection takes it out at once (observe layer4).
 * - A request that could not be delivered (connection refused, or closed without an answer: a node that
 *   died, or an idle kept-alive connection closed just as it was reused) is retried, each time on another
 *   node (redispatch 1), up to 3 times. An answer that has begun is never retried.
 * - Timeouts: connect 5 s, client and server 30 s (a slow request still gets its answer).
 */
export function haproxyConfig(nodes, port, host = "127.0.0.1") {
  return [
    `# Generated by tclocal's scripts/cluster.mjs (pid ${process.pid}) for one run, and removed when it stops.`,
    // Run in the foreground (-db), HAProxy writes its warnings (a node going DOWN or UP) to stderr itself.
    "global",
    "  maxconn 4096",
    "",
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-request 30s",
    "  timeout http-keep-alive 10s",
    "  timeout check 2s",
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response",
    "",
    "listen tclocal",
    `  bind ${host}:${port}`,
    "  balance roundrobin",
    "  option httpchk",
    `  http-check send meth GET uri /_tclocal/health ver HTTP/1.1 hdr Host 127.0.0.1`,
    "  http-check expect rstring Status.{3}ok",
    "  http-response set-header X-Tclocal-Node %[srv_name]",
    "  default-server check inter 1s fastinter 250ms downinter 1s rise 2 fall 2 observe layer4 error-limit 1 on-error mark-down",
    ...nodes.map((node, i) => `  server node${node.index ?? i + 1} 127.0.0.1:${node.port}`),
    "",
  ].join("\n");
}

/** GET url; resolves with the status and body, or rejects. */
function get(url, timeoutMs = 2000) {
  return new Promise((resolveGet, reject) => {
    const req = request(url, { method: "GET", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolveGet({ status: res.statusCode, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Runs a program to its end; resolves with its exit code and output. */
function runToEnd(file, args) {
  return new Promise((resolveRun) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolveRun({ code: -1, output: error.message }));
    child.on("close", (code) => resolveRun({ code, output }));
  });
}

/**
 * Starts HAProxy (from PATH) in front of `nodes` (each `{ index, port }`) on 127.0.0.1:port, with its
 * configuration in a new temporary directory; resolves once a health request through it is answered.
 * HAProxy's own messages (a node going DOWN or UP) go to `log`.
 * @param {{ nodes: ReadonlyArray<{ index?: number, port: number }>, port: number, log?: (line: string) => void }} options
 */
export async function startHaproxy(options) {
  const { nodes, port, log } = options;
  const haproxy = findHaproxy();
  if (haproxy === undefined) throw new Error(HAPROXY_MISSING);
  if (await portInUse(port)) throw new Error(`port ${port} on 127.0.0.1 is in use: stop what listens there, or pass --port`);
  const dir = mkdtempSync(join(tmpdir(), "tclocal-cluster-"));
  const configPath = join(dir, "haproxy.cfg");
  writeFileSync(configPath, haproxyConfig(nodes, port), { mode: 0o600 });
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const check = await runToEnd(haproxy, ["-c", "-f", configPath]);
    if (check.code !== 0) throw new Error(`HAProxy refused the generated configuration (${configPath}):\n${check.output.trim()}`);
  } catch (error) {
    removeDir();
    throw error;
  }
  // -db: in the foreground, one process; SIGTERM stops it at once.
  const child = spawn(haproxy, ["-db", "-f", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = exitOf(child);
  let output = "";
  const onLine = (line) => {
    output = `${output}${line}\n`.slice(-8000);
    log?.(`haproxy: ${line}`);
  };
  eachLine(child.stdout, onLine);
  eachLine(child.stderr, onLine);
  const balancer = {
    child,
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    configPath,
    exited,
    async stop() {
      await stopChild(child, "SIGTERM");
      removeDir();
    },
  };
  let spawnError;
  child.once("error", (error) => (spawnError = error));
  const deadline = Date.now() + BALANCER_TIMEOUT_MS;
  let last = "no answer yet";
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await exited.catch(() => undefined);
      removeDir();
      throw new Error(`HAProxy ${spawnError ? `could not start: ${spawnError.message}` : `exited (${child.signalCode ?? `exit code ${child.exitCode}`})`}:\n${output.trim()}`);
    }
    try {
      const answer = await get(`${balancer.url}/_tclocal/health`);
      if (answer.status === 200 && /"Status":"ok"/.test(answer.body)) return balancer;
      last = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
    } catch (error) {
      last = error.message;
    }
    if (Date.now() > deadline) {
      await balancer.stop();
      throw new Error(`HAProxy did not answer GET /_tclocal/health on port ${port} within ${BALANCER_TIMEOUT_MS / 1000} s (${last}):\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * PostgreSQL (a throwaway one unless databaseUrl is given), the nodes, then HAProxy: what the command
 * starts, for a caller that wants the whole cluster. Stops what it started when a part fails. `progress`
 * receives a line per part started (with its pid); `log` the parts' own output (nodes, HAProxy).
 * @param {{ port?: number, nodes?: number, databaseUrl?: string, source?: boolean, flags?: readonly string[], log?: (line: string) => void, progress?: (line: string) => void }} options
 */
export async function startCluster(options = {}) {
  const { port = DEFAULT_PORT, nodes: count = DEFAULT_NODES, source = false, flags = [], log } = options;
  const progress = options.progress ?? (() => undefined);
  // Fail before starting anything when the parts are missing.
  if (findHaproxy() === undefined) throw new Error(HAPROXY_MISSING);
  const command = nodeCommand(source);
  if (command.warning !== undefined) log?.(`warning: ${command.warning}`);
  if (await portInUse(port)) throw new Error(`port ${port} on 127.0.0.1 is in use: stop what listens there, or pass --port`);
  const started = [];
  const stopAll = async () => {
    for (const part of started.splice(0).reverse()) await part.stop().catch(() => undefined);
  };
  try {
    let postgres;
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      progress("starting PostgreSQL (scripts/postgres.mjs) ...");
      const { startPostgres } = await import("./postgres.mjs");
      postgres = await startPostgres();
      started.push(postgres);
      databaseUrl = postgres.url;
      progress(`postgres: pid ${postgres.pid}, ${withoutPassword(databaseUrl)}, data in ${postgres.dir}`);
    }
    progress(`starting ${count} tclocal node${count === 1 ? "" : "s"} (${command.shown}) ...`);
    const nodes = await startNodes({ databaseUrl, count, source, flags: [...DEFAULT_NODE_FLAGS, ...flags], log });
    started.push({ stop: () => Promise.all(nodes.map((n) => n.stop())) });
    for (const node of nodes) progress(`${node.name}: pid ${node.pid}, ${node.url}`);
    const balancer = await startHaproxy({ nodes, port, log });
    started.push(balancer);
    progress(`haproxy: pid ${balancer.pid}, ${balancer.url}, config ${balancer.configPath}`);
    return {
      url: balancer.url,
      port,
      databaseUrl,
      postgres,
      nodes,
      haproxy: balancer,
      /** HAProxy first (no new requests), then the nodes, then PostgreSQL if it was started here. */
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

const USAGE = `Usage: npm run cluster -- [options] [-- tclocal flags]

Starts PostgreSQL, tclocal nodes sharing it and HAProxy in front of them, prints
"tclocal cluster ready on http://127.0.0.1:PORT", and runs until SIGINT (Ctrl-C) or SIGTERM.

  --port N          HAProxy's port on 127.0.0.1 (default ${DEFAULT_PORT})
  --nodes N         tclocal nodes (default ${DEFAULT_NODES})
  --database URL    use this PostgreSQL database instead of starting a throwaway server
  --source          run the nodes from src/ through tsx instead of dist/ (no build needed)
  --verbose         print each part as it starts: PostgreSQL, each node and HAProxy with their pids
  -h, --help        show this text

After \`--\`, flags for every node (e.g. \`-- --rate-limits off --timing instant\`); the nodes log at
warn level unless a --log-level is given there, and their output goes to stderr, prefixed with their name.
HAProxy must be installed: sudo apt-get install haproxy (Debian, Ubuntu), brew install haproxy (macOS).
`;

function parseOptions(argv) {
  const dashes = argv.indexOf("--");
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const flags = dashes < 0 ? [] : argv.slice(dashes + 1);
  const { values } = parseArgs({
    args: own,
    options: {
      port: { type: "string" },
      nodes: { type: "string" },
      database: { type: "string" },
      source: { type: "boolean" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const integer = (text, flag, min, max) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`${flag} \`${text}\` is not a whole number from ${min} to ${max}`);
    return n;
  };
  const port = values.port === undefined ? DEFAULT_PORT : integer(values.port, "--port", 1, 65535);
  const nodes = values.nodes === undefined ? DEFAULT_NODES : integer(values.nodes, "--nodes", 1, 64);
  if (values.database !== undefined && !/^postgres(ql)?:\/\//.test(values.database)) throw new Error("--database needs a postgres:// URL");
  const taken = flags.filter((f) => OWN_FLAGS.includes(f.split("=")[0]));
  if (taken.length > 0) throw new Error(`the cluster sets ${taken.join(", ")} itself: use the cluster's own options, not tclocal flags after --`);
  return { port, nodes, databaseUrl: values.database, source: values.source ?? false, verbose: values.verbose ?? false, flags };
}

async function main(argv) {
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`cluster: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") return void process.stdout.write(USAGE);
  const say = (line) => process.stdout.write(`${line}\n`);
  const note = (line) => process.stderr.write(`${line}\n`);
  if (options.verbose) say(`cluster: pid ${process.pid}`);
  // Before anything starts: a signal during start-up stops what was started, once it has started.
  let signalled;
  const onSignal = (signal) => {
    signalled ??= signal;
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, onSignal);
  let cluster;
  try {
    cluster = await startCluster({
      port: options.port,
      nodes: options.nodes,
      databaseUrl: options.databaseUrl,
      source: options.source,
      flags: options.flags,
      // With --verbose, each part and its pid on stdout; the parts' own messages always, on stderr.
      progress: options.verbose ? say : undefined,
      log: note,
    });
  } catch (error) {
    note(`cluster: ${error.message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    note(`cluster: ${signal}: stopping HAProxy, the nodes${cluster.postgres ? " and PostgreSQL" : ""}`);
    await cluster.stop();
    process.exit(0);
  };
  if (signalled !== undefined) return stop(signalled);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.off(signal, onSignal);
    process.on(signal, () => void stop(signal));
  }
  // Under npm (`npm run cluster`), a shell that does not exec its command would take npm's SIGTERM and leave
  // this process running, orphaned, with everything it started: stop when the parent goes (as tclocal
  // itself does under npx). The package script execs node, so this is only the safety net.
  if (process.env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop("parent exited");
    }, 250).unref();
  }
  for (const node of cluster.nodes) {
    void node.exited.then(() => {
      if (stopping) return;
      const alive = cluster.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).length;
      note(`cluster: ${node.name} (pid ${node.pid}) exited (${node.child.signalCode ?? `exit code ${node.child.exitCode}`}); HAProxy sends requests to the ${alive} left`);
    });
  }
  void cluster.haproxy.exited.then(() => {
    if (stopping) return;
    stopping = true;
    note(`cluster: HAProxy (pid ${cluster.haproxy.pid}) exited (${cluster.haproxy.child.signalCode ?? `exit code ${cluster.haproxy.child.exitCode}`}): stopping`);
    void cluster.stop().then(() => process.exit(1));
  });
  say(`tclocal cluster ready on ${cluster.url} (${cluster.nodes.length} node${cluster.nodes.length === 1 ? "" : "s"}, PostgreSQL ${withoutPassword(cluster.databaseUrl)})`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
