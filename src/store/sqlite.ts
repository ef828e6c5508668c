// Embedded storage: one SQLite file in the data dir (WAL mode), or an in-memory database.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Migration } from "./migrations.js";

export type SqliteDatabase = BetterSqlite3.Database;

export const DATABASE_FILE = "tclocal.sqlite";

/**
 * The better-sqlite3 package for a Node that supports this Node-API version. better-sqlite3 12 wraps its
 * objects in node::ObjectWrap, and from Node 24.19 the process aborts when the GC finalizes one of them
 * outside a JS context (`RemoveEnvironmentCleanupHook … (env) != nullptr`): on Node 24.21 the server died
 * within seconds of a filtered DescribeInstances load, whose statement cache turns over. better-sqlite3 13
 * uses Node-API and is immune, but it is built for Node-API 10 (Node 22.14 and later) and crashes below
 * that, so Node 20 keeps 12. package.json installs 13 under the alias `better-sqlite3-napi`; both have the
 * same API.
 */
export function sqliteDriverFor(nodeApiVersion: number): "better-sqlite3-napi" | "better-sqlite3" {
  return nodeApiVersion >= 10 ? "better-sqlite3-napi" : "better-sqlite3";
}

/** The package this process stores with. */
export const SQLITE_DRIVER = sqliteDriverFor(Number(process.versions.napi));

let driver: typeof BetterSqlite3 | undefined;

/** Opens a SQLite database with the driver that suits this Node. */
export function openSqlite(file: string, options?: BetterSqlite3.Options): SqliteDatabase {
  if (driver === undefined) {
    try {
      driver = createRequire(import.meta.url)(SQLITE_DRIVER) as typeof BetterSqlite3;
    } catch (e) {
      const reason = (e as Error).message.split("\n")[0];
      throw new Error(`tclocal stores its data with ${SQLITE_DRIVER} on Node ${process.version}, which could not be loaded (${reason}). Run npm install again and read what it prints about it.`);
    }
  }
  return new driver(file, options);
}

export function openDatabase(options: { dataDir: string; inMemory: boolean }, migrations: readonly Migration[]): SqliteDatabase {
  let db: SqliteDatabase;
  if (options.inMemory) {
    db = openSqlite(":memory:");
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    db = openSqlite(join(options.dataDir, DATABASE_FILE));
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
