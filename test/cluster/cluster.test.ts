// The README's cluster (blocks of kind "cluster", section "A cluster on one machine"), run once end to end
// as written: `npm run cluster` starts PostgreSQL, three tclocal nodes and HAProxy; the official SDK then
// goes through HAProxy's port only. Instances run through one node are seen on every later request, which
// HAProxy spreads over the nodes; the admin clock frozen and advanced through the balancer holds on every
// node; a node killed with SIGKILL while requests go on costs no request; SIGTERM stops every process.
//
// It needs HAProxy on PATH, so it runs under its own config (`npm run test:cluster`, vitest.cluster.config.ts,
// which CI runs after installing HAProxy); the main config's `npm test` does not collect it.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { childEnv, IMAGE_ID, INSTANCE_TYPE, ROOT } from "../crash/harness.js";
import { readmeBlocks, shellCommands } from "../helpers/readme.js";
import { adminRequest, cvmClient, envelopeOf, signedTc3Request, sleep, type TestServer } from "../helpers/server.js";

const README_PORT = "4577";
const NODES = 3;
const ZONE = "ap-guangzhou-3";

/** A port on 127.0.0.1 that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether 127.0.0.1:port can be bound (nothing listens there). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function gone(pid: number, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * The cluster command's words with `--port PORT --verbose` (and `--source`) among the cluster's options:
 * `npm run cluster [-- OPTIONS [-- TCLOCAL FLAGS]]`, a --port already there replaced.
 */
function withOptions(words: readonly string[], port: number, source: boolean): string[] {
  const script = words.indexOf("cluster");
  const head = words.slice(0, script + 1);
  const rest = words.slice(script + 1);
  if (rest[0] === "--") rest.shift();
  const end = rest.indexOf("--");
  const options = end < 0 ? rest : rest.slice(0, end);
  const flags = end < 0 ? [] : rest.slice(end);
  const kept = options.filter((word, i) => word !== "--port" && options[i - 1] !== "--port" && !word.startsWith("--port=") && word !== "--verbose");
  return [...head, "--", ...kept, "--port", String(port), "--verbose", ...(source ? ["--source"] : []), ...flags];
}

interface Cluster {
  npm: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<number | null>;
  stdout: string[];
  stderr: string[];
  /** From the --verbose lines. */
  pids: { cluster: number; postgres: number; haproxy: number; nodes: Map<string, { pid: number; port: number }> };
  dirs: string[];
  ready: string;
}

