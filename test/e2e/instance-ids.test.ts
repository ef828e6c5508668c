// Instance ids are 8 random characters: among a million instances one drawn at random is sometimes taken
// already (seen once at about 527k: RunInstances answered InternalError, UNIQUE constraint failed). A
// drawn id that is taken, in the account or in the same batch, is drawn again.
import { describe, expect, it } from "vitest";
import type { Sql } from "../../src/store/sql.js";
import { InstanceRepository } from "../../src/products/cvm/instances/repository.js";
import { launchInstances, useTestServer } from "../helpers/instances.js";

const env = useTestServer();

describe("instance ids", () => {
  it("draws again an id that an instance of the account already has, or that the batch already drew", async () => {
    const [existing] = await launchInstances(env.server, env.client);
    const repo = (sql: Sql, region = "ap-guangzhou") => new InstanceRepository(sql, env.server.defaultAccount.uin, region);
    const script = [existing!, "ins-aaaaaaaa", "ins-aaaaaaaa", existing!, "ins-bbbbbbbb"];
    const draw = () => script.shift()!;
    const drawn = new Set<string>();
    expect(await env.server.store.read((sql) => repo(sql).freshInstanceId(drawn, draw))).toBe("ins-aaaaaaaa");
    expect(await env.server.store.read((sql) => repo(sql).freshInstanceId(drawn, draw))).toBe("ins-bbbbbbbb");
    expect(script).toEqual([]);
    expect([...drawn]).toEqual(["ins-aaaaaaaa", "ins-bbbbbbbb"]);
    // Another account's or region's instance does not take an id here.
    expect(await env.server.store.read((sql) => repo(sql, "ap-shanghai").freshInstanceId(new Set(), () => existing!))).toBe(existing);
  });

  it("RunInstances gives every instance of a batch its own id", async () => {
    const ids = await launchInstances(env.server, env.client, { InstanceCount: 100 });
    expect(new Set(ids).size).toBe(100);
    expect(ids.every((id) => /^ins-[a-z0-9]{8}$/.test(id))).toBe(true);
  });
});
