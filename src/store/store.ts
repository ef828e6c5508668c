// The storage seam. Everything that reads or writes state goes through a Store's repositories, so another
// backend (PostgreSQL) can be added without touching the gateway or the products.
import { AccountRepository } from "./accounts.js";
import { CORE_MIGRATIONS, type Migration } from "./migrations.js";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { openDatabaseWithWarnings, type SqliteDatabase } from "./sqlite.js";

export interface Store {
  readonly accounts: AccountRepository;
  /** The embedded database, for product repositories. */
  readonly db: SqliteDatabase;
  /** A JSON setting that survives a restart, or undefined. */
  getSetting(key: string): unknown;
  putSetting(key: string, value: unknown): void;
  /** Runs fn in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: () => T): T;
  /** Deletes every row of every table: accounts, keys and resources alike. */
  reset(): void;
  /**
   * What opening the data dir found worth a warning, for the server to log (e.g. a data dir that other users
   * can read, which tclocal did not tighten because it holds other files). Empty in memory.
   */
  readonly warnings: readonly string[];
  /** Closes the database and releases the data dir lock. */
  close(): void;
}

/**
 * Opens the store. On disk it first takes the data dir lock (data-dir-lock.ts): while another process holds
 * it, this throws DataDirLockedError, which names that process. In memory there is no lock.
 */
export function openStore(options: { dataDir: string; inMemory: boolean }, productMigrations: readonly Migration[] = []): Store {
  const lock: DataDirLock | undefined = options.inMemory ? undefined : lockDataDir(options.dataDir);
  let opened: { db: SqliteDatabase; warnings: string[] };
  try {
    opened = openDatabaseWithWarnings(options, [...CORE_MIGRATIONS, ...productMigrations]);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const { db, warnings } = opened;
  return {
    accounts: new AccountRepository(db),
    db,
    // Deferred: a transaction that only reads takes no write lock. This process is the database's only
    // writer (the data dir lock) and a transaction runs synchronously to its end, so a read that turns into
    // a write cannot find another writer in its way.
    transaction: <T>(fn: () => T): T => db.transaction(fn).deferred(),
    getSetting: (key) => {
      const row = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?").get(key);
      return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
    },
    putSetting: (key, value) => {
      db.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
    },
    reset: () => {
      // Ordinary and virtual tables. A virtual table's shadow tables (an FTS5 index's) are its own business:
      // SQLite refuses writes to them in defensive mode, and emptying the virtual table empties them.
      const tables = db
        .prepare<[], { name: string }>(
          "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
        )
        .all();
      db.transaction(() => {
        db.pragma("defer_foreign_keys = ON");
        for (const { name } of tables) db.prepare(`DELETE FROM "${name.replace(/"/g, '""')}"`).run();
      }).immediate();
    },
    warnings,
    close: () => {
      try {
        db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
