// Concurrency through the real server: bursts of requests fired together through several official SDK
// clients. However they interleave, a quota is never overrun, a state change happens once, and a
// ClientToken creates one batch.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASIC_RUN, describeOne, launchInstances, SETTLE_MS } from "../helpers/instances.js";
import { createAccount, cvmClient, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/** Waits for every call and tells the successes from the API errors (anything else is rethrown). */
async function settle<T>(calls: ReadonlyArray<Promise<T>>): Promise<Array<Outcome<T>>> {
  const results = await Promise.allSettled(calls);
  return results.map((r) => {
    if (r.status === "fulfilled") return { ok: true, value: r.value };
    const e = r.reason as { code?: string; message?: string };
    if (typeof e.code !== "string") throw r.reason;
    return { ok: false, code: e.code, message: e.message ?? "" };
  });
}

function successes<T>(outcomes: ReadonlyArray<Outcome<T>>): T[] {
  return outcomes.flatMap((o) => (o.ok ? [o.value] : []));
}

/** How many failures carry each code. */
function failureCodes<T>(outcomes: ReadonlyArray<Outcome<T>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) out[o.code] = (out[o.code] ?? 0) + 1;
  return out;
}

function clients(server: TestServer, n: number, options: Parameters<typeof cvmClient>[1] = {}): CvmClientType[] {
  return Array.from({ length: n }, () => cvmClient(server, options));
}

async function allInstanceIds(client: CvmClientType): Promise<{ total: number; ids: string[] }> {
  const ids: string[] = [];
  let total = 0;
  for (let offset = 0; ; offset += 100) {
    const page = await client.DescribeInstances({ Offset: offset, Limit: 100 });
    total = page.TotalCount ?? 0;
    ids.push(...(page.InstanceSet ?? []).map((i) => i.InstanceId!));
    if (ids.length >= total || (page.InstanceSet ?? []).length === 0) return { total, ids };
  }
}

describe("RunInstances against the instance quota", () => {
  const QUOTA = 37;
  const BURST = 200;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ instanceQuota: QUOTA });
  });
  afterAll(() => server.close());

  it(`${BURST} concurrent RunInstances (InstanceCount 1) with a quota of ${QUOTA} create exactly ${QUOTA} instances`, async () => {
    const pool = clients(server, 8);
    const outcomes = await settle(pool.flatMap((_, c) => Array.from({ length: BURST / pool.length }, () => pool[c]!.RunInstances({ ...BASIC_RUN, InstanceCount: 1 }))));
    expect(outcomes).toHaveLength(BURST);

    const created = successes(outcomes).flatMap((r) => r.InstanceIdSet ?? []);
    expect(successes(outcomes).every((r) => r.InstanceIdSet?.length === 1)).toBe(true);
    expect(created).toHaveLength(QUOTA);
    expect(new Set(created).size).toBe(QUOTA);
    expect(failureCodes(outcomes)).toEqual({ "LimitExceeded.InstanceQuota": BURST - QUOTA });

    const listed = await allInstanceIds(pool[0]!);
    expect(listed.total).toBe(QUOTA);
    expect(new Set(listed.ids)).toEqual(new Set(created));

    const quota = await pool[0]!.DescribeAccountQuota({ Filters: [{ Name: "zone", Values: ["ap-guangzhou-3"] }] });
    expect(quota.AccountQuotaOverview?.AccountQuota?.PostPaidQuotaSet?.[0]).toMatchObject({ UsedQuota: QUOTA, RemainingQuota: 0, TotalQuota: QUOTA });
  });

  it("a full quota refuses one more, and another account still has its own whole quota under a concurrent burst", async () => {
    const more = await settle([cvmClient(server).RunInstances(BASIC_RUN)]);
    expect(failureCodes(more)).toEqual({ "LimitExceeded.InstanceQuota": 1 });

    const other = await createAccount(server, "second");
    const pool = clients(server, 4, { secretId: other.SecretId, secretKey: other.SecretKey });
    const outcomes = await settle(Array.from({ length: 60 }, (_, i) => pool[i % pool.length]!.RunInstances({ ...BASIC_RUN, InstanceCount: 1 })));
    expect(successes(outcomes)).toHaveLength(QUOTA);
    expect(failureCodes(outcomes)).toEqual({ "LimitExceeded.InstanceQuota": 60 - QUOTA });
    expect((await allInstanceIds(pool[0]!)).total).toBe(QUOTA);
    expect((await allInstanceIds(cvmClient(server))).total).toBe(QUOTA);
  });

  it("concurrent batches larger than one never overrun the quota either", async () => {
    const other = await createAccount(server, "third");
    const pool = clients(server, 4, { secretId: other.SecretId, secretKey: other.SecretKey });
    // Batches of 5 against 37: at most 7 batches (35 instances) fit, and exactly 7 must.
    const outcomes = await settle(Array.from({ length: 40 }, (_, i) => pool[i % pool.length]!.RunInstances({ ...BASIC_RUN, InstanceCount: 5 })));
    expect(successes(outcomes)).toHaveLength(7);
    expect(failureCodes(outcomes)).toEqual({ "LimitExceeded.InstanceQuota": 33 });
    expect((await allInstanceIds(pool[0]!)).total).toBe(35);
  });
});

