// The listing plans of DescribeInstances (repository.ts): facet filters counted from the facet rows and
// paged through the listing index from its start, from its end, or from where the previous page ended, or
// read through a facet's own index when its matches are sparse; other filters through their own indexes.
// Every plan must give exactly the page and the TotalCount of the plain definition: the instances in
// creation order, filtered, then sliced. Small thresholds force each plan on a few dozen instances.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { beforeEach, describe, expect, it } from "vitest";
import { conditionsFor } from "../../src/products/cvm/instances/describe.js";
import { InstanceRepository } from "../../src/products/cvm/instances/repository.js";
import { DEFAULT_LISTING_PLAN, type ListingPlan } from "../../src/store/listing.js";
import { launchInstances, SETTLE_MS, stopInstances, useTestServer } from "../helpers/instances.js";

const env = useTestServer();

const PLANS: Record<string, ListingPlan> = {
  default: DEFAULT_LISTING_PLAN,
  "listing index always": { sparseScanLimit: Number.POSITIVE_INFINITY, smallMatchSet: 0 },
  "facet index whenever it can": { sparseScanLimit: 0, smallMatchSet: Number.MAX_SAFE_INTEGER },
};

type FilterSet = M.Filter[];

/** The definition: every instance in creation order (as the unfiltered listing shows them), filtered in JavaScript. */
async function reference(filters: FilterSet): Promise<string[]> {
  const all: M.Instance[] = [];
  for (let offset = 0; ; offset += 100) {
    const { InstanceSet } = await env.client.DescribeInstances({ Offset: offset, Limit: 100 });
    all.push(...InstanceSet!);
    if (InstanceSet!.length < 100) break;
  }
  const fields: Record<string, (i: M.Instance) => string> = {
    zone: (i) => i.Placement!.Zone!,
    "instance-state": (i) => i.InstanceState!,
    "instance-charge-type": (i) => i.InstanceChargeType!,
    "project-id": (i) => String(i.Placement!.ProjectId),
    "vpc-id": (i) => i.VirtualPrivateCloud!.VpcId!,
    "subnet-id": (i) => i.VirtualPrivateCloud!.SubnetId!,
    "instance-id": (i) => i.InstanceId!,
  };
  return all.filter((i) => filters.every((f) => f.Values.includes(fields[f.Name]!(i)))).map((i) => i.InstanceId!);
}

/** The page through the repository, with the conditions DescribeInstances makes of the filters. */
async function page(plan: ListingPlan, filters: FilterSet, offset: number, limit: number): Promise<{ total: number; ids: string[] }> {
  const { total, states } = await env.server.store.read((sql) =>
    new InstanceRepository(sql, env.server.defaultAccount.uin, "ap-guangzhou", plan).listStates(conditionsFor(filters, "ap-guangzhou", sql.dialect), { offset, limit }),
  );
  return { total, ids: states.map((s) => s.InstanceId) };
}

let ids: string[] = [];
let stopped: string[] = [];
beforeEach(async () => {
  // 70 instances in 4 zones, in batches (a batch shares its creation time), a third of them stopped, some in
  // another project, some prepaid.
  ids = [
    ...(await launchInstances(env.server, env.client, { InstanceCount: 30, Placement: { Zone: "ap-guangzhou-3" } })),
    ...(await launchInstances(env.server, env.client, { InstanceCount: 20, Placement: { Zone: "ap-guangzhou-4", ProjectId: 0 } })),
    ...(await launchInstances(env.server, env.client, { InstanceCount: 3, Placement: { Zone: "ap-guangzhou-6" } })),
    ...(await launchInstances(env.server, env.client, { InstanceCount: 12, Placement: { Zone: "ap-guangzhou-7" }, InstanceChargeType: "PREPAID", InstanceChargePrepaid: { Period: 1 } })),
    ...(await launchInstances(env.server, env.client, { InstanceCount: 5, Placement: { Zone: "ap-guangzhou-3" } })),
  ];
  stopped = ids.filter((_, i) => i % 3 === 1);
  await stopInstances(env.server, env.client, stopped);
});

const FILTER_SETS: Record<string, FilterSet> = {
  none: [],
  zone: [{ Name: "zone", Values: ["ap-guangzhou-3"] }],
  "rare zone": [{ Name: "zone", Values: ["ap-guangzhou-6"] }],
  "two zones and a state": [
    { Name: "zone", Values: ["ap-guangzhou-3", "ap-guangzhou-7"] },
    { Name: "instance-state", Values: ["RUNNING"] },
  ],
  "stopped only": [{ Name: "instance-state", Values: ["STOPPED"] }],
  "charge type": [{ Name: "instance-charge-type", Values: ["PREPAID"] }],
  "a state nobody is in": [{ Name: "instance-state", Values: ["REBOOTING"] }],
};

