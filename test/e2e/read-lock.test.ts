// A read-only action takes no write lock: with another connection holding the database's write lock,
// DescribeInstances and DescribeInstancesStatus still answer at once (a transaction that took the write
// lock would wait busy_timeout, 5 s, then fail with InternalError).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_FILE, openSqlite } from "../../src/store/sqlite.js";
import { launchInstances } from "../helpers/instances.js";
import { cvmClient, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

const dataDir = mkdtempSync(join(tmpdir(), "tclocal-read-lock-"));
let server: TestServer;
let client: CvmClientType;
beforeAll(async () => {
  server = await startTestServer({ inMemory: false, dataDir });
  client = cvmClient(server);
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("read-only actions", () => {
  it("answer while another connection holds the write lock, when no transition is due", async () => {
    const ids = await launchInstances(server, client, { InstanceCount: 3 });
    // The transitions are settled by a first read, which writes them.
    expect((await client.DescribeInstances({ InstanceIds: ids })).InstanceSet!.map((i) => i.InstanceState)).toEqual(["RUNNING", "RUNNING", "RUNNING"]);
    const other = openSqlite(join(dataDir, DATABASE_FILE));
    try {
      other.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      expect((await client.DescribeInstances({ Filters: [{ Name: "instance-state", Values: ["RUNNING"] }] })).TotalCount).toBe(3);
      expect((await client.DescribeInstancesStatus({})).TotalCount).toBe(3);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });
});