describe("concurrent state changes of one instance", () => {
  const N = 20;
  let server: TestServer;
  let pool: CvmClientType[];
  beforeAll(async () => {
    server = await startTestServer();
    pool = clients(server, 5);
  });
  afterAll(() => server.close());

  const stop = (c: CvmClientType, id: string) => c.StopInstances({ InstanceIds: [id] });
  const start = (c: CvmClientType, id: string) => c.StartInstances({ InstanceIds: [id] });
  const burst = <T>(n: number, call: (c: CvmClientType, i: number) => Promise<T>) => settle(Array.from({ length: n }, (_, i) => call(pool[i % pool.length]!, i)));

  it(`${N} concurrent StopInstances: one succeeds, the others see STOPPING; then ${N} StartInstances: one succeeds, the others see STARTING`, async () => {
    const [id] = await launchInstances(server, pool[0]!);
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("RUNNING");

    const stops = await burst(N, (c) => stop(c, id!));
    expect(successes(stops)).toHaveLength(1);
    expect(failureCodes(stops)).toEqual({ "UnsupportedOperation.InstanceStateStopping": N - 1 });
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STOPPING");

    server.clock.advance(SETTLE_MS);
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STOPPED");

    const starts = await burst(N, (c) => start(c, id!));
    expect(successes(starts)).toHaveLength(1);
    expect(failureCodes(starts)).toEqual({ "UnsupportedOperation.InstanceStateStarting": N - 1 });
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STARTING");

    server.clock.advance(SETTLE_MS);
    const instance = await describeOne(pool[0]!, id!);
    expect(instance.InstanceState).toBe("RUNNING");
    expect(instance.LatestOperation).toBe("StartInstances");
  });

  it("a mixed burst of Start and Stop on a RUNNING instance: exactly one call (a Stop) succeeds", async () => {
    const [id] = await launchInstances(server, pool[0]!);
    const outcomes = await burst(N, (c, i) => (i % 2 === 0 ? start(c, id!) : stop(c, id!)));
    expect(successes(outcomes)).toHaveLength(1);
    const succeeded = outcomes.findIndex((o) => o.ok);
    expect(succeeded % 2).toBe(1);
    const codes = failureCodes(outcomes);
    expect(Object.values(codes).reduce((a, b) => a + b, 0)).toBe(N - 1);
    for (const code of Object.keys(codes)) expect(["UnsupportedOperation.InstanceStateRunning", "UnsupportedOperation.InstanceStateStopping"]).toContain(code);
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STOPPING");
  });

  it("a mixed burst of Start and Stop on a STOPPED instance: exactly one call (a Start) succeeds", async () => {
    const [id] = await launchInstances(server, pool[0]!);
    await pool[0]!.StopInstances({ InstanceIds: [id!] });
    server.clock.advance(SETTLE_MS);
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STOPPED");

    const outcomes = await burst(N, (c, i) => (i % 2 === 0 ? stop(c, id!) : start(c, id!)));
    expect(successes(outcomes)).toHaveLength(1);
    expect(outcomes.findIndex((o) => o.ok) % 2).toBe(1);
    for (const code of Object.keys(failureCodes(outcomes))) {
      expect(["UnsupportedOperation.InstanceStateStopped", "UnsupportedOperation.InstanceStateStarting"]).toContain(code);
    }
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe("STARTING");
  });

  it(`a mixed burst of Stop, Reboot and Terminate: one succeeds, and the instance takes that one change`, async () => {
    const [id] = await launchInstances(server, pool[0]!);
    const calls: Array<(c: CvmClientType) => Promise<unknown>> = [
      (c) => stop(c, id!),
      (c) => c.RebootInstances({ InstanceIds: [id!] }),
      (c) => c.TerminateInstances({ InstanceIds: [id!] }),
    ];
    const outcomes = await burst(30, (c, i) => calls[i % 3]!(c));
    expect(successes(outcomes)).toHaveLength(1);
    const winner = outcomes.findIndex((o) => o.ok) % 3;
    const expected = ["STOPPING", "REBOOTING", "TERMINATING"][winner]!;
    for (const code of Object.keys(failureCodes(outcomes))) {
      expect(code).toBe(`UnsupportedOperation.InstanceState${expected.charAt(0)}${expected.slice(1).toLowerCase()}`);
    }
    expect((await describeOne(pool[0]!, id!)).InstanceState).toBe(expected);
  });
});

describe("ClientToken under concurrency", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("50 concurrent RunInstances with the same ClientToken create exactly one batch, and every answer names it", async () => {
    const pool = clients(server, 5);
    const request: M.RunInstancesRequest = { ...BASIC_RUN, InstanceCount: 3, ClientToken: "one-batch-only-0001" };
    const outcomes = await settle(Array.from({ length: 50 }, (_, i) => pool[i % pool.length]!.RunInstances(request)));
    expect(failureCodes(outcomes)).toEqual({});
    const answers = successes(outcomes).map((r) => r.InstanceIdSet ?? []);
    expect(answers).toHaveLength(50);
    const first = answers[0]!;
    expect(first).toHaveLength(3);
    expect(new Set(first).size).toBe(3);
    for (const answer of answers) expect(answer).toEqual(first);

    const listed = await allInstanceIds(pool[0]!);
    expect(listed.total).toBe(3);
    expect(new Set(listed.ids)).toEqual(new Set(first));
  });

  it("concurrent RunInstances with distinct ClientTokens each create their own batch", async () => {
    const pool = clients(server, 5);
    const outcomes = await settle(Array.from({ length: 20 }, (_, i) => pool[i % pool.length]!.RunInstances({ ...BASIC_RUN, ClientToken: `token-${i}-${i % 3}` })));
    const ids = successes(outcomes).flatMap((r) => r.InstanceIdSet ?? []);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect((await allInstanceIds(pool[0]!)).total).toBe(23);
  });
});
