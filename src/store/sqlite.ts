// Embedded storage: one SQLite file in the data dir (WAL mode), or an in-memory database.
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { isLockFileName, LOCK_FILE } from "./data-dir-lock.js";
import { pendingMigrations, type Migration } from "./migrations.js";
import type { Sql, Tuple } from "./sql.js";

export type SqliteDatabase = BetterSqlite3.Database;

export const DATABASE_FILE = "tclocal.sqlite";
/** The files SQLite keeps next to the database: the write-ahead log, its shared-memory index, a rollback journal. */
export const DATABASE_SIDE_FILES = ["-wal", "-shm", "-journal"].map((suffix) => DATABASE_FILE + suffix);

/** Whether a file in a data dir is one of tclocal's: the database, its side files, the lock. */
export function isTclocalFile(name: string): boolean {
  return name === DATABASE_FILE || DATABASE_SIDE_FILES.includes(name) || isLockFileName(name);
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Makes the data dir and the database files private to the user tclocal runs as: they hold every SecretKey
 * in clear. The dir is created 0700, and an existing one tightened to 0700 when it holds nothing but tclocal's
 * files; a dir that holds other things (someone passed --data-dir /tmp) keeps its mode, with a warning. The
 * database file is created 0600 before SQLite opens it, because SQLite creates the -wal and -shm files with
 * the permission bits of the database file; existing tclocal files are set to 0600. The umask is left alone.
 * Returns warnings for the server to log.
 */
export function secureDataDir(dataDir: string): string[] {
  const warnings: string[] = [];
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dirMode = statSync(dataDir).mode;
  if ((dirMode & 0o077) !== 0) {
    const others = readdirSync(dataDir).filter((name) => !isTclocalFile(name));
    if (others.length === 0) {
      try {
        chmodSync(dataDir, 0o700);
      } catch (error) {
        warnings.push(`the data dir ${dataDir} is open to other users (mode ${octal(dirMode)}) and could not be made 0700 (${(error as Error).message}). It holds every SecretKey in clear.`);
      }
    } else {
      const named = others.slice(0, 3).join(", ") + (others.length > 3 ? ", …" : "");
      warnings.push(
        `the data dir ${dataDir} is open to other users (mode ${octal(dirMode)}) and holds files that are not tclocal's (${named}), so tclocal left its mode alone; ` +
          `its own files there are 0600. Give --data-dir a directory of its own to have it made 0700.`,
      );
    }
  }
  const database = join(dataDir, DATABASE_FILE);
  closeSync(openSync(database, "a", 0o600));
  for (const name of [DATABASE_FILE, ...DATABASE_SIDE_FILES, LOCK_FILE]) {
    const file = join(dataDir, name);
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      continue; // not there
    }
    if ((mode & 0o777) === 0o600) continue;
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      warnings.push(`${file} has mode ${octal(mode)} and could not be made 0600 (${(error as Error).message}).`);
    }
  }
  return warnings;
}

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

/**
 * Why the driver could not be loaded and what to do, for the start-up message (also with --in-memory: an
 * in-memory database is SQLite too). The install check, scripts/check-sqlite-driver.mjs, says the same.
 */
export function driverFailure(name: string, error: NodeJS.ErrnoException): string {
  const reason = String(error.message).split("\n")[0]!.slice(0, 300);
  const missing = error.code === "MODULE_NOT_FOUND" && reason.includes(`'${name}'`);
  return [
    `${name}, the SQLite driver for Node ${process.version}, ${missing ? "is not installed" : `does not load: ${reason}`}. tclocal keeps its data in SQLite through it, also with --in-memory.`,
    missing
      ? "Cause: npm could neither download a prebuilt binary of this native addon nor compile it (that needs python3, make and a C++ compiler), and it skips an optional dependency that fails."
      : "Cause: its native part was not built for this Node (the build failed, npm did not run its install script, or Node changed since).",
    "Fix: install a C++ toolchain (Debian/Ubuntu: apt-get install -y python3 make g++; macOS: xcode-select --install), then run " +
      (missing ? "npm install again" : `\`npm rebuild ${name}\``) +
      " in the project tclocal is installed in.",
  ].join("\n");
}

