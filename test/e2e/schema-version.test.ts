// A node refuses to start on a database that a newer tclocal has migrated: it would misread tables whose
// shape it does not know. The data is left as it was.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite, DATABASE_FILE } from "../../src/store/sqlite.js";
import { startTestServer } from "../helpers/server.js";

describe("a schema newer than this tclocal", () => {
  it("is refused on SQLite, naming the migrations it does not know, and the database is left alone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tclocal-schema-"));
    try {
      const first = await startTestServer({ inMemory: false, dataDir });
      await first.close();
      const db = openSqlite(join(dataDir, DATABASE_FILE));
      db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES ('cvm/999', 0)").run();
      db.close();
      const refused = await startTestServer({ inMemory: false, dataDir }).then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/has a schema newer than this tclocal knows: it has applied migrations cvm\/999, which a newer tclocal wrote/);
      const after = openSqlite(join(dataDir, DATABASE_FILE));
      expect(after.prepare("SELECT COUNT(*) AS n FROM schema_migrations WHERE id = 'cvm/999'").get()).toEqual({ n: 1 });
      after.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
