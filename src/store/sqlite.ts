// Embedded storage: one SQLite file in the data dir (WAL mode), or an in-memory database.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Migration } from "./migrations.js";

export type SqliteDatabase = Database.Database;

export const DATABASE_FILE = "tclocal.sqlite";

export function openDatabase(options: { dataDir: string; inMemory: boolean }, migrations: readonly Migration[]): SqliteDatabase {
  let db: SqliteDatabase;
  if (options.inMemory) {
    db = new Database(":memory:");
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    db = new Database(join(options.dataDir, DATABASE_FILE));
    db.pragma("journal_mode = WAL");
    // FULL: an acknowledged write survives power loss, not only a process crash.
    db.pragma("synchronous = FULL");
  }
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db, migrations);
  return db;
}

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = new Set(db.prepare<[], { id: string }>("SELECT id FROM schema_migrations").all().map((r) => r.id));
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)").run(m.id, Date.now());
    })();
  }
}
