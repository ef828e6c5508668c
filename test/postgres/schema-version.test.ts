// A node refuses to start on a PostgreSQL database that a newer tclocal has migrated, with a message that
// says so; nodes starting together migrate a new database once.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { testDatabaseUrl } from "../helpers/postgres.js";
import { startTestServer } from "../helpers/server.js";

describe("PostgreSQL schema versions", () => {
  it("refuses a database with a migration this tclocal does not know, and leaves it alone", async () => {
    const databaseUrl = await testDatabaseUrl();
    const first = await startTestServer({ databaseUrl });
    await first.close();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query("INSERT INTO schema_migrations (id, applied_at) VALUES ('core/999', 0)");
      const refused = await startTestServer({ databaseUrl }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/^The PostgreSQL database postgres:\/\/tclocal:\*\*\*@127\.0\.0\.1:\d+\/tclocal_test_\w+ has a schema newer than this tclocal knows: it has applied migrations core\/999/);
      expect(refused).not.toContain(new URL(databaseUrl).password);
      expect((await client.query("SELECT COUNT(*)::int AS n FROM schema_migrations WHERE id = 'core/999'")).rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
    }
  });

  it("migrates a new database once when several nodes start on it at the same time", async () => {
    const databaseUrl = await testDatabaseUrl();
    const servers = await Promise.all([0, 1, 2].map(() => startTestServer({ databaseUrl })));
    try {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; n: number }>("SELECT id, COUNT(*)::int AS n FROM schema_migrations GROUP BY id HAVING COUNT(*) > 1");
        expect(rows).toEqual([]);
        expect((await client.query("SELECT COUNT(*)::int AS n FROM schema_migrations")).rows[0].n).toBeGreaterThanOrEqual(9);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});
