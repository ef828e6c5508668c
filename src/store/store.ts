// The storage seam. Everything that reads or writes state goes through a Store's repositories, so another
// backend (PostgreSQL) can be added without touching the gateway or the products.
import { AccountRepository } from "./accounts.js";
import { CORE_MIGRATIONS, type Migration } from "./migrations.js";
import { openDatabase, type SqliteDatabase } from "./sqlite.js";

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
  close(): void;
}

export function openStore(options: { dataDir: string; inMemory: boolean }, productMigrations: readonly Migration[] = []): Store {
  const db = openDatabase(options, [...CORE_MIGRATIONS, ...productMigrations]);
  return {
    accounts: new AccountRepository(db),
    db,
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    getSetting: (key) => {
      const row = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?").get(key);
      return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
    },
    putSetting: (key, value) => {
      db.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
    },
    reset: () => {
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'")
        .all();
      db.transaction(() => {
        db.pragma("defer_foreign_keys = ON");
        for (const { name } of tables) db.prepare(`DELETE FROM "${name.replace(/"/g, '""')}"`).run();
      }).immediate();
    },
    close: () => db.close(),
  };
}