/** Runs the command and waits for its ready line; the parts' pids come from its --verbose lines. */
function startCluster(words: readonly string[]): Promise<Cluster> {
  const npm = spawn(words[0]!, words.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: childEnv() });
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  const stdout: string[] = [];
  const stderr: string[] = [];
  let pending = "";
  npm.stderr.setEncoding("utf8").on("data", (text: string) => stderr.push(text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail("printed no ready line within 120 s"), 120_000);
    const fail = (why: string): void => {
      clearTimeout(timer);
      npm.kill("SIGTERM");
      reject(new Error(`\`${words.join(" ")}\` ${why}\nstdout:\n${stdout.join("\n")}\nstderr:\n${stderr.join("")}`));
    };
    const early = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited (${signal ?? code}) before it was ready`);
    npm.once("exit", early);
    npm.stdout.setEncoding("utf8").on("data", (text: string) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        stdout.push(line);
        if (!line.startsWith("tclocal cluster ready on ")) continue;
        clearTimeout(timer);
        npm.off("exit", early);
        const number = (re: RegExp): number => Number(stdout.map((l) => re.exec(l)?.[1]).find((n) => n !== undefined) ?? NaN);
        const nodes = new Map<string, { pid: number; port: number }>();
        for (const l of stdout) {
          const m = /^(node\d+): pid (\d+), http:\/\/127\.0\.0\.1:(\d+)$/.exec(l);
          if (m) nodes.set(m[1]!, { pid: Number(m[2]), port: Number(m[3]) });
        }
        const dirs = stdout.flatMap((l) => [/data in (\S+)$/.exec(l)?.[1], /config (\S+)\/haproxy\.cfg$/.exec(l)?.[1]]).filter((d): d is string => d !== undefined);
        resolve({
          npm,
          exited,
          stdout,
          stderr,
          pids: { cluster: number(/^cluster: pid (\d+)$/), postgres: number(/^postgres: pid (\d+),/), haproxy: number(/^haproxy: pid (\d+),/), nodes },
          dirs,
          ready: line,
        });
      }
    });
  });
}

/** A signed DescribeInstances sent raw to `port`: its instance ids and the node HAProxy says answered. */
async function describeVia(port: number, ids: readonly string[]): Promise<{ node: string; ids: string[]; total: unknown }> {
  const answer = await signedTc3Request({ port } as TestServer, { action: "DescribeInstances", body: JSON.stringify({ InstanceIds: ids }) });
  const { error } = envelopeOf(answer);
  expect(error).toBeUndefined();
  const set = answer.json.Response["InstanceSet"] as Array<{ InstanceId: string }>;
  return { node: String(answer.headers["x-tclocal-node"]), ids: set.map((i) => i.InstanceId).sort(), total: answer.json.Response["TotalCount"] };
}

describe("README: a cluster on one machine (PostgreSQL, 3 nodes, HAProxy)", () => {
  const commands = readmeBlocks("cluster").flatMap((block) => shellCommands(block.code));

  it("has the commands: an optional build, then `npm run cluster`", () => {
    const cluster = commands.filter((words) => words.slice(0, 3).join(" ") === "npm run cluster");
    expect(cluster, commands.map((w) => w.join(" ")).join("; ")).toHaveLength(1);
    for (const words of commands) expect(["npm run build", "npm run cluster"], words.join(" ")).toContain(words.slice(0, 3).join(" "));
    expect(cluster[0]!.join(" ")).not.toContain(README_PORT); // the default port: the test adds its own
  });

  it("serves one world through HAProxy, survives a node's SIGKILL, and stops every process on SIGTERM", async () => {
    // `npm run build` as the README says, unless dist/ is already at least as new as src/ (the build would
    // change nothing): other processes may be running dist/ now. When it is older, the nodes run src/
    // through tsx (--source) instead, the same code, without replacing dist/ under them.
    let source = false;
    for (const words of commands) {
      if (words.join(" ") !== "npm run build") continue;
      const cli = join(ROOT, "dist", "cli.js");
      source = !existsSync(cli) || newestMtime(join(ROOT, "src")) > statSync(cli).mtimeMs;
    }
    const port = await freePort();
    const words = withOptions(commands.find((w) => w.slice(0, 3).join(" ") === "npm run cluster")!, port, source);
    const cluster = await startCluster(words);
    const { pids } = cluster;
    let stopped = false;
    try {
      const context = `\`${words.join(" ")}\`\n${cluster.stdout.join("\n")}\n${cluster.stderr.join("")}`;
      expect(cluster.ready, context).toMatch(new RegExp(`^tclocal cluster ready on http://127\\.0\\.0\\.1:${port} \\(${NODES} nodes, PostgreSQL postgres://tclocal@127\\.0\\.0\\.1:\\d+/tclocal\\)$`));
      expect(cluster.ready, "no password in the ready line").not.toMatch(/tclocal:[^@]+@/);
      expect(pids.nodes.size, context).toBe(NODES);
      for (const pid of [pids.cluster, pids.postgres, pids.haproxy, ...[...pids.nodes.values()].map((n) => n.pid)]) {
        expect(Number.isInteger(pid) && alive(pid), context).toBe(true);
      }
      const via = { port };
      const cvm = cvmClient(via);

      // Instances run through the balancer are seen by every later request, whichever node answers it.
      const run = await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: IMAGE_ID, InstanceType: INSTANCE_TYPE, InstanceCount: 2 });
      const ids = [...run.InstanceIdSet!].sort();
      expect(ids).toHaveLength(2);
      for (let i = 0; i < 2 * NODES; i++) {
        const seen = await cvm.DescribeInstances({ InstanceIds: ids });
        expect(seen.TotalCount).toBe(2);
        expect(seen.InstanceSet!.map((s) => s.InstanceId).sort()).toEqual(ids);
      }
      const answered = new Set<string>();
      for (let i = 0; i < 2 * NODES; i++) {
        const seen = await describeVia(port, ids);
        expect(seen.ids).toEqual(ids);
        answered.add(seen.node);
      }
      expect([...answered].sort(), "round-robin: every node answered").toEqual([...pids.nodes.keys()].sort());

      // The admin clock, frozen and advanced through the balancer, is every node's clock.
      const frozen = await adminRequest(via, "POST", "/_tclocal/clock", { Freeze: true });
      expect(frozen.Error).toBeUndefined();
      expect(frozen["Frozen"]).toBe(true);
      const frozenAt = frozen["NowMs"] as number;
      const advanced = await adminRequest(via, "POST", "/_tclocal/clock", { AdvanceSeconds: 3600 });
      expect(advanced["NowMs"]).toBe(frozenAt + 3_600_000);
      for (let i = 0; i < 2 * NODES; i++) {
        const clock = await adminRequest(via, "GET", "/_tclocal/clock");
        expect([clock["Frozen"], clock["NowMs"]]).toEqual([true, frozenAt + 3_600_000]);
      }
      for (const [name, node] of pids.nodes) {
        const clock = await adminRequest(node, "GET", "/_tclocal/clock");
        expect([name, clock["Frozen"], clock["NowMs"]]).toEqual([name, true, frozenAt + 3_600_000]);
      }
      // Resources are stamped with that clock on whichever node makes them.
      const later = await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: IMAGE_ID, InstanceType: INSTANCE_TYPE });
      const [made] = (await cvm.DescribeInstances({ InstanceIds: later.InstanceIdSet! })).InstanceSet!;
      expect(made!.CreatedTime).toBe(new Date(frozenAt + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"));
      ids.push(...later.InstanceIdSet!);
      ids.sort();
      expect((await adminRequest(via, "POST", "/_tclocal/clock", { Freeze: false }))["Frozen"]).toBe(false);

      // SIGKILL one node while requests go on (paced: the documented rate limits hold across the nodes): not
      // one of them fails, and none is answered by the dead node.
      const [victimName, victim] = [...pids.nodes].find(([name]) => name === "node2")!;
      const outcomes: Array<{ afterKill: boolean; ok: boolean; what: string }> = [];
      let killed = false;
      let going = true;
      const load = (async () => {
        while (going) {
          const afterKill = killed;
          try {
            const seen = await cvm.DescribeInstances({ InstanceIds: ids });
            outcomes.push({ afterKill, ok: seen.TotalCount === ids.length, what: `TotalCount ${seen.TotalCount}` });
          } catch (error) {
            outcomes.push({ afterKill, ok: false, what: String(error) });
          }
          // About 15 a second: under DescribeInstances' documented limit (40 a second per account), which
          // the nodes share, with room for the other requests below.
          await sleep(50);
        }
      })();
      await sleep(500);
      process.kill(victim.pid, "SIGKILL");
      expect(await gone(victim.pid)).toBe(true);
      killed = true;
      // Long enough for HAProxy's health checks to take the node out (2 × 1 s), and beyond.
      await sleep(3500);
      const afterKill: string[] = [];
      for (let i = 0; i < 3 * NODES; i++) afterKill.push((await describeVia(port, ids)).node);
      const more = await cvm.RunInstances({ Placement: { Zone: ZONE }, ImageId: IMAGE_ID, InstanceType: INSTANCE_TYPE });
      expect((await cvm.DescribeInstances({ InstanceIds: more.InstanceIdSet! })).TotalCount).toBe(1);
      going = false;
      await load;
      const failed = outcomes.filter((o) => !o.ok);
      expect(failed, `requests that failed around the SIGKILL of ${victimName}`).toEqual([]);
      expect(outcomes.filter((o) => o.afterKill).length, "requests sent after the node was gone").toBeGreaterThan(10);
      expect(afterKill).not.toContain(victimName);
      expect(new Set(afterKill).size).toBe(NODES - 1);
      expect(cluster.stderr.join(""), "the cluster reports the node's end").toContain(`${victimName} (pid ${victim.pid}) exited (SIGKILL)`);

      // SIGTERM: HAProxy, the nodes and PostgreSQL stop, the port is free, the temporary directories go.
      stopped = true;
      cluster.npm.kill("SIGTERM");
      expect(await cluster.exited, context).toBe(0);
      for (const [what, pid] of [
        ["cluster.mjs", pids.cluster],
        ["HAProxy", pids.haproxy],
        ["PostgreSQL", pids.postgres],
        ...[...pids.nodes].map(([name, node]) => [name, node.pid] as const),
      ] as const) {
        expect(await gone(pid), `${what} (pid ${pid}) is still running`).toBe(true);
      }
      expect(await portFree(port), `port ${port} is still taken`).toBe(true);
      expect(cluster.dirs.length).toBe(2);
      for (const dir of cluster.dirs) expect(existsSync(dir), `${dir} is left behind`).toBe(false);
    } finally {
      if (!stopped || cluster.npm.exitCode === null) {
        cluster.npm.kill("SIGTERM");
        await Promise.race([cluster.exited, sleep(20_000)]);
        for (const pid of [pids.cluster, pids.haproxy, ...[...pids.nodes.values()].map((n) => n.pid)]) if (Number.isInteger(pid) && alive(pid)) process.kill(pid, "SIGKILL");
      }
    }
  }, 240_000);
});
