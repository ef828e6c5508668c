// One data dir, one owner, and private files: real tclocal processes (node --import tsx src/cli.ts) on one
// data dir.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../src/store/data-dir-lock.js";
import { DATABASE_FILE } from "../../src/store/sqlite.js";
import { ROOT, runRequest, sdkClient, startTclocal, type TclocalProcess } from "../crash/harness.js";

const dirs: string[] = [];
const started: TclocalProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tclocal-lock-"));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, args: string[] = []): Promise<TclocalProcess> {
  const server = await startTclocal({ dataDir, args, readyTimeoutMs: 30_000 });
  started.push(server);
  return server;
}

/** Runs tclocal until it exits (it must, within the timeout): its exit code, stdout and stderr. */
function runToExit(dataDir: string, args: string[] = [], timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("TCLOCAL_") && name !== "NODE_OPTIONS") env[name] = value;
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), "--data-dir", dataDir, "--port", "0", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tclocal did not exit within ${timeoutMs} ms\n  stdout: ${stdout}\n  stderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe("data dir lock", () => {
  it("refuses a second tclocal on the same data dir, naming the first one's pid and host, before it listens", async () => {
    const dir = newDir();
    const first = await start(dir);
    const second = await runToExit(dir);
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stdout).not.toContain("tclocal ready on");
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain("in use by another tclocal");
    expect(second.stderr).toMatch(/on host \S+, started \d{4}-\d\d-\d\dT/);
    // The first one is untouched, and still the owner.
    expect(first.exited()).toBe(false);
    expect((await sdkClient(first.port).DescribeZones(null)).TotalCount).toBe(6);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: first.pid });
    await first.stop();
  }, 60_000);

  it("lets in-memory servers run side by side, and next to the owner of the data dir", async () => {
    const dir = newDir();
    const owner = await start(dir);
    const a = await start(dir, ["--in-memory"]);
    const b = await start(dir, ["--in-memory"]);
    for (const server of [owner, a, b]) expect((await sdkClient(server.port).DescribeZones(null)).TotalCount).toBe(6);
    await Promise.all([owner.stop(), a.stop(), b.stop()]);
  }, 60_000);

  it("starts after the owner was killed with SIGKILL (its lock left behind), and keeps the data", async () => {
    const dir = newDir();
    const first = await start(dir, ["--timing", "instant"]);
    const run = await sdkClient(first.port).RunInstances(runRequest("lock-sigkill", 1, "ap-guangzhou-3"));
    await first.kill("SIGKILL");
    expect(first.child.signalCode).toBe("SIGKILL");
    // No clean-up ran: the stale lock is there, and the next process must take it over.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: first.pid });
    const second = await start(dir, ["--timing", "instant"]);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: second.pid });
    const listed = await sdkClient(second.port).DescribeInstances({ InstanceIds: run.InstanceIdSet! });
    expect(listed.InstanceSet!.map((i) => i.InstanceId)).toEqual(run.InstanceIdSet);
    // And the new owner is an owner: a third process is refused, naming it.
    const third = await runToExit(dir);
    expect(third.code).not.toBe(0);
    expect(third.stderr).toContain(`pid ${second.pid}`);
    await second.stop();
  }, 90_000);

  it("releases the lock on a clean stop (SIGTERM), so that the next one starts", async () => {
    const dir = newDir();
    const first = await start(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    await first.kill("SIGTERM");
    expect({ code: first.child.exitCode, signal: first.child.signalCode, stderr: first.stderr() }).toEqual({ code: 0, signal: null, stderr: "" });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = await start(dir);
    expect((await sdkClient(second.port).DescribeZones(null)).TotalCount).toBe(6);
    await second.stop();
  }, 60_000);

  it("takes over a lock whose pid is alive but belongs to another process (a reused pid)", async () => {
    const dir = newDir();
    // Without /proc (macOS) a live pid counts as the owner (see data-dir-lock.ts).
    if (!existsSync("/proc/self/stat")) return;
    // This test runner's pid is alive on this host, but the process that wrote the lock started at another time.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "2020-01-01T00:00:00.000Z", procStart: "not-this-boot:1", nonce: "0123456789abcdef" }));
    const server = await start(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({ pid: server.pid });
    await server.stop();
  }, 60_000);
});

describe("data dir file modes", () => {
  it("creates the data dir 0700 and tclocal.sqlite, -wal and -shm 0600, and keeps them so after writes", async () => {
    const dir = join(newDir(), "nested", "data");
    const server = await start(dir, ["--timing", "instant"]);
    const client = sdkClient(server.port);
    for (let i = 0; i < 3; i++) await client.RunInstances(runRequest(`lock-modes-${i}`, 2, "ap-guangzhou-4"));
    expect(mode(dir)).toBe(0o700);
    for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, LOCK_FILE]) expect([name, mode(join(dir, name)).toString(8)]).toEqual([name, "600"]);
    expect(statSync(join(dir, `${DATABASE_FILE}-wal`)).size).toBeGreaterThan(0);
    await server.stop();
  }, 60_000);

  it("tightens an existing 0755 data dir holding only tclocal's files to 0700, and its 0644 files to 0600", async () => {
    const dir = newDir();
    const first = await start(dir);
    await first.kill("SIGKILL"); // leaves the -wal and -shm files (and the lock) behind
    chmodSync(dir, 0o755);
    for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) chmodSync(join(dir, name), 0o644);
    const second = await start(dir);
    expect(mode(dir)).toBe(0o700);
    for (const name of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) expect([name, mode(join(dir, name)).toString(8)]).toEqual([name, "600"]);
    await second.stop();
  }, 60_000);

  it("leaves the mode of a data dir that holds other files alone, but still makes its own files 0600", async () => {
    const dir = newDir();
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "someone-elses.txt"), "hello");
    const server = await start(dir);
    expect(mode(dir)).toBe(0o755);
    expect(mode(join(dir, DATABASE_FILE))).toBe(0o600);
    expect(mode(join(dir, `${DATABASE_FILE}-wal`))).toBe(0o600);
    expect(mode(join(dir, `${DATABASE_FILE}-shm`))).toBe(0o600);
    await server.stop();
  }, 60_000);
});
