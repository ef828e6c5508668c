// The selective DescribeInstances filters (indexed-filters.ts) and the structures the migration cvm/4 keeps
// for them (schema.ts): each filter is answered through an index, and selects exactly the instances, with
// exactly the TotalCount, that its previous definition (json_each over doc, instr() over every name) did —
// after renames, tag and security group changes, terminations, resets, other accounts' instances, and rows
// written by plain SQL.
import type * as M from "tencentcloud-sdk-nodejs-cvm/tencentcloud/services/cvm/v20170312/cvm_models.js";
import { describe as suite, expect, it } from "vitest";
import { conditionsFor } from "../../src/products/cvm/instances/describe.js";
import { InstanceRepository, type InstanceDoc } from "../../src/products/cvm/instances/repository.js";
import { NetworkRepository } from "../../src/products/cvm/network/repository.js";
import { SQLITE_DRIVER } from "../../src/store/sqlite.js";
import { BASIC_RUN, launchInstances, listAllPages, SETTLE_MS, useTestServer } from "../helpers/instances.js";
import { adminRequest, createAccount, cvmClient, signedTc3Request, type CvmClientType } from "../helpers/server.js";
import { sqliteOf, sqlOf } from "../helpers/store.js";

const env = useTestServer();
const REGION = "ap-guangzhou";

interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** The conditions as they were before cvm/4: the definition the indexed ones must agree with. */
function previousCondition(filter: M.Filter): SqlCondition {
  const values = filter.Values;
  const marks = values.map(() => "?").join(", ");
  const listContains = (path: string): SqlCondition => ({ sql: `EXISTS (SELECT 1 FROM json_each(doc, '${path}') WHERE value IN (${marks}))`, params: [...values] });
  const tagField = (field: string): SqlCondition => ({
    sql: `EXISTS (SELECT 1 FROM json_each(doc, '$.Tags') WHERE json_extract(value, '$.${field}') IN (${marks}))`,
    params: [...values],
  });
  if (filter.Name.startsWith("tag:")) {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(doc, '$.Tags') WHERE json_extract(value, '$.Key') = ? AND json_extract(value, '$.Value') IN (${marks}))`,
      params: [filter.Name.slice(4), ...values],
    };
  }
  switch (filter.Name) {
    case "instance-name":
      return { sql: values.map(() => "instr(lower(instance_name), lower(?)) > 0").join(" OR "), params: [...values] };
    case "tag-key":
      return tagField("Key");
    case "tag-value":
      return tagField("Value");
    case "security-group-id":
      return listContains("$.SecurityGroupIds");
    case "ipv6-address":
      return listContains("$.IPv6Addresses");
    case "host-id":
      return { sql: `json_extract(doc, '$.Placement.HostId') IN (${marks})`, params: [...values] };
    case "dedicated-cluster-id":
      return { sql: `json_extract(doc, '$.DedicatedClusterId') IN (${marks})`, params: [...values] };
    case "uuid":
      return { sql: `uuid IN (${marks})`, params: values.map((v) => v.toLowerCase()) };
    case "private-ip-address":
      return { sql: `private_ip IN (${marks})`, params: [...values] };
    case "public-ip-address":
      return { sql: `public_ip IN (${marks})`, params: [...values] };
    case "instance-state":
      return { sql: `state IN (${marks})`, params: [...values] };
    default:
      throw new Error(`no previous definition for ${filter.Name}`);
  }
}

/** The instance ids, in listing order, that the previous conditions select, read straight from the table. */
function previously(filters: readonly M.Filter[], account = env.server.defaultAccount.uin): string[] {
  const conditions = filters.filter((f) => f.Values.length > 0).map(previousCondition);
  const where = ["account_uin = ?", "region = ?", ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
  return sqliteOf(env.server)
    .prepare(`SELECT instance_id FROM cvm_instances WHERE ${where} ORDER BY created_at, seq`)
    .pluck()
    .all(account, REGION, ...conditions.flatMap((c) => c.params)) as string[];
}

/** The answer equals the previous definition's; returns the ids. The request settles first, then the table is read. */
async function expectSame(filters: M.Filter[], client: CvmClientType = env.client, account = env.server.defaultAccount.uin): Promise<string[]> {
  const got = await listAllPages(client, filters);
  const expected = previously(filters, account);
  expect({ filters, ...got }).toEqual({ filters, total: expected.length, ids: expected });
  return got.ids;
}

const filter = (name: string, ...values: string[]): M.Filter[] => [{ Name: name, Values: values }];

/** Each derived structure holds exactly what the migration's backfill would derive from the rows now stored. */
function expectDerivedExact(): void {
  const db = sqliteOf(env.server);
  const rows = (sql: string) => db.prepare(sql).raw().all();
  expect(rows("SELECT rowid, name FROM cvm_instance_names ORDER BY rowid")).toEqual(rows("SELECT seq, instance_name FROM cvm_instances ORDER BY seq"));
  expect(rows("SELECT seq, key, value FROM cvm_instance_tags ORDER BY seq, pos")).toEqual(
    rows("SELECT i.seq, json_extract(t.value, '$.Key'), json_extract(t.value, '$.Value') FROM cvm_instances i, json_each(i.doc, '$.Tags') t WHERE t.type = 'object' ORDER BY i.seq, t.id"),
  );
  expect(rows("SELECT seq, sg_id FROM cvm_instance_security_groups ORDER BY seq, pos")).toEqual(
    rows("SELECT i.seq, g.value FROM cvm_instances i, json_each(i.doc, '$.SecurityGroupIds') g ORDER BY i.seq, g.id"),
  );
  expect(rows("SELECT seq, address FROM cvm_instance_ipv6 ORDER BY seq, pos")).toEqual(
    rows("SELECT i.seq, a.value FROM cvm_instances i, json_each(i.doc, '$.IPv6Addresses') a ORDER BY i.seq, a.id"),
  );
  // The trigram index agrees with the names it was made from (FTS5 throws SQLITE_CORRUPT_VTAB otherwise).
  db.prepare("INSERT INTO cvm_instance_names (cvm_instance_names) VALUES ('integrity-check')").run();
}

async function createGroups(count: number): Promise<string[]> {
  const network = new NetworkRepository(sqlOf(env.server), env.server.defaultAccount.uin, REGION);
  const groups: string[] = [];
  for (let i = 0; i < count; i++) groups.push(await network.createSecurityGroup(`group-${i}`, env.server.clock.now()));
  return groups;
}

/** Rewrites an instance's doc through the repository's save(), as an action does. */
async function saveDoc(instanceId: string, change: (doc: InstanceDoc) => void): Promise<void> {
  await env.server.store.transaction(async (sql) => {
    const repo = new InstanceRepository(sql, env.server.defaultAccount.uin, REGION);
    const record = (await repo.findMany([instanceId])).get(instanceId)!;
    change(record.doc);
    await repo.save(record);
  });
}

const NAMES = [
  "Web-Server-01", "web-server-02", "WEB", "数据库-主", "数据库-从", "École", "ÉCOLE-x", 'a*b"c:d', "Sale 50%_off\\now",
  "x", "ab", "NEAR(a b) OR c*", "🙂🙂🙂-emoji", "Web\u0000Server", "n".repeat(128),
];

suite("instance-name", () => {
  it("matches as the instr() definition did: ASCII case only, CJK, odd characters, NUL, 1–2 characters, long values", async () => {
    for (const name of NAMES) await launchInstances(env.server, env.client, { InstanceName: name });
    const single = [
      "web", "WEB", "Web-Server", "server-0", "SERVER-01", "数据库", "库-主", "据", "数据", "école", "ÉCOLE", "écol", "ÉCOL", "éc",
      "a*b", '"c:', '"', '""', "*", ":", "50%_", "\\now", "NEAR(", "OR c", "c*", "🙂🙂🙂", "🙂🙂", "🙂", "-", "", " ", "zzz",
      "Web\u0000Server", "eb\u0000Se", "\u0000web", "web\u0000", "\u0000", "\u0000\u0000x", "n".repeat(128), "n".repeat(100), "n".repeat(129),
      "x".repeat(300), "n".repeat(127) + "x", "a".repeat(65536), "名".repeat(65536), "🙂".repeat(16384), '"'.repeat(65536),
    ];
    const seen = new Map<string, number>();
    for (const value of single) seen.set(value, (await expectSame(filter("instance-name", value))).length);
    // The definition's answers, so that a wrong definition cannot make both sides agree on nothing.
    expect(seen.get("web")).toBe(4);
    expect(seen.get("数据库")).toBe(2);
    expect(seen.get("ÉCOL")).toBe(2);
    expect(seen.get("écol")).toBe(0); // lower() folds ASCII only; the trigram index alone would find both
    expect(seen.get("éc")).toBe(0);
    expect(seen.get("eb\u0000Se")).toBe(1);
    expect(seen.get("🙂🙂")).toBe(1);
    expect(seen.get("")).toBe(NAMES.length);
    expect(seen.get("n".repeat(128))).toBe(1);
    expect(seen.get("n".repeat(129))).toBe(0);

    for (const values of [["web", "数据库"], ["we", "数据库"], ["ÉCOL", "zzz", "a*b"], ["Server", "server", "SERVER", "sErVeR", "x"], ["web\u0000", "🙂🙂🙂"]]) {
      await expectSame(filter("instance-name", ...values));
    }
    // Beside the other filters.
    await expectSame([...filter("instance-name", "server"), ...filter("tag-key", "none")]);
    expectDerivedExact();
  });

  // The SDK writes a lone surrogate as U+FFFD; a JSON escape (\ud83d) brings it to SQLite as it is, in
  // generalized UTF-8, which instr() compares byte for byte and the trigram tokenizer reads as U+FFFD.
  it("matches a lone surrogate (sent as a JSON escape) byte for byte, as the instr() definition did", async () => {
    const call = async (action: string, body: object) => {
      const answer = (await signedTc3Request(env.server, { action, body: JSON.stringify(body) })).json.Response;
      expect(answer.Error).toBeUndefined();
      return answer;
    };
    for (const name of ["lone\uD83Dsurrogate", "real\uFFFDsurrogate", "pair🙂surrogate"]) await call("RunInstances", { ...BASIC_RUN, InstanceName: name });
    env.server.clock.advance(SETTLE_MS);
    for (const value of ["\uD83Dsur", "\uD83Dsu", "e\uD83Ds", "\uFFFDsur", "\uD83D", "\uDE42sur", "surrogate"]) {
      const answer = await call("DescribeInstances", { Filters: filter("instance-name", value) });
      const expected = previously(filter("instance-name", value));
      expect([value, answer["TotalCount"], (answer["InstanceSet"] as M.Instance[]).map((i) => i.InstanceId)]).toEqual([value, expected.length, expected]);
    }
    // better-sqlite3 12 binds the lone surrogate as it is; 13 (Node-API, Node 22.14 and later) binds it as
    // U+FFFD, like the SDK, so there the name made with it and the one made with U+FFFD are the same text.
    expect(previously(filter("instance-name", "\uD83Dsur"))).toHaveLength(SQLITE_DRIVER === "better-sqlite3" ? 1 : 2);
    expect(previously(filter("instance-name", "surrogate"))).toHaveLength(3);
    expectDerivedExact();
  });

  it("follows renames", async () => {
    const [id] = await launchInstances(env.server, env.client, { InstanceName: "before-rename" });
    expect(await expectSame(filter("instance-name", "BEFORE"))).toEqual([id]);
    await env.client.ModifyInstancesAttribute({ InstanceIds: [id!], InstanceName: "Renamed-数据库" });
    expect(await expectSame(filter("instance-name", "before"))).toEqual([]);
    expect(await expectSame(filter("instance-name", "renamed-数据"))).toEqual([id]);
    expectDerivedExact();
  });
});

suite("tags", () => {
  it("tag-key, tag-value and tag:<key>, with CJK and odd characters, and after the tags change", async () => {
    const tagged = (...tags: Array<[string, string]>) => ({ TagSpecification: [{ ResourceType: "instance", Tags: tags.map(([Key, Value]) => ({ Key, Value })) }] });
    const [a] = await launchInstances(env.server, env.client, tagged(["team", "blue"], ["env", "prod"]));
    const [b] = await launchInstances(env.server, env.client, tagged(["team", "red"]));
    const [c] = await launchInstances(env.server, env.client, tagged(["env", "prod"], ["部门", "研发"]));
    const [d] = await launchInstances(env.server, env.client);
    const [e] = await launchInstances(env.server, env.client, tagged(["k:1", "a b (x)"], ["Team", ""]));
    const queries: M.Filter[][] = [
      filter("tag-key", "team"), filter("tag-key", "env"), filter("tag-key", "部门"), filter("tag-key", "Team"), filter("tag-key", "TEAM"),
      filter("tag-key", "team", "部门"), filter("tag-key", "missing"),
      filter("tag-value", "blue"), filter("tag-value", "prod"), filter("tag-value", "研发"), filter("tag-value", "a b (x)"), filter("tag-value", ""),
      filter("tag-value", "blue", "red"), filter("tag-value", "team"),
      filter("tag:team", "blue", "red"), filter("tag:env", "prod"), filter("tag:部门", "研发"), filter("tag:team", "prod"), filter("tag:k:1", "a b (x)"),
      filter("tag:Team", ""), filter("tag:missing", "blue"),
      [...filter("tag-key", "env"), ...filter("tag-value", "研发")],
      [...filter("tag:team", "blue"), ...filter("instance-state", "RUNNING")],
    ];
    for (const q of queries) await expectSame(q);
    expect(await expectSame(filter("tag-key", "team"))).toEqual([a, b]);
    expect(await expectSame(filter("tag-value", "prod"))).toEqual([a, c]);
    expect(await expectSame(filter("tag:team", "blue", "red"))).toEqual([a, b]);

    // No action changes an instance's tags yet; every write path keeps the index all the same. Through save():
    await saveDoc(d!, (doc) => {
      doc.Tags = [{ Key: "team", Value: "green" }];
    });
    await saveDoc(a!, (doc) => {
      doc.Tags = [{ Key: "env", Value: "prod" }];
    });
    // … and through plain SQL.
    sqliteOf(env.server).prepare("UPDATE cvm_instances SET doc = json_set(doc, '$.Tags', json(?)) WHERE instance_id = ?").run(JSON.stringify([{ Key: "team", Value: "blue" }]), c);
    for (const q of queries) await expectSame(q);
    expect(await expectSame(filter("tag-key", "team"))).toEqual([b, c, d]);
    expect(await expectSame(filter("tag:team", "green"))).toEqual([d]);
    expect(await expectSame(filter("tag-value", "研发"))).toEqual([]);
    expect(await expectSame(filter("tag-key", "k:1"))).toEqual([e]);
    expectDerivedExact();
  });
});

suite("security groups", () => {
  it("follow RunInstances, AssociateSecurityGroups, DisassociateSecurityGroups and ModifyInstancesAttribute", async () => {
    const [web, db, admin] = await createGroups(3);
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 3 });
    const [withDb] = await launchInstances(env.server, env.client, { SecurityGroupIds: [db!, admin!] });
    const [defaultGroup] = (await env.client.DescribeInstances({ InstanceIds: [ids[0]!] })).InstanceSet![0]!.SecurityGroupIds!;
    const groups = [defaultGroup!, web!, db!, admin!];
    const check = async () => {
      for (const g of groups) await expectSame(filter("security-group-id", g));
      await expectSame(filter("security-group-id", web!, db!));
      await expectSame(filter("security-group-id", "sg-zzzzzzzz"));
    };
    await check();
    expect(await expectSame(filter("security-group-id", defaultGroup!))).toEqual(ids);

    await env.client.AssociateSecurityGroups({ SecurityGroupIds: [web!], InstanceIds: [ids[0]!, ids[1]!] });
    await check();
    expect(await expectSame(filter("security-group-id", web!))).toEqual([ids[0], ids[1]]);
    env.server.clock.advance(SETTLE_MS);

    await env.client.DisassociateSecurityGroups({ SecurityGroupIds: [defaultGroup!], InstanceIds: [ids[0]!] });
    await check();
    expect(await expectSame(filter("security-group-id", defaultGroup!))).toEqual([ids[1], ids[2]]);
    env.server.clock.advance(SETTLE_MS);

    await env.client.ModifyInstancesAttribute({ InstanceIds: [withDb!, ids[2]!], SecurityGroups: [admin!] });
    await check();
    expect(await expectSame(filter("security-group-id", db!))).toEqual([]);
    expect(await expectSame(filter("security-group-id", admin!))).toEqual([ids[2], withDb]);
    expectDerivedExact();
  });
});

suite("addresses, ids, hosts and clusters", () => {
  it("uuid, private-ip-address, public-ip-address, ipv6-address, host-id and dedicated-cluster-id", async () => {
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 3, InternetAccessible: { InternetMaxBandwidthOut: 1, PublicIpAssigned: true } });
    const [inner] = await launchInstances(env.server, env.client);
    const [first, second] = (await env.client.DescribeInstances({ InstanceIds: [ids[0]!, ids[1]!] })).InstanceSet!;
    // No action gives an instance IPv6 addresses, a host or a cluster yet; the rows are written directly, as another write path could write them.
    sqliteOf(env.server)
      .prepare("UPDATE cvm_instances SET doc = json_set(doc, '$.IPv6Addresses', json(?), '$.Placement.HostId', ?, '$.DedicatedClusterId', ?) WHERE instance_id = ?")
      .run(JSON.stringify(["2402:4e00::1", "2402:4e00::2"]), "host-abcdefgh", "cluster-abcdefgh", ids[2]);
    await saveDoc(inner!, (doc) => {
      doc.IPv6Addresses = ["2402:4e00::2"];
    });
    const queries: M.Filter[][] = [
      filter("uuid", first!.Uuid!), filter("uuid", first!.Uuid!.toUpperCase(), second!.Uuid!), filter("uuid", "00000000-0000-4000-8000-000000000000"),
      filter("private-ip-address", first!.PrivateIpAddresses![0]!), filter("private-ip-address", first!.PrivateIpAddresses![0]!, second!.PrivateIpAddresses![0]!),
      filter("public-ip-address", second!.PublicIpAddresses![0]!), filter("public-ip-address", "203.0.113.250"),
      filter("ipv6-address", "2402:4e00::1"), filter("ipv6-address", "2402:4e00::2"), filter("ipv6-address", "::1"),
      filter("host-id", "host-abcdefgh"), filter("host-id", "host-zzzzzzzz"),
      filter("dedicated-cluster-id", "cluster-abcdefgh"), filter("dedicated-cluster-id", ""), filter("dedicated-cluster-id", "cluster-abcdefgh", ""),
    ];
    for (const q of queries) await expectSame(q);
    expect(await expectSame(filter("ipv6-address", "2402:4e00::2"))).toEqual([ids[2], inner]);
    expect(await expectSame(filter("host-id", "host-abcdefgh"))).toEqual([ids[2]]);
    expect(await expectSame(filter("dedicated-cluster-id", ""))).toEqual([ids[0], ids[1], inner]);
    expect(await expectSame(filter("uuid", first!.Uuid!.toUpperCase(), second!.Uuid!))).toEqual([ids[0], ids[1]]);
    expectDerivedExact();
  });
});

suite("the derived structures follow every write", () => {
  it("terminated instances leave every one of them once the clock has passed", async () => {
    const [group] = await createGroups(1);
    const run = { InstanceName: "doomed-数据", SecurityGroupIds: [group!], TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "fate", Value: "doomed" }] }] };
    const doomed = await launchInstances(env.server, env.client, { ...run, InstanceCount: 2 });
    const [kept] = await launchInstances(env.server, env.client, run);
    const seqs = sqliteOf(env.server).prepare("SELECT seq FROM cvm_instances WHERE instance_id IN (?, ?)").pluck().all(...doomed) as number[];
    const queries = [filter("instance-name", "doomed"), filter("tag-key", "fate"), filter("tag:fate", "doomed"), filter("security-group-id", group!)];

    await env.client.TerminateInstances({ InstanceIds: doomed });
    // Still listed while they terminate.
    for (const q of queries) expect(await expectSame(q)).toEqual([...doomed, kept]);
    env.server.clock.advance(SETTLE_MS);
    for (const q of queries) expect(await expectSame(q)).toEqual([kept]);
    const db = sqliteOf(env.server);
    for (const [table, column] of [["cvm_instance_names", "rowid"], ["cvm_instance_tags", "seq"], ["cvm_instance_security_groups", "seq"], ["cvm_instance_ipv6", "seq"]] as const) {
      expect([table, db.prepare(`SELECT COUNT(*) FROM ${table} WHERE ${column} IN (?, ?)`).pluck().get(...seqs)]).toEqual([table, 0]);
    }
    expectDerivedExact();
  });

  it("a reset empties them, and they work again after it", async () => {
    await launchInstances(env.server, env.client, { InstanceName: "before-reset", TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "k", Value: "v" }] }] });
    await adminRequest(env.server, "POST", "/_tclocal/reset");
    const db = sqliteOf(env.server);
    for (const table of ["cvm_instance_names", "cvm_instance_tags", "cvm_instance_security_groups", "cvm_instance_ipv6"]) {
      expect([table, db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()]).toEqual([table, 0]);
    }
    expectDerivedExact();
    const [id] = await launchInstances(env.server, env.client, { InstanceName: "after-reset", TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "k", Value: "v" }] }] });
    expect(await expectSame(filter("instance-name", "reset"))).toEqual([id]);
    expect(await expectSame(filter("tag:k", "v"))).toEqual([id]);
    expectDerivedExact();
  });

  it("another account's instances with the same names, tags and groups are neither listed nor counted", async () => {
    const tags = { TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "blue" }] }] };
    const mine = await launchInstances(env.server, env.client, { ...tags, InstanceName: "shared-name", InstanceCount: 2 });
    const other = await createAccount(env.server);
    const theirClient = cvmClient(env.server, { secretId: other.SecretId, secretKey: other.SecretKey });
    const theirs = await launchInstances(env.server, theirClient, { ...tags, InstanceName: "shared-name", InstanceCount: 3 });
    const shanghai = cvmClient(env.server, { region: "ap-shanghai" });
    await shanghai.RunInstances({ Placement: { Zone: "ap-shanghai-2" }, ImageId: "img-9qabwvbn", InstanceType: "S5.MEDIUM4", InstanceName: "shared-name", ...tags });
    env.server.clock.advance(SETTLE_MS);
    for (const q of [filter("instance-name", "shared"), filter("tag-key", "team"), filter("tag-value", "blue"), filter("tag:team", "blue")]) {
      expect(await expectSame(q)).toEqual(mine);
      expect(await expectSame(q, theirClient, other.Uin)).toEqual(theirs);
      expect((await shanghai.DescribeInstances({ Filters: q })).TotalCount).toBe(1);
    }
  });

  it("rows written by INSERT … SELECT (as a bench seeds them) are indexed too", async () => {
    await launchInstances(env.server, env.client, { InstanceName: "Seed-Web", InstanceCount: 2, TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "seed", Value: "yes" }] }] });
    const other = await createAccount(env.server);
    const db = sqliteOf(env.server);
    const columns = db
      .prepare("SELECT name FROM pragma_table_info('cvm_instances') WHERE name NOT IN ('seq', 'account_uin')")
      .pluck()
      .all() as string[];
    const list = columns.join(", ");
    db.prepare(`INSERT INTO cvm_instances (account_uin, ${list}) SELECT ?, ${list} FROM cvm_instances WHERE account_uin = ?`).run(other.Uin, env.server.defaultAccount.uin);
    expectDerivedExact();
    const theirClient = cvmClient(env.server, { secretId: other.SecretId, secretKey: other.SecretKey });
    for (const q of [filter("instance-name", "seed-web"), filter("tag:seed", "yes")]) {
      expect(await expectSame(q, theirClient, other.Uin)).toHaveLength(2);
      expect(await expectSame(q)).toHaveLength(2);
    }
    db.prepare("DELETE FROM cvm_instances WHERE account_uin = ?").run(other.Uin);
    expectDerivedExact();
  });
});

suite("query plans", () => {
  // The COUNT(*) query a listing with a non-facet filter runs (src/store/listing.ts), and the page query.
  const plan = (sql: string, params: unknown[]): string[] =>
    (sqliteOf(env.server).prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);

  const SEQ = "cvm_instances_account_seq (account_uin=? AND region=? AND seq=?)";
  const EXPECTED: Array<[M.Filter[], string, RegExp | undefined]> = [
    [filter("instance-name", "web-server"), SEQ, /^SCAN cvm_instance_names VIRTUAL TABLE INDEX \d+:M/],
    [filter("instance-name", "web", "数据库", "ÉCOL"), SEQ, /^SCAN cvm_instance_names VIRTUAL TABLE INDEX \d+:M/],
    [filter("tag-key", "team", "env"), SEQ, /^SEARCH cvm_instance_tags USING COVERING INDEX cvm_instance_tags_key \(key=\?\)$/],
    [filter("tag-value", "blue"), SEQ, /^SEARCH cvm_instance_tags USING COVERING INDEX cvm_instance_tags_value \(value=\?\)$/],
    [filter("tag:team", "blue", "red"), SEQ, /^SEARCH cvm_instance_tags USING COVERING INDEX cvm_instance_tags_key \(key=\? AND value=\?\)$/],
    [filter("security-group-id", "sg-aaaaaaaa"), SEQ, /^SEARCH cvm_instance_security_groups USING COVERING INDEX cvm_instance_security_groups_id \(sg_id=\?\)$/],
    [filter("ipv6-address", "2402:4e00::1"), SEQ, /^SEARCH cvm_instance_ipv6 USING COVERING INDEX cvm_instance_ipv6_address \(address=\?\)$/],
    [filter("host-id", "host-abcdefgh"), "cvm_instances_host (account_uin=? AND region=? AND <expr>=?)", undefined],
    [filter("dedicated-cluster-id", "cluster-abcdefgh"), "cvm_instances_dedicated_cluster (account_uin=? AND region=? AND <expr>=?)", undefined],
    [filter("uuid", "8e3b0e2c-7a0d-4c55-9b7f-0123456789ab"), "cvm_instances_uuid (account_uin=? AND region=? AND uuid=?)", undefined],
    [filter("private-ip-address", "10.0.0.2", "10.0.0.3"), "cvm_instances_private_address (account_uin=? AND region=? AND private_ip=?)", undefined],
    [filter("public-ip-address", "203.0.113.2"), "cvm_instances_public_address (account_uin=? AND region=? AND public_ip=?)", undefined],
  ];

  it("answers each selective filter through its index, never by reading every instance of the account", async () => {
    await launchInstances(env.server, env.client, { InstanceCount: 5, TagSpecification: [{ ResourceType: "instance", Tags: [{ Key: "team", Value: "blue" }] }] });
    for (const [filters, instancesIndex, derived] of EXPECTED) {
      const conditions = conditionsFor(filters, REGION, "sqlite");
      const where = ["account_uin = ?", "region = ?", ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
      const params = [env.server.defaultAccount.uin, REGION, ...conditions.flatMap((c) => c.params)];
      for (const sql of [`SELECT COUNT(*) FROM cvm_instances WHERE ${where}`, `SELECT seq, created_at FROM cvm_instances WHERE ${where} ORDER BY +created_at, +seq LIMIT 20 OFFSET 0`]) {
        const steps = plan(sql, params);
        const context = { filter: filters[0]!.Name, sql, steps };
        expect(steps.filter((s) => /^SCAN cvm_instances\b/.test(s)), JSON.stringify(context)).toEqual([]);
        expect(steps.filter((s) => s.startsWith("SEARCH cvm_instances ")).map((s) => s.replace(/ USING (COVERING )?INDEX /, " USING INDEX ")), JSON.stringify(context)).toEqual([
          `SEARCH cvm_instances USING INDEX ${instancesIndex}`,
        ]);
        if (derived) expect(steps.some((s) => derived.test(s)), JSON.stringify(context)).toBe(true);
        // No subquery is run once per instance: each is a list made once.
        expect(steps.filter((s) => /CORRELATED/.test(s)), JSON.stringify(context)).toEqual([]);
      }
    }
  });

  it("beside facet filters, finds each match by its seq, within the facet's index or the account's", async () => {
    await launchInstances(env.server, env.client, { InstanceCount: 5 });
    const { VpcId: vpc, SubnetId: subnet } = (await env.client.DescribeInstances({ Limit: 1 })).InstanceSet![0]!.VirtualPrivateCloud!;
    const combinations: M.Filter[][] = [
      [...filter("tag-key", "team"), ...filter("instance-state", "RUNNING")],
      [...filter("instance-name", "web-server"), ...filter("zone", "ap-guangzhou-3")],
      [...filter("security-group-id", "sg-aaaaaaaa"), ...filter("vpc-id", vpc!)],
      [...filter("tag:team", "blue"), ...filter("instance-name", "server")],
      [...filter("tag-value", "blue"), ...filter("subnet-id", subnet!)],
      [...filter("ipv6-address", "2402:4e00::1"), ...filter("project-id", "0"), ...filter("instance-charge-type", "POSTPAID_BY_HOUR")],
    ];
    for (const filters of combinations) {
      const conditions = conditionsFor(filters, REGION, "sqlite");
      const where = ["account_uin = ?", "region = ?", ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
      const params = [env.server.defaultAccount.uin, REGION, ...conditions.flatMap((c) => c.params)];
      for (const sql of [`SELECT COUNT(*) FROM cvm_instances WHERE ${where}`, `SELECT seq, created_at FROM cvm_instances WHERE ${where} ORDER BY +created_at, +seq LIMIT 20 OFFSET 0`]) {
        const steps = plan(sql, params);
        const search = steps.filter((s) => s.startsWith("SEARCH cvm_instances "));
        expect({ filters, steps: search }).toEqual({ filters, steps: [expect.stringMatching(/ (seq|rowid)=\?\)$/)] });
        expect(steps.filter((s) => /^SCAN cvm_instances\b/.test(s))).toEqual([]);
      }
    }
  });

  it("a 1–2 character name is the one filter left to read the account's instances (trigram cannot serve it)", () => {
    const conditions = conditionsFor(filter("instance-name", "we"), REGION, "sqlite");
    const steps = plan(`SELECT COUNT(*) FROM cvm_instances WHERE account_uin = ? AND region = ? AND (${conditions[0]!.sql})`, ["1", REGION, ...conditions[0]!.params]);
    expect(steps.some((s) => / \(account_uin=\? AND region=\?\)$/.test(s))).toBe(true);
    expect(steps.some((s) => s.includes("cvm_instance_names"))).toBe(false);
  });
});
