// Embedded storage: one SQLite file in the data dir (WAL mode), or an in-memory database.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS, type Migration } from "./migrations.js";

export type SqliteDatabase = Database.Database;

export const DATABASE_FILE = "tclocal.sqlite";

export function openDatabase(options: { dataDir: string; inMemory: boolean }): SqliteDatabase {
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
  migrate(db, MIGRATIONS);
  return db;
}

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`the database schema (version ${current}) is newer than this tclocal (version ${latest})`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