describe("DescribeInstances listing plans", () => {
  it("every plan pages every filter exactly as the definition, sequentially and by jumps, for several page sizes", async () => {
    for (const [setName, filters] of Object.entries(FILTER_SETS)) {
      const expected = await reference(filters);
      for (const [planName, plan] of Object.entries(PLANS)) {
        for (const limit of [1, 7, 100]) {
          const what = `${setName}, ${planName}, Limit ${limit}`;
          // Sequential pages: the second and later continue from a remembered position.
          const seen: string[] = [];
          for (let offset = 0; offset <= expected.length; offset += limit) {
            const { total, ids: got } = await page(plan, filters, offset, limit);
            expect(total, what).toBe(expected.length);
            expect(got, `${what}, Offset ${offset}`).toEqual(expected.slice(offset, offset + limit));
            seen.push(...got);
          }
          expect(seen, what).toEqual(expected);
          // Jumps, backwards included: pages near the end are read from the end.
          for (const offset of [expected.length - 1, Math.floor(expected.length / 2), 3, expected.length + 5, 0]) {
            if (offset < 0) continue;
            const { ids: got } = await page(plan, filters, offset, limit);
            expect(got, `${what}, jump to Offset ${offset}`).toEqual(expected.slice(offset, offset + limit));
          }
        }
      }
    }
  });

  it("a filter on one tag key (and one value) counts and pages through the tag rows in listing order, as the definition", async () => {
    const team = (value: string) => [{ ResourceType: "instance", Tags: [{ Key: "team", Value: value }] }];
    const tagged = [
      ...(await launchInstances(env.server, env.client, { InstanceCount: 9, TagSpecification: team("web") })),
      ...(await launchInstances(env.server, env.client, { InstanceCount: 4, TagSpecification: team("db") })),
      ...(await launchInstances(env.server, env.client, { InstanceCount: 6, TagSpecification: team("web") })),
    ];
    const web = [...tagged.slice(0, 9), ...tagged.slice(13)];
    const cases: Array<[FilterSet, string[]]> = [
      [[{ Name: "tag:team", Values: ["web"] }], web],
      [[{ Name: "tag-key", Values: ["team"] }], tagged],
      [[{ Name: "tag:team", Values: ["web", "db"] }], tagged],
      [[{ Name: "tag:team", Values: ["nobody"] }], []],
    ];
    for (const [filters, expected] of cases) {
      for (const limit of [1, 4, 100]) {
        for (let offset = 0; offset <= expected.length + 1; offset++) {
          const { total, ids: got } = await page(DEFAULT_LISTING_PLAN, filters, offset, limit);
          expect(total, JSON.stringify(filters)).toBe(expected.length);
          expect(got, `${JSON.stringify(filters)}, Offset ${offset}, Limit ${limit}`).toEqual(expected.slice(offset, offset + limit));
        }
      }
      const { TotalCount, InstanceSet } = await env.client.DescribeInstances({ Filters: filters, Limit: 100 });
      expect(TotalCount).toBe(expected.length);
      expect(InstanceSet!.map((i) => i.InstanceId)).toEqual(expected);
    }
  });

  it("a remembered position is not used once an instance has entered, left or changed state", async () => {
    const filters: FilterSet = [{ Name: "instance-state", Values: ["RUNNING"] }];
    const first = await page(DEFAULT_LISTING_PLAN, filters, 0, 10);
    expect(first.ids).toEqual((await reference(filters)).slice(0, 10));
    // One of the first page's instances stops: every later running instance moves up one place.
    await stopInstances(env.server, env.client, [first.ids[2]!]);
    const afterStop = await reference(filters);
    expect((await page(DEFAULT_LISTING_PLAN, filters, 10, 10)).ids).toEqual(afterStop.slice(10, 20));
    // A new instance at the end, and one terminated before the position.
    await launchInstances(env.server, env.client, { InstanceCount: 2 });
    await env.client.TerminateInstances({ InstanceIds: [afterStop[0]!] });
    env.server.clock.advance(SETTLE_MS);
    const afterChanges = await reference(filters);
    expect((await page(DEFAULT_LISTING_PLAN, filters, 20, 10)).ids).toEqual(afterChanges.slice(20, 30));
    expect((await page(DEFAULT_LISTING_PLAN, filters, 20, 10)).total).toBe(afterChanges.length);
  });

  it("InstanceIds and DescribeInstancesStatus list in creation order, whatever the order of the ids", async () => {
    const picked = [ids[40]!, ids[2]!, ids[69]!, ids[15]!];
    const { TotalCount, InstanceSet } = await env.client.DescribeInstances({ InstanceIds: picked });
    expect(TotalCount).toBe(4);
    expect(InstanceSet!.map((i) => i.InstanceId)).toEqual([ids[2], ids[15], ids[40], ids[69]]);
    const status = await env.client.DescribeInstancesStatus({ Offset: 60, Limit: 100 });
    expect(status.TotalCount).toBe(70);
    expect(status.InstanceStatusSet!.map((s) => [s.InstanceId, s.InstanceState])).toEqual(
      ids.slice(60).map((id) => [id, stopped.includes(id) ? "STOPPED" : "RUNNING"]),
    );
  });
});
