// Several nodes, one truth: three tclocal processes on one PostgreSQL database keep the invariants that one
// process keeps. Every request goes through the official SDK to a node picked for the case.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../helpers/postgres.js";
import { startNode, type Node } from "../helpers/nodes.js";
import { adminRequest, cvmClient, errorOf, okOf, rawRequest, signTc3Post, sleep, type SdkError } from "../helpers/server.js";

const ZONE = "ap-guangzhou-3";
const QUOTA = 37;
const RUN = { Placement: { Zone: ZONE }, ImageId: "img-l8og963d", InstanceType: "S5.MEDIUM2" };

let nodes: Node[] = [];

beforeAll(async () => {
  const url = await testDatabaseUrl();
  // One at a time: the first migrates the new database, the others find it migrated.
  for (let i = 0; i < 3; i++) nodes.push(await startNode(url, ["--instance-quota", String(QUOTA), "--timing", "fast", "--rate-limits", "DescribeZones=5,*=1000"]));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});

const client = (i: number) => cvmClient(nodes[i % nodes.length]!);

/** The code of a rejected call, "Success" for an answer. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "Success";
  } catch (error) {
    return (error as SdkError).code ?? "no code";
  }
}

async function waitForState(id: string, state: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [instance] = (await client(i).DescribeInstances({ InstanceIds: [id] })).InstanceSet!;
    if (instance?.InstanceState === state) return;
    await sleep(50);
  }
  throw new Error(`${id} never reached ${state}`);
}

describe("three nodes on one PostgreSQL database", () => {
  it("200 concurrent RunInstances spread over the nodes against a quota of 37 create exactly 37 instances; the rest get the quota code", async () => {
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => outcome(client(i).RunInstances(RUN))));
    const counts = new Map<string, number>();
    for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ Success: QUOTA, "LimitExceeded.InstanceQuota": 200 - QUOTA });
    for (let i = 0; i < 3; i++) {
      const listed = await client(i).DescribeInstances({ Filters: [{ Name: "zone", Values: [ZONE] }], Limit: 100 });
      expect(listed.TotalCount).toBe(QUOTA);
      expect(new Set(listed.InstanceSet!.map((x) => x.InstanceId)).size).toBe(QUOTA);
    }
    // Back to an empty account for the next cases.
    expect((await adminRequest(nodes[1]!, "POST", "/_tclocal/reset")).Error).toBeUndefined();
  }, 60_000);

  it("a reset through one node holds on all of them", async () => {
    await client(0).RunInstances({ ...RUN, InstanceCount: 2 });
    expect((await client(2).DescribeInstances({})).TotalCount).toBe(2);
    expect((await adminRequest(nodes[0]!, "POST", "/_tclocal/reset")).Error).toBeUndefined();
    for (let i = 0; i < 3; i++) expect((await client(i).DescribeInstances({})).TotalCount).toBe(0);
  });

  it("a ClientToken retried on another node returns the same instance ids, and creates nothing more", async () => {
    const token = `token-${Date.now()}`;
    const first = await client(0).RunInstances({ ...RUN, InstanceCount: 2, ClientToken: token });
    const again = await Promise.all([client(1).RunInstances({ ...RUN, InstanceCount: 2, ClientToken: token }), client(2).RunInstances({ ...RUN, InstanceCount: 2, ClientToken: token })]);
    for (const answer of again) expect(answer.InstanceIdSet).toEqual(first.InstanceIdSet);
    expect((await client(1).DescribeInstances({})).TotalCount).toBe(2);
    await adminRequest(nodes[0]!, "POST", "/_tclocal/reset");
  });

  it("concurrent StopInstances and StartInstances on one instance, sent to different nodes: one success, the state's refusal for the others", async () => {
    const [id] = (await client(0).RunInstances(RUN)).InstanceIdSet!;
    await waitForState(id!, "RUNNING");
    const stops = await Promise.all([0, 1, 2, 0, 1, 2].map((i) => outcome(client(i).StopInstances({ InstanceIds: [id!] }))));
    expect(stops.filter((o) => o === "Success")).toHaveLength(1);
    // The one that won made it STOPPING: the others are refused for that state.
    expect(new Set(stops.filter((o) => o !== "Success"))).toEqual(new Set(["UnsupportedOperation.InstanceStateStopping"]));
    await waitForState(id!, "STOPPED");
    const starts = await Promise.all([2, 1, 0, 2, 1, 0].map((i) => outcome(client(i).StartInstances({ InstanceIds: [id!] }))));
    expect(starts.filter((o) => o === "Success")).toHaveLength(1);
    expect(new Set(starts.filter((o) => o !== "Success"))).toEqual(new Set(["UnsupportedOperation.InstanceStateStarting"]));
    await adminRequest(nodes[0]!, "POST", "/_tclocal/reset");
  }, 30_000);

  it("ids are unique across nodes", async () => {
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => client(i).RunInstances({ ...RUN, InstanceCount: 4 })));
    const ids = answers.flatMap((a) => a.InstanceIdSet!);
    expect(ids).toHaveLength(36);
    expect(new Set(ids).size).toBe(36);
    await adminRequest(nodes[0]!, "POST", "/_tclocal/reset");
  });

  it("freezing and advancing the clock through one node holds on all of them", async () => {
    const frozen = await adminRequest(nodes[0]!, "POST", "/_tclocal/clock", { Set: "2030-01-01T00:00:00Z", Freeze: true });
    expect(frozen.Error).toBeUndefined();
    for (const node of nodes) {
      const clock = await adminRequest(node, "GET", "/_tclocal/clock");
      expect({ now: clock.Now, frozen: clock.Frozen }).toEqual({ now: "2030-01-01T00:00:00.000Z", frozen: true });
    }
    // An instance launched through one node stays PENDING on every node while the clock stands still …
    const [id] = (await client(1).RunInstances(RUN)).InstanceIdSet!;
    await sleep(2_500);
    for (let i = 0; i < 3; i++) expect((await client(i).DescribeInstances({ InstanceIds: [id!] })).InstanceSet![0]!.InstanceState).toBe("PENDING");
    // … and is RUNNING on every node once another node advances it.
    expect((await adminRequest(nodes[2]!, "POST", "/_tclocal/clock", { AdvanceSeconds: 60 })).Error).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const [instance] = (await client(i).DescribeInstances({ InstanceIds: [id!] })).InstanceSet!;
      expect(instance!.InstanceState).toBe("RUNNING");
      expect(instance!.CreatedTime).toBe("2030-01-01T00:00:00Z");
    }
    for (const node of nodes) expect((await adminRequest(node, "GET", "/_tclocal/clock")).Now).toBe("2030-01-01T00:01:00.000Z");
    await adminRequest(nodes[0]!, "POST", "/_tclocal/reset");
    for (const node of nodes) expect((await adminRequest(node, "GET", "/_tclocal/clock")).Frozen).toBe(false);
  }, 30_000);

  it("a documented per-action rate limit holds for the cluster as a whole, not once per node", async () => {
    // DescribeZones=5 per second on every node: 30 calls at once, spread over three nodes, get 5 (or 6,
    // when the second turns during the burst) successes in all, not 15.
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => outcome(client(i).DescribeZones())));
    const ok = outcomes.filter((o) => o === "Success").length;
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(6);
    expect(outcomes.filter((o) => o !== "Success").every((o) => o === "RequestLimitExceeded")).toBe(true);
  });
});

describe("--signature-reuse refuse on two nodes of one database", () => {
  let strict: Node[] = [];
  beforeAll(async () => {
    const url = await testDatabaseUrl();
    for (let i = 0; i < 2; i++) strict.push(await startNode(url, ["--signature-reuse", "refuse"]));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(strict.map((n) => n.stop()));
    strict = [];
  });

  it("a signature used on one node cannot be replayed on the other for another action; the same request again is a retry", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = "{}";
    // The official signer signs the host without its port: the signature is good for both nodes.
    const headers = (node: Node, action: string) => ({
      host: `127.0.0.1:${node.port}`,
      "content-type": "application/json",
      "x-tc-action": action,
      "x-tc-version": "2017-03-12",
      "x-tc-region": "ap-guangzhou",
      "x-tc-timestamp": String(timestamp),
      authorization: signTc3Post(node, body, timestamp),
    });
    expect(okOf(await rawRequest(strict[0]!, { headers: headers(strict[0]!, "DescribeZones"), body })).TotalCount).toBe(6);
    expect(okOf(await rawRequest(strict[0]!, { headers: headers(strict[0]!, "DescribeZones"), body })).TotalCount).toBe(6);
    // Node 1 has never seen this signature itself: only the database knows its first use.
    const replayed = errorOf(await rawRequest(strict[1]!, { headers: headers(strict[1]!, "DescribeRegions"), body }));
    expect(replayed.Code).toBe("AuthFailure.SignatureFailure");
    expect(replayed.Message).toContain("already used for DescribeZones in region `ap-guangzhou` (version 2017-03-12)");
  });
});
