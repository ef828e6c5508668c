// The storage seam. Everything that reads or writes state goes through a Store's transactions and the
// repositories built on them, whichever engine holds the data: the embedded SQLite file (the default) or
// PostgreSQL (--database postgres://…), which several tclocal nodes can share.
import { lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { CORE_MIGRATIONS, type Migration } from "./migrations.js";
import { openPostgresStore } from "./postgres.js";
import type { Dialect, Sql, TransactionOptions } from "./sql.js";
import type { Statement as BetterSqlite3Statement } from "better-sqlite3";
import { openDatabaseWithWarnings, SqliteSql, type SqliteDatabase } from "./sqlite.js";

export interface Store {
  readonly dialect: Dialect;
  /**
   * Whether other processes may change the data (PostgreSQL): then what a process keeps of it (the
   * resource clock) is read again for each request. SQLite's data dir lock makes its process the only one.
   */
  readonly shared: boolean;
  /**
   * Runs fn in one transaction, every statement on the Sql it is given: all of its writes land, or none do.
   * Writers with the same lock key run one after another, across every process sharing the database.
   */
  transaction<T>(fn: (sql: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs fn outside a transaction: each statement sees what is committed when it runs (one round trip each). */
  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Deletes every row of every table: accounts, keys and resources alike. */
  reset(): Promise<void>;
  /**
   * What opening the store found worth a warning, for the server to log (e.g. a data dir that other users
   * can read, which tclocal did not tighten because it holds other files).
   */
  readonly warnings: readonly string[];
  /** Closes the database (and releases the data dir lock). */
  close(): Promise<void>;
}

/** The lock key of writers that number or create accounts and keys. */
export const ACCOUNTS_LOCK = "accounts";

export interface StoreOptions {
  dataDir: string;
  inMemory: boolean;
  /** A postgres:// URL: the data lives there instead of the data dir. */
  databaseUrl?: string | undefined;
}

/**
 * Opens the store: PostgreSQL when a database URL is given, else SQLite. On disk SQLite first takes the data
 * dir lock (data-dir-lock.ts): while another process holds it, this throws DataDirLockedError, which names
 * that process. In memory there is no lock. Either engine is migrated to the schema this tclocal knows, and
 * refused (SchemaTooNewError) when a newer tclocal has migrated it further.
 */
export async function openStore(options: StoreOptions, productMigrations: readonly Migration[] = []): Promise<Store> {
  const migrations = [...CORE_MIGRATIONS, ...productMigrations];
  if (options.databaseUrl !== undefined) return openPostgresStore(options.databaseUrl, migrations);
  return openSqliteStore(options, migrations);
}

/**
 * One connection, one transaction at a time: a transaction holds the gate from BEGIN to COMMIT, so another
 * request's statements never land inside it while it awaits. The driver is synchronous, so a transaction
 * whose work is all SQL runs to its end without yielding to another request anyway.
 */
class Gate {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  enter(): Promise<void> | undefined {
    if (!this.busy) {
      this.busy = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}

export class SqliteStore implements Store {
  readonly dialect = "sqlite";
  readonly shared = false;
  readonly sql: SqliteSql;
  private readonly gate = new Gate();

  /** Compiled once: db.exec parses its text on every call, about 5% of a RunInstances. */
  private readonly begin: BetterSqlite3Statement;
  private readonly commit: BetterSqlite3Statement;
  private readonly rollback: BetterSqlite3Statement;

  constructor(
    /** The embedded database, for SQLite-specific code: tests of its query plans, the crash harness. */
    readonly db: SqliteDatabase,
    readonly warnings: readonly string[],
    private readonly lock: DataDirLock | undefined,
  ) {
    this.sql = new SqliteSql(db);
    this.begin = db.prepare("BEGIN");
    this.commit = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }

  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const entering = this.gate.enter();
    if (entering !== undefined) await entering;
    try {
      // Deferred: a transaction that only reads takes no write lock. This process is the database's only
      // writer (the data dir lock), so a read that turns into a write cannot find another writer in its way.
      this.begin.run();
      try {
        const result = await fn(this.sql);
        this.commit.run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.rollback.run();
        throw error;
      }
    } finally {
      this.gate.leave();
    }
  }

  async read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const entering = this.gate.enter();
    if (entering !== undefined) await entering;
    try {
      return await fn(this.sql);
    } finally {
      this.gate.leave();
    }
  }

  async reset(): Promise<void> {
    const db = this.db;
    // Ordinary and virtual tables. A virtual table's shadow tables (an FTS5 index's) are its own business:
    // SQLite refuses writes to them in defensive mode, and emptying the virtual table empties them.
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
      )
      .all();
    const entering = this.gate.enter();
    if (entering !== undefined) await entering;
    try {
      db.transaction(() => {
        db.pragma("defer_foreign_keys = ON");
        for (const { name } of tables) db.prepare(`DELETE FROM "${name.replace(/"/g, '""')}"`).run();
      }).immediate();
    } finally {
      this.gate.leave();
    }
  }

  async close(): Promise<void> {
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}

export function openSqliteStore(options: { dataDir: string; inMemory: boolean }, migrations: readonly Migration[]): SqliteStore {
  const lock: DataDirLock | undefined = options.inMemory ? undefined : lockDataDir(options.dataDir);
  try {
    const { db, warnings } = openDatabaseWithWarnings(options, migrations);
    return new SqliteStore(db, warnings, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}
