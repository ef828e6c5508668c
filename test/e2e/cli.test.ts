// The `tclocal` command as a user runs it: the start-up banner, configuration through flags and
// environment variables, and a clean stop.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { LOCK_FILE } from "../../src/store/data-dir-lock.js";
import { VERSION } from "../../src/version.js";
import { readyPort, ROOT, sdkClient, startTclocal, type TclocalProcess } from "../crash/harness.js";

const dataDir = mkdtempSync(join(tmpdir(), "tclocal-cli-"));
const started: TclocalProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(args: string[], env: Record<string, string> = {}): Promise<TclocalProcess> {
  const server = await startTclocal({ dataDir, args, env });
  started.push(server);
  return server;
}

describe("tclocal command", () => {
  it("prints the endpoint and the development key pair, then one ready line", async () => {
    const server = await start(["--in-memory"]);
    const lines = server.banner.trim().split("\n");
    expect(server.banner).toContain(`endpoint    ${server.url}`);
    expect(server.banner).toContain(`SecretId    ${DEFAULT_SECRET_ID}`);
    expect(server.banner).toContain(`SecretKey   ${DEFAULT_SECRET_KEY}`);
    expect(server.banner).toContain("(cvm 2017-03-12, sts 2018-08-13)");
    expect(server.banner).toContain("storage     in memory");
    expect(server.banner).toContain("signatures  verified");
    expect(lines[lines.length - 1]).toBe(`tclocal ready on ${server.url}`);
    expect(lines.filter((l) => l.includes("ready")).length).toBe(1);
    const zones = await sdkClient(server.port).DescribeZones(null);
    expect(zones.TotalCount).toBe(6);
  });

  it("takes its key pair and switches from environment variables, and never prints a user's own secret key", async () => {
    const secretId = "AKIDmyOwnDevelopmentKey000000000000";
    const secretKey = "myOwnSecretKeyThatMustNotBePrinted";
    const server = await start(["--in-memory"], { TCLOCAL_SECRET_ID: secretId, TCLOCAL_SECRET_KEY: secretKey, TCLOCAL_SKIP_SIGNATURE_CHECK: "1", TCLOCAL_RATE_LIMITS: "off" });
    expect(server.banner).toContain(`SecretId    ${secretId}`);
    expect(server.banner).toContain("SecretKey   (from TCLOCAL_SECRET_KEY)");
    expect(server.banner).not.toContain(secretKey);
    expect(server.banner).toContain("signatures  NOT verified");
    expect(server.banner).toContain("rate limits off");
  });

  it("keeps state in the data dir across a stop and a start, and stops cleanly on SIGTERM", async () => {
    const first = await start([]);
    expect(first.banner).toContain(`storage     ${dataDir} (SQLite)`);
    const run = await sdkClient(first.port).RunInstances({ Placement: { Zone: "ap-guangzhou-3" }, ImageId: "img-9qabwvbn", InstanceType: "S5.MEDIUM4" });
    await first.kill("SIGTERM");
    expect(first.child.exitCode).toBe(0);
    const second = await start([]);
    const { InstanceSet } = await sdkClient(second.port).DescribeInstances({ InstanceIds: run.InstanceIdSet! });
    expect(InstanceSet!.map((i) => i.InstanceId)).toEqual(run.InstanceIdSet);
  });

  it("warns in the banner when it listens beyond loopback, and more with the development key", async () => {
    const loopback = await start(["--in-memory"]);
    expect(loopback.banner).not.toContain("WARNING");
    const open = await start(["--in-memory", "--host", "0.0.0.0"]);
    expect(open.banner).toMatch(/WARNING +tclocal listens on 0\.0\.0\.0, not on loopback/);
    expect(open.banner).toMatch(/WARNING +The default account uses the public development key pair: anyone who can reach this port/);
    const own = await start(["--in-memory", "--host", "0.0.0.0"], { TCLOCAL_SECRET_ID: "AKIDprivateOperatorKey000000000000", TCLOCAL_SECRET_KEY: "privateOperatorSecretKey00000000" });
    expect(own.banner).toMatch(/WARNING +tclocal listens on 0\.0\.0\.0/);
    expect(own.banner).not.toContain("public development key pair");
  });

  it("`tclocal admin` signs an admin call with the key pair of its environment", async () => {
    const server = await start(["--in-memory"]);
    const admin = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), "admin", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", TCLOCAL_ENDPOINT: `http://127.0.0.1:${server.port}`, ...env },
      });
    const moved = admin(["POST", "/_tclocal/clock", '{"Freeze": true}']);
    expect(moved.status, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ Response: { Frozen: true, RequestId: expect.any(String) } });
    const wrongKey = admin(["GET", "/_tclocal/clock"], { TCLOCAL_SECRET_KEY: "notTheKey000000000000000000000000" });
    expect(wrongKey.status).toBe(1);
    expect(JSON.parse(wrongKey.stdout)).toMatchObject({ Response: { Error: { Code: "AuthFailure.SignatureFailure" } } });
    const refused = admin(["POST", "/_tclocal/reset", '{"Force": true}']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ Response: { Error: { Code: "UnknownParameter" } } });
    expect(admin(["reset"]).status).toBe(2);
  });

  it("prints its version with --version, and names the allowed log levels for a bad one", () => {
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), ...args], { cwd: ROOT, encoding: "utf8" });
    const version = run(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout).toBe(`${VERSION}\n`);
    const loud = run(["--log-level", "loud"]);
    expect(loud.status).toBe(2);
    expect(loud.stderr).toContain("tclocal: log level `loud` is not one of trace, debug, info, warn, error, fatal, silent");
    expect(loud.stderr).toContain("Usage: tclocal");
    expect(loud.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("goes on serving when its stdout is closed (tclocal | grep -m1 ready)", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), "--in-memory", "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const port = await readyPort(child);
      // Like `grep -m1`: the reader leaves, and the next log line meets a closed pipe.
      child.stdout.destroy();
      for (let i = 0; i < 20; i++) expect((await sdkClient(port).DescribeZones(null)).TotalCount).toBe(6);
      expect(child.exitCode).toBe(null);
      expect(child.signalCode).toBe(null);
    } finally {
      child.kill("SIGKILL");
    }
  });

  // A terminal's Ctrl-C sends SIGINT to the whole foreground process group; a harness's SIGTERM goes to the
  // one process it started. npx runs tclocal below `sh -c`, which passes npm's signals on to nobody: there
  // tclocal stops because its parent went (src/cli.ts).
  it.each([
    ["npm start", "SIGTERM", "process"],
    ["npm start", "SIGINT", "process"],
    ["npm start", "SIGINT", "process group"],
    ["npx tclocal", "SIGTERM", "process"],
    ["npx tclocal", "SIGINT", "process group"],
  ] as const)("stops cleanly when `%s` gets %s sent to its %s, leaving no server behind", async (launcher, signal, target) => {
    const ownDataDir = mkdtempSync(join(tmpdir(), "tclocal-signal-"));
    const args = launcher === "npm start" ? ["start", "--silent", "--"] : ["tclocal"];
    const npm = spawn(launcher.split(" ")[0]!, [...args, "--data-dir", ownDataDir, "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const exited = new Promise<void>((resolve) => npm.once("exit", () => resolve()));
    try {
      const port = await readyPort(npm);
      expect(existsSync(join(ownDataDir, LOCK_FILE))).toBe(true);
      expect((await sdkClient(port).DescribeZones(null)).TotalCount).toBe(6);
      if (target === "process") npm.kill(signal);
      else process.kill(-npm.pid!, signal);
      await exited;
      // The server itself is gone, and it stopped cleanly: its port refuses connections and its lock is released.
      await vi.waitFor(() => expect(existsSync(join(ownDataDir, LOCK_FILE))).toBe(false), { timeout: 5_000 });
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");
    } finally {
      try {
        process.kill(-npm.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      rmSync(ownDataDir, { recursive: true, force: true });
    }
  });

  it("outlives the npm script that started it in the background (only under npx does it follow its parent)", async () => {
    const out = join(dataDir, "background.out");
    // The script's shell starts tclocal in the background and ends once it is ready, as a script of
    // `tclocal & wait-for-ready` would.
    const command = `node --import tsx ${join(ROOT, "src/cli.ts")} --in-memory --port 0 > ${out} 2>&1 & echo $!; for i in $(seq 150); do grep -q ready ${out} && exit 0; sleep 0.1; done`;
    const script = spawn("bash", ["-c", command], {
      cwd: ROOT,
      env: { ...process.env, npm_command: "run-script" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let pidText = "";
    script.stdout.setEncoding("utf8").on("data", (chunk: string) => (pidText += chunk));
    await new Promise((resolve) => script.once("exit", resolve));
    const pid = Number(pidText.trim());
    try {
      const port = await vi.waitFor(
        () => {
          const ready = /tclocal ready on http:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(out, "utf8"));
          if (!ready) throw new Error("not ready yet");
          return Number(ready[1]);
        },
        { timeout: 15_000, interval: 100 },
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // four times the watchdog's period
      expect((await sdkClient(port).DescribeZones(null)).TotalCount).toBe(6);
    } finally {
      process.kill(pid, "SIGTERM");
    }
  });

  it("refuses a bad flag with its usage and exit code 2", async () => {
    await expect(startTclocal({ dataDir, args: ["--timing", "glacial"], readyTimeoutMs: 20_000 })).rejects.toThrow(/exited before it was ready \(code 2/);
  });
});
