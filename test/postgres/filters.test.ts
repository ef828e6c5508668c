// DescribeInstances filters on PostgreSQL: each answer (every page, and TotalCount) equals what the filter's
// definition selects from the full list of instances, and the selective filters are answered through their
// indexes (pg_trgm for names, the tag, security-group and IPv6 rows, the doc-field expression indexes).
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conditionsFor } from "../../src/products/cvm/instances/describe.js";
import { InstanceRepository } from "../../src/products/cvm/instances/repository.js";
import { launchInstances, listAllPages } from "../helpers/instances.js";
import { cvmClient, startTestServer, type CvmClientType, type TestServer } from "../helpers/server.js";

const REGION = "ap-guangzhou";
const NAMES = ["Web-Server-01", "web-server-02", "WEB", "数据库-主", "École", "ÉCOLE-x", 'a*b"c:d', "Sale 50%_off\\now", "x", "ab", "🙂🙂🙂-emoji"];

let server: TestServer;
let client: CvmClientType;
let all: M.Instance[] = [];

/** A doc field no action sets yet, written through the repository as an action would. */
async function setDoc(instanceId: string, change: (doc: Record<string, unknown>) => void): Promise<void> {
  await server.store.transaction(async (sql) => {
    const repo = new InstanceRepository(sql, server.defaultAccount.uin, REGION);
    const record = (await repo.findMany([instanceId])).get(instanceId)!;
    change(record.doc as Record<string, unknown>);
    await repo.save(record);
  });
}

