// Faults of a cluster on PostgreSQL: a node lost without warning (SIGKILL) under load, and PostgreSQL itself
// stopped under load and started again. Every request through the official SDK either succeeds or gets an
// API envelope (InternalError) in bounded time; no acknowledged write is lost; the nodes recover alone.
import { afterAll, describe, expect, it } from "vitest";
import { startNode, type Node } from "../helpers/nodes.js";
import { testDatabaseUrl } from "../helpers/postgres.js";
import { cvmClient, sleep, type SdkError } from "../helpers/server.js";

const RUN = { Placement: { Zone: "ap-guangzhou-3" }, ImageId: "img-l8og963d", InstanceType: "S5.MEDIUM2" };
const FLAGS = ["--timing", "instant", "--rate-limits", "off"];

/** What scripts/postgres.mjs exports (plain .mjs, typed here). */
interface PostgresServer {
  url: string;
  stop(): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
}
interface PostgresScript {
  startPostgres(options?: { dir?: string; port?: number }): Promise<PostgresServer>;
}

const started: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

interface Outcome {
  node: number;
  token: string;
  ids?: string[];
  /** The API code of an envelope with an Error, or the network error's code when there was no answer. */
  error?: string;
  /** Whether an API envelope came back (success or error), as opposed to no answer at all. */
  enveloped: boolean;
  ms: number;
}

async function runOnce(node: Node, index: number, token: string): Promise<Outcome> {
  const start = Date.now();
  try {
    const answer = await cvmClient(node).RunInstances({ ...RUN, ClientToken: token });
    return { node: index, token, ids: answer.InstanceIdSet!, enveloped: true, ms: Date.now() - start };
  } catch (caught) {
    const error = caught as SdkError & { requestId?: string; code?: string };
    // The SDK gives an API error its code and RequestId; a failed connection has neither.
    const enveloped = typeof error.requestId === "string" && error.requestId !== "";
    return { node: index, token, error: error.code ?? (caught as Error).message, enveloped, ms: Date.now() - start };
  }
}

/** Workers sending RunInstances (each with its own ClientToken) round-robin to the nodes until `until` resolves. */
async function load(nodes: readonly Node[], workers: number, until: Promise<unknown>): Promise<Outcome[]> {
  let done = false;
  void until.then(() => (done = true));
  const outcomes: Outcome[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done) {
        const n = sent++ % nodes.length;
        outcomes.push(await runOnce(nodes[n]!, n, `fault-${Date.now()}-${sent}-${Math.random()}`));
      }
    }),
  );
  return outcomes;
}

/** Every id of these outcomes that DescribeInstances through `node` does not list. */
async function missing(node: Node, ids: readonly string[]): Promise<string[]> {
  const absent: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const listed = new Set((await cvmClient(node).DescribeInstances({ InstanceIds: batch, Limit: 100 })).InstanceSet!.map((x) => x.InstanceId));
    absent.push(...batch.filter((id) => !listed.has(id)));
  }
  return absent;
}

describe("faults", () => {
  it("a node killed with SIGKILL under load: the others keep answering, and no acknowledged write is lost", async () => {
    const url = await testDatabaseUrl();
    const nodes: Node[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await startNode(url, FLAGS));
    started.push(...nodes);

    const outcomes = await load(nodes, 12, (async () => {
      await sleep(1_000);
      await nodes[1]!.kill();
      await sleep(1_500);
    })());

    const survivors = outcomes.filter((o) => o.node !== 1);
    expect(survivors.length).toBeGreaterThan(50);
    // Nothing sent to a surviving node failed.
    expect(survivors.filter((o) => o.error !== undefined)).toEqual([]);
    const acknowledged = outcomes.filter((o) => o.ids !== undefined);
    expect(acknowledged.filter((o) => o.node === 1).length).toBeGreaterThan(0);
    // Every acknowledged instance is there, seen through each survivor.
    const ids = acknowledged.flatMap((o) => o.ids!);
    expect(await missing(nodes[0]!, ids)).toEqual([]);
    expect(await missing(nodes[2]!, ids)).toEqual([]);
    // A request cut off by the kill either landed whole or not at all: its ClientToken, retried on a
    // survivor, answers one instance, and the total is one instance per token.
    const cut = outcomes.filter((o) => o.node === 1 && o.error !== undefined);
    for (const o of cut) {
      const retried = await cvmClient(nodes[2]!).RunInstances({ ...RUN, ClientToken: o.token });
      expect(retried.InstanceIdSet).toHaveLength(1);
    }
    const total = (await cvmClient(nodes[0]!).DescribeInstances({ Limit: 1 })).TotalCount;
    expect(total).toBe(acknowledged.length + cut.length);
    expect(nodes[0]!.process.exitCode).toBeNull();
    expect(nodes[2]!.process.exitCode).toBeNull();
  }, 60_000);

  it("PostgreSQL stopped under load: every request gets an envelope in bounded time, no node crashes, and they serve again on their own once it is back", async () => {
    const script = (await import(new URL("../../scripts/postgres.mjs", import.meta.url).href)) as PostgresScript;
    const postgres = await script.startPostgres();
    started.push(postgres);
    const nodes = [await startNode(postgres.url, FLAGS), await startNode(postgres.url, FLAGS)];
    started.push(...nodes);

    let downAt = 0;
    let upAt = 0;
    const outcomes = await load(nodes, 8, (async () => {
      await sleep(800);
      downAt = Date.now();
      await postgres.down();
      await sleep(2_000);
      await postgres.up();
      upAt = Date.now();
      await sleep(500);
    })());

    // Every request was answered with an envelope, none took long, and the refusals are InternalError.
    expect(outcomes.filter((o) => !o.enveloped)).toEqual([]);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(10_000);
    const failed = outcomes.filter((o) => o.error !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((o) => o.error))).toEqual(new Set(["InternalError"]));
    expect(downAt).toBeGreaterThan(0);

    // Within seconds of PostgreSQL's return every node serves again, with no restart.
    for (const node of nodes) {
      let served = false;
      for (let i = 0; i < 100 && !served; i++) {
        served = (await runOnce(node, 0, `after-${i}-${Math.random()}`)).error === undefined;
        if (!served) await sleep(100);
      }
      expect(served).toBe(true);
      expect(node.process.exitCode).toBeNull();
    }
    expect(Date.now() - upAt).toBeLessThan(15_000);
    // Nothing acknowledged was lost, and each failed request was logged with its RequestId.
    const ids = outcomes.filter((o) => o.ids !== undefined).flatMap((o) => o.ids!);
    expect(ids.length).toBeGreaterThan(0);
    expect(await missing(nodes[0]!, ids)).toEqual([]);
    const logged = nodes.flatMap((n) => n.output.join("").split("\n")).filter((line) => line.includes('"InternalError"') && line.includes('"requestId"'));
    expect(logged.length).toBeGreaterThan(0);
  }, 90_000);
});
