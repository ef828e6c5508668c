import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cvmClient, signedTc3Post, startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("smoke", () => {
  it("answers DescribeZones", async () => {
    const r = await cvmClient(server).DescribeZones(null);
    expect(r.TotalCount).toBe(6);
  });
  it("answers raw", async () => {
    const r = await signedTc3Post(server, { action: "DescribeRegions" });
    expect(r.json.Response.TotalCount).toBe(19);
  });
});