beforeAll(async () => {
  server = await startTestServer({ timing: "instant" });
  client = cvmClient(server);
  for (const [i, name] of NAMES.entries()) {
    const tags = i % 3 === 0 ? [{ Key: "team", Value: "blue" }] : i % 3 === 1 ? [{ Key: "team", Value: "red" }, { Key: "env", Value: "prod" }] : [];
    await launchInstances(server, client, { InstanceName: name, ...(tags.length > 0 ? { TagSpecification: [{ ResourceType: "instance", Tags: tags }] } : {}) });
  }
  const ids = (await client.DescribeInstances({ Limit: 100 })).InstanceSet!.map((i) => i.InstanceId!);
  await setDoc(ids[0]!, (doc) => {
    doc["IPv6Addresses"] = ["2402:4e00::1"];
    (doc["Placement"] as Record<string, unknown>)["HostId"] = "host-aaaaaaaa";
    doc["DedicatedClusterId"] = "cluster-one";
  });
  await setDoc(ids[1]!, (doc) => {
    (doc["Placement"] as Record<string, unknown>)["HostId"] = "host-bbbbbbbb";
  });
  await client.StopInstances({ InstanceIds: ids.slice(2, 5) });
  all = (await client.DescribeInstances({ Limit: 100 })).InstanceSet!;
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** What each filter selects, by its definition, from one instance. */
const DEFINITIONS: Record<string, (i: M.Instance, value: string) => boolean> = {
  "instance-name": (i, v) => asciiLower(i.InstanceName!).includes(asciiLower(v)),
  "instance-state": (i, v) => i.InstanceState === v,
  zone: (i, v) => i.Placement!.Zone === v,
  "tag-key": (i, v) => (i.Tags ?? []).some((t) => t.Key === v),
  "tag-value": (i, v) => (i.Tags ?? []).some((t) => t.Value === v),
  "security-group-id": (i, v) => (i.SecurityGroupIds ?? []).includes(v),
  "ipv6-address": (i, v) => (i.IPv6Addresses ?? []).includes(v),
  "host-id": (i, v) => i.Placement!.HostId === v,
  "dedicated-cluster-id": (i, v) => i.DedicatedClusterId === v,
  "private-ip-address": (i, v) => (i.PrivateIpAddresses ?? []).includes(v),
};

function expected(filters: M.Filter[]): string[] {
  return all
    .filter((i) =>
      filters.every((f) => {
        if (f.Name.startsWith("tag:")) return (i.Tags ?? []).some((t) => t.Key === f.Name.slice(4) && f.Values.includes(t.Value!));
        return f.Values.some((v) => DEFINITIONS[f.Name]!(i, v));
      }),
    )
    .map((i) => i.InstanceId!);
}

/** Every page, 2 at a time so that paging is exercised, and the TotalCount. */
const listed = (filters: M.Filter[]) => listAllPages(client, filters, 2);

const f = (name: string, ...values: string[]): M.Filter[] => [{ Name: name, Values: values }];

describe("DescribeInstances filters on PostgreSQL", () => {
  const cases: M.Filter[][] = [
    f("instance-name", "web"),
    f("instance-name", "WEB-SERVER"),
    f("instance-name", "école"),
    f("instance-name", "数据库"),
    f("instance-name", "50%_o"),
    f("instance-name", "\\now"),
    f("instance-name", 'b"c'),
    f("instance-name", "🙂🙂"),
    f("instance-name", "x"),
    f("instance-name", "ab", "serv"),
    f("instance-state", "STOPPED"),
    [...f("zone", "ap-guangzhou-3"), ...f("instance-state", "RUNNING")],
    f("tag-key", "team"),
    f("tag-key", "env", "nothing"),
    f("tag-value", "blue", "prod"),
    f("tag:team", "red"),
    f("tag:team", "red", "blue"),
    f("ipv6-address", "2402:4e00::1"),
    f("host-id", "host-aaaaaaaa", "host-bbbbbbbb"),
    f("dedicated-cluster-id", "cluster-one"),
    [...f("tag:team", "blue"), ...f("instance-name", "e")],
  ];

  for (const filters of cases) {
    it(`${JSON.stringify(filters)}`, async () => {
      const want = expected(filters);
      expect(await listed(filters)).toEqual({ total: want.length, ids: want });
    });
  }

  it("a security group filter finds the instances in that group", async () => {
    const sg = all[0]!.SecurityGroupIds![0]!;
    const filters = f("security-group-id", sg);
    expect((await listed(filters)).ids).toEqual(expected(filters));
    expect(expected(filters)).toHaveLength(all.length);
  });

  it("a value holding NUL is refused with InvalidParameterValue (PostgreSQL text holds none), not an InternalError", async () => {
    const error = await client.DescribeInstances({ Filters: f("tag-key", "a\u0000b") }).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe("InvalidParameterValue");
    expect(error?.message).toContain("NUL");
  });

  it("the selective filters are answered through their indexes", async () => {
    // `scoped`: with the account and region conditions, as a listing has them. The name index has no account
    // column, so the name condition is planned alone: that it can be served at all is what is checked.
    const plan = async (filters: M.Filter[], scoped = true): Promise<string> => {
      const conditions = conditionsFor(filters, REGION, "postgres");
      const where = [...(scoped ? ["account_uin = ?", "region = ?"] : []), ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
      return server.store.transaction(async (sql) => {
        // The tables are tiny: make the planner show which index it can use, rather than a scan it prefers.
        await sql.run("SET LOCAL enable_seqscan = off");
        const scope = scoped ? [server.defaultAccount.uin, REGION] : [];
        const rows = await sql.column<string>(`EXPLAIN SELECT seq FROM cvm_instances WHERE ${where}`, [...scope, ...conditions.flatMap((c) => c.params)]);
        return rows.join("\n");
      });
    };
    expect(await plan(f("instance-name", "server"), false)).toContain("Bitmap Index Scan on cvm_instances_name");
    expect(await plan(f("host-id", "host-aaaaaaaa"))).toContain("cvm_instances_host");
    expect(await plan(f("dedicated-cluster-id", "cluster-one"))).toContain("cvm_instances_dedicated_cluster");
    expect(await plan(f("tag-value", "blue"))).toMatch(/cvm_instance_tags_/);
    expect(await plan(f("ipv6-address", "2402:4e00::1"))).toContain("cvm_instance_ipv6_address");
  });
});
