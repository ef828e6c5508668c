// Fixtures for instance tests: launch instances and wait (on the frozen test clock) until they run.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { adminRequest, cvmClient, startTestServer, type CvmClientType, type TestServer } from "./server.js";

/** Longer than any transition of the `fast` timing profile. */
export const SETTLE_MS = 2_000;

export const BASIC_RUN: M.RunInstancesRequest = {
  Placement: { Zone: "ap-guangzhou-3" },
  ImageId: "img-9qabwvbn",
  InstanceType: "S5.MEDIUM4",
};

/** Freezes the server's clock (if it is not frozen yet), runs instances and advances until they are RUNNING. */
export async function launchInstances(server: TestServer, client: CvmClientType, params: Partial<M.RunInstancesRequest> = {}): Promise<string[]> {
  if (!server.clock.frozen) server.clock.freeze();
  const { InstanceIdSet } = await client.RunInstances({ ...BASIC_RUN, ...params });
  server.clock.advance(SETTLE_MS);
  return InstanceIdSet ?? [];
}

/** The instances as DescribeInstances shows them, in the order of `ids`. */
export async function describe(client: CvmClientType, ids: readonly string[]): Promise<M.Instance[]> {
  const { InstanceSet } = await client.DescribeInstances({ InstanceIds: [...ids] });
  const byId = new Map((InstanceSet ?? []).map((i) => [i.InstanceId, i]));
  return ids.map((id) => byId.get(id)).filter((i): i is M.Instance => i !== undefined);
}

export async function describeOne(client: CvmClientType, id: string): Promise<M.Instance> {
  const [instance] = await describe(client, [id]);
  if (!instance) throw new Error(`instance ${id} is not listed`);
  return instance;
}

/** Stops running instances and advances the (frozen) clock until they are STOPPED. */
export async function stopInstances(server: TestServer, client: CvmClientType, ids: readonly string[]): Promise<void> {
  await client.StopInstances({ InstanceIds: [...ids] });
  server.clock.advance(SETTLE_MS);
}

/**
 * A server for the tests of a file (or of the suite it is called in): started before them and closed
 * after; before each test its data is reset and its clock frozen. Read `server` and `client` in tests.
 */
export function useTestServer(overrides: Parameters<typeof startTestServer>[0] = {}): { server: TestServer; client: CvmClientType } {
  const env = {} as { server: TestServer; client: CvmClientType };
  beforeAll(async () => {
    env.server = await startTestServer(overrides);
    env.client = cvmClient(env.server);
  });
  afterAll(() => env.server.close());
  beforeEach(async () => {
    await adminRequest(env.server, "POST", "/_tclocal/reset");
    env.server.clock.freeze();
  });
  return env;
}

/** Every page of a filtered DescribeInstances through the SDK, `limit` at a time, and the TotalCount (the same on each page). */
export async function listAllPages(client: CvmClientType, filters: M.Filter[], limit = 100): Promise<{ total: number; ids: string[] }> {
  const ids: string[] = [];
  const totals = new Set<number>();
  for (let offset = 0; ; offset += limit) {
    const answer = await client.DescribeInstances({ Filters: filters, Offset: offset, Limit: limit });
    totals.add(answer.TotalCount!);
    ids.push(...answer.InstanceSet!.map((i) => i.InstanceId!));
    if (answer.InstanceSet!.length < limit) break;
  }
  expect(totals.size).toBe(1);
  return { total: [...totals][0]!, ids };
}
