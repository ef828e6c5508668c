// Memory is bounded before authentication: a real tclocal process, real slow sockets. 100 connections each
// trickle a 10 MB body (without the bound, they held a gigabyte, and kept it); RSS stays under 300 MB and
// a well-behaved signed client is served meanwhile. Past the connection limit, new connections are closed.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/config.js";
import { classifyFailure, residentBytes, sdkClient, startTclocal, type TclocalProcess } from "../crash/harness.js";
import { cvmClient, signTc3Post, sleep, startTestServer } from "../helpers/server.js";

const dataDir = mkdtempSync(join(tmpdir(), "tclocal-memory-"));
const started: TclocalProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

const BODY_BYTES = 10 * 1024 * 1024;
const CHUNK = Buffer.alloc(128 * 1024, "a");

/** Opens a connection that announces a 10 MB signed JSON body and sends it slowly, a chunk per interval, until done or cut. */
function slowSender(port: number, intervalMs: number): { socket: Socket; done: Promise<number> } {
  const socket = connect(port, "127.0.0.1");
  const timestamp = Math.floor(Date.now() / 1000);
  const head =
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${BODY_BYTES}\r\n` +
    `X-TC-Action: DescribeZones\r\nX-TC-Version: 2017-03-12\r\nX-TC-Region: ap-guangzhou\r\nX-TC-Timestamp: ${timestamp}\r\n` +
    `Authorization: ${signTc3Post({ port }, "{}", timestamp)}\r\n\r\n`;
  const done = new Promise<number>((resolve) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearInterval(timer);
      resolve(sent);
    };
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= BODY_BYTES || socket.destroyed) return finish();
        const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, BODY_BYTES - sent));
        sent += chunk.length;
        socket.write(chunk);
      }, intervalMs);
    });
  });
  return { socket, done };
}

/** Runs the attack against a new tclocal started with `args`; reports peak RSS, the bytes sent and what a signed client got meanwhile. */
async function attack(args: string[]): Promise<{ peak: number; baseline: number; sentBytes: number; outcomes: string[]; after: number | undefined }> {
  const server = await startTclocal({ dataDir, args: ["--in-memory", "--rate-limits", "off", "--log-level", "warn", ...args] });
  started.push(server);
  const baseline = residentBytes(server.pid)!;
  const senders = Array.from({ length: 100 }, () => slowSender(server.port, 40));
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentBytes(server.pid) ?? 0);
  }, 50);
  const client = sdkClient(server.port, 20);
  const outcomes: string[] = [];
  const allSent = Promise.all(senders.map((s) => s.done));
  let finished = false;
  void allSent.then(() => (finished = true));
  const deadline = Date.now() + 25_000;
  while (!finished && Date.now() < deadline) {
    try {
      const zones = await client.DescribeZones();
      outcomes.push(zones.TotalCount === 6 ? "ok" : `TotalCount ${zones.TotalCount}`);
    } catch (error) {
      const failure = classifyFailure(error);
      outcomes.push(failure.kind === "api" ? failure.code : failure.message);
    }
    await sleep(100);
  }
  clearInterval(sampler);
  peak = Math.max(peak, residentBytes(server.pid) ?? 0);
  for (const s of senders) s.socket.destroy();
  const sentBytes = (await allSent).reduce((a, b) => a + b, 0);
  const after = (await client.DescribeZones()).TotalCount;
  await server.stop();
  return { peak, baseline, sentBytes, outcomes, after };
}

describe("memory bound before authentication", () => {
  it("100 connections trickling 10 MB bodies: RSS stays under 300 MB and signed requests still succeed", async () => {
    const bounded = await attack([]);
    expect(bounded.outcomes.length).toBeGreaterThan(5);
    expect(bounded.outcomes.filter((o) => o !== "ok")).toEqual([]);
    expect(bounded.after).toBe(6);
    // The attackers sent several times the bound: the bound, not a slow attacker, kept RSS low.
    expect(bounded.sentBytes).toBeGreaterThan(3 * DEFAULTS.bodyMemoryLimit);
    expect(bounded.peak, `peak RSS ${Math.round(bounded.peak / 2 ** 20)} MB (at start ${Math.round(bounded.baseline / 2 ** 20)} MB)`).toBeLessThan(300 * 1024 * 1024);
  }, 60_000);

  it("the same attack with the bound lifted holds far more: the test above measures the bound", async () => {
    const unbounded = await attack(["--body-memory-limit", String(4 * 1024 ** 3)]);
    expect(unbounded.peak, `peak RSS ${Math.round(unbounded.peak / 2 ** 20)} MB`).toBeGreaterThan(500 * 1024 * 1024);
  }, 60_000);

  it("past the bound, the largest unfinished body is dropped with ServiceUnavailable, in the caller's language, and small requests go on", async () => {
    const server = await startTestServer({ bodyMemoryLimit: 1024 * 1024 });
    try {
      const big = connect(server.port, "127.0.0.1");
      let answer = "";
      big.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
      big.on("error", () => {});
      await new Promise<void>((resolve) => big.once("connect", () => resolve()));
      big.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-TC-Language: zh-CN\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`);
      big.write(Buffer.alloc(900 * 1024, "a"));
      await sleep(200);
      const second = connect(server.port, "127.0.0.1");
      second.on("error", () => {});
      await new Promise<void>((resolve) => second.once("connect", () => resolve()));
      second.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`);
      second.write(Buffer.alloc(300 * 1024, "b"));
      await sleep(300);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('"Code":"ServiceUnavailable"');
      expect(answer).toContain("--body-memory-limit");
      expect(answer).toMatch(/[\u4e00-\u9fff]/);
      // A well-behaved signed client is served while the second body is still held.
      expect((await cvmClient(server).DescribeZones()).TotalCount).toBe(6);
      big.destroy();
      second.destroy();
    } finally {
      await server.close();
    }
  });

  it("past --max-connections, new connections are closed; once some close, clients are served again", async () => {
    const server = await startTclocal({ dataDir, args: ["--in-memory", "--max-connections", "20", "--log-level", "warn"] });
    started.push(server);
    const idle = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<Socket>((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1", () => resolve(socket));
        socket.on("error", reject);
      })),
    );
    await sleep(200);
    const refused = await sdkClient(server.port, 5).DescribeZones().then(() => "served", (error: unknown) => classifyFailure(error).kind);
    expect(refused).toBe("transport");
    for (const socket of idle) socket.destroy();
    await sleep(200);
    expect((await sdkClient(server.port, 5).DescribeZones()).TotalCount).toBe(6);
  }, 30_000);
});
