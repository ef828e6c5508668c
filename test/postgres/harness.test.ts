// The PostgreSQL test harness: each testDatabaseUrl() is a new, empty database on the run's server, with
// the pg_trgm extension available (the instance-name index of migration cvm/4 needs it).
import pg from "pg";
import { describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../helpers/postgres.js";

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe("PostgreSQL test harness", () => {
  it("gives each caller a new, empty database where SELECT 1 and CREATE EXTENSION pg_trgm work", async () => {
    const [a, b] = await Promise.all([testDatabaseUrl(), testDatabaseUrl()]);
    expect(a).not.toBe(b);
    const names: string[] = [];
    for (const url of [a, b]) {
      names.push(
        await withClient(url, async (client) => {
          const name = (await client.query<{ name: string }>("SELECT current_database() AS name")).rows[0]!.name;
          expect(name).toMatch(/^tclocal_test_/);
          expect(new URL(url).pathname).toBe(`/${name}`);
          const tables = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
          expect(tables.rows).toEqual([]);
          expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
          await client.query("CREATE EXTENSION pg_trgm");
          const similar = await client.query<{ found: boolean }>("SELECT 'Web-Server-01' LIKE '%Server%' AND similarity('web server', 'web-server') > 0.5 AS found");
          expect(similar.rows[0]!.found).toBe(true);
          // What one database holds, the other does not see.
          await client.query(`CREATE TABLE only_in_${name} (x int)`);
          return name;
        }),
      );
    }
    expect(names[0]).not.toBe(names[1]);
    await withClient(a, async (client) => {
      const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      expect(tables.rows.map((r) => r.table_name)).toEqual([`only_in_${names[0]}`]);
    });
  });
});
