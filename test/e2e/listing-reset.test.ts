// A listing continues a page from where the previous one ended only while nothing changed since: not across a
// reset, after which the same number of instances may be listed again, with the same filters.
import { describe, expect, it } from "vitest";
import { launchInstances, useTestServer } from "../helpers/instances.js";
import { adminRequest } from "../helpers/server.js";

const env = useTestServer({ timing: "instant" });

describe("listing positions and reset", () => {
  it("a page after a reset is the page of the instances that exist now", async () => {
    const filters = [{ Name: "zone", Values: ["ap-guangzhou-3"] }];
    for (let round = 0; round < 3; round++) {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(...(await launchInstances(env.server, env.client)));
      // The second page first: before this round's first page, a position left by the last round's first
      // page (which ended at offset 2, as this page starts) must not be taken up.
      const second = await env.client.DescribeInstances({ Filters: filters, Offset: 2, Limit: 2 });
      expect({ round, total: second.TotalCount, ids: second.InstanceSet!.map((i) => i.InstanceId) }).toEqual({ round, total: 3, ids: ids.slice(2) });
      const first = await env.client.DescribeInstances({ Filters: filters, Offset: 0, Limit: 2 });
      expect(first.InstanceSet!.map((i) => i.InstanceId)).toEqual(ids.slice(0, 2));
      expect((await adminRequest(env.server, "POST", "/_tclocal/reset")).Error).toBeUndefined();
    }
  });
});