/** Opens a SQLite database with the driver that suits this Node. */
export function openSqlite(file: string, options?: BetterSqlite3.Options): SqliteDatabase {
  if (driver === undefined) {
    try {
      driver = createRequire(import.meta.url)(SQLITE_DRIVER) as typeof BetterSqlite3;
    } catch (e) {
      throw new Error(driverFailure(SQLITE_DRIVER, e as NodeJS.ErrnoException));
    }
  }
  return new driver(file, options);
}

/** Opens the database (on disk: with secureDataDir first, whose warnings it returns) and migrates it. Takes no lock. */
export function openDatabaseWithWarnings(options: { dataDir: string; inMemory: boolean }, migrations: readonly Migration[]): { db: SqliteDatabase; warnings: string[] } {
  let db: SqliteDatabase;
  let warnings: string[] = [];
  if (options.inMemory) {
    db = openSqlite(":memory:");
  } else {
    warnings = secureDataDir(options.dataDir);
    db = openSqlite(join(options.dataDir, DATABASE_FILE));
  }
  try {
    if (!options.inMemory) {
      db.pragma("journal_mode = WAL");
      // FULL: an acknowledged write survives power loss, not only a process crash.
      db.pragma("synchronous = FULL");
    }
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db, migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return { db, warnings };
}

/** Opens the database and migrates it (see openDatabaseWithWarnings). Takes no lock: openStore does. */
export function openDatabase(options: { dataDir: string; inMemory: boolean }, migrations: readonly Migration[]): SqliteDatabase {
  return openDatabaseWithWarnings(options, migrations).db;
}

export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = db.prepare<[], { id: string }>("SELECT id FROM schema_migrations").all().map((r) => r.id);
  for (const m of pendingMigrations(applied, migrations, "the SQLite database")) {
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)").run(m.id, Date.now());
    })();
  }
}

/**
 * Statements are compiled once per database and SQL text (compiling is most of the cost of a small query),
 * one per way of reading rows, since a statement's mode (objects, arrays, first column) is its own state.
 * The cache is bounded because filtered queries vary with the number of filter values.
 */
const MAX_CACHED_STATEMENTS = 1000;

type Mode = "object" | "tuple" | "column";

/** The Sql executor over one better-sqlite3 connection. Its promises are settled when returned: the driver is synchronous. */
export class SqliteSql implements Sql {
  readonly dialect = "sqlite";
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly db: SqliteDatabase) {}

  get database(): object {
    return this.db;
  }

  private statement(text: string, mode: Mode): BetterSqlite3.Statement {
    const key = mode + text;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.db.prepare(text);
      if (mode === "tuple") statement.raw(true);
      else if (mode === "column") statement.pluck(true);
      this.statements.set(key, statement);
    }
    return statement;
  }

  all<Row extends object>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return settled(() => this.statement(text, "object").all(...params) as Row[]);
  }

  get<Row extends object>(text: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return settled(() => this.statement(text, "object").get(...params) as Row | undefined);
  }

  tuples<Row extends Tuple>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return settled(() => this.statement(text, "tuple").all(...params) as unknown as Row[]);
  }

  column<Value>(text: string, params: readonly unknown[] = []): Promise<Value[]> {
    return settled(() => this.statement(text, "column").all(...params) as Value[]);
  }

  value<Value>(text: string, params: readonly unknown[] = []): Promise<Value | undefined> {
    return settled(() => this.statement(text, "column").get(...params) as Value | undefined);
  }

  run(text: string, params: readonly unknown[] = []): Promise<number> {
    return settled(() => this.statement(text, "object").run(...params).changes);
  }
}

/** A synchronous call's result or error as a promise, so that a caller's await sees a failure as a rejection. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
