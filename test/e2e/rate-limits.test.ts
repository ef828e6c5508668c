// The documented per-action request rates apply by default, per account and action.
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseRateLimits } from "../../src/gateway/throttle.js";
import { createAccount, cvmClient, startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  // A wall clock that stands still: buckets do not refill during a burst, so the counts are exact.
  const now = Date.now();
  server = await startTestServer({ throttle: parseRateLimits(undefined, true), wallClock: { now: () => now } });
});
afterAll(() => server.close());

async function burst(n: number, call: () => Promise<unknown>): Promise<{ ok: number; codes: Set<string | undefined> }> {
  const results = await Promise.allSettled(Array.from({ length: n }, call));
  const codes = new Set(results.filter((r) => r.status === "rejected").map((r) => (r.reason as { code?: string }).code));
  return { ok: results.filter((r) => r.status === "fulfilled").length, codes };
}

async function throttledIn(n: number, call: () => Promise<unknown>): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: n }, call));
  return results.filter((r) => r.status === "rejected" && (r.reason as { code?: string }).code === "RequestLimitExceeded").length;
}

it("allows each action its documented rate per second, then answers RequestLimitExceeded", async () => {
  const client = cvmClient(server);
  expect(await burst(25, () => client.DescribeZones(null))).toEqual({ ok: 20, codes: new Set(["RequestLimitExceeded"]) });
  expect(await burst(45, () => client.DescribeInstances({}))).toEqual({ ok: 40, codes: new Set(["RequestLimitExceeded"]) });
  expect(await burst(12, () => client.DescribeInstanceFamilyConfigs(null))).toEqual({ ok: 10, codes: new Set(["RequestLimitExceeded"]) });
  // An action without a documented figure: 10 for changes (the calls fail for other reasons, but count).
  expect(await throttledIn(12, () => client.AssociateSecurityGroups({ InstanceIds: ["ins-zzzzzzzz"], SecurityGroupIds: ["sg-zzzzzzzz"] }))).toBe(2);
  const other = await createAccount(server);
  const otherClient = cvmClient(server, { secretId: other.SecretId, secretKey: other.SecretKey });
  expect((await burst(20, () => otherClient.DescribeZones(null))).ok).toBe(20);
});
