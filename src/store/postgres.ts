// PostgreSQL storage (--database postgres://…): one database that several tclocal nodes share. Every
// statement runs on a pooled connection; a transaction keeps one connection from BEGIN to COMMIT. Writers of
// one account and region serialize on a transaction-scoped advisory lock, so that two nodes never decide
// from the same state at once (a quota, a state transition, a ClientToken): what SQLite's single writer
// gives for free.
import pg from "pg";
import { ApiError, apiError } from "../protocol/errors.js";
import { pendingMigrations, type Migration } from "./migrations.js";
import type { Sql, TransactionOptions, Tuple } from "./sql.js";
import type { Store } from "./store.js";

/** How long a request may wait for a connection, and a statement may run, before it fails (InternalError). */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000;
/** Connections per node: enough for a c16 load, few enough for several nodes under max_connections = 100. */
const POOL_SIZE = 16;
/** The session lock that one node holds while it migrates, so that nodes starting together migrate once. */
const MIGRATION_LOCK = 7_405_112;

const INT8 = 20;
const NUMERIC = 1700;

/**
 * BIGINT (counts, milliseconds, seqs) and NUMERIC (sums) as numbers, not strings: every value tclocal stores
 * fits in 2^53. The other types parse as pg does by default.
 */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

const MAX_NAMED_STATEMENTS = 2000;

/**
 * `?` placeholders numbered as `$1`, `$2`, … (outside quoted text), and a statement name, so that each
 * connection parses a statement once. Names are never reused for another text.
 */
class StatementNames {
  private readonly known = new Map<string, { text: string; name: string | undefined }>();
  private counter = 0;

  for(sql: string): { text: string; name: string | undefined } {
    let entry = this.known.get(sql);
    if (entry === undefined) {
      entry = { text: numberPlaceholders(sql), name: this.counter < MAX_NAMED_STATEMENTS ? `tclocal_${++this.counter}` : undefined };
      if (this.known.size < MAX_NAMED_STATEMENTS * 2) this.known.set(sql, entry);
    }
    return entry;
  }
}

function numberPlaceholders(sql: string): string {
  let n = 0;
  let out = "";
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

type Queryable = pg.Pool | pg.PoolClient;

/**
 * PostgreSQL text holds no NUL character: a value with one is refused with the parameter code instead of
 * failing the statement (an InternalError). (A NUL inside JSON, written \u0000, is fine: the schema's JSON
 * functions read it as U+FFFD.) SQLite stores it.
 */
function refuseNul(params: readonly unknown[]): void {
  for (const param of params) {
    if (typeof param === "string" && param.includes("\u0000")) {
      throw apiError("InvalidParameterValue", {
        en: "A parameter holds the NUL character (U+0000), which this tclocal cannot store: it keeps its data in PostgreSQL, whose text has no NUL.",
        zh: "参数中含有 NUL 字符（U+0000）。当前 tclocal 使用 PostgreSQL 存储数据，其文本类型不能包含 NUL，无法保存该值。",
      });
    }
  }
}

class PostgresSql implements Sql {
  readonly dialect = "postgres";

  constructor(
    private readonly on: Queryable,
    private readonly names: StatementNames,
    readonly database: object,
  ) {}

  private async query<Row>(sql: string, params: readonly unknown[], arrays: boolean): Promise<pg.QueryResult & { rows: Row[] }> {
    refuseNul(params);
    const { text, name } = this.names.for(sql);
    const config: pg.QueryConfig = { text, values: params as unknown[] };
    if (name !== undefined) config.name = arrays ? `${name}_a` : name;
    if (arrays) return (await this.on.query({ ...config, rowMode: "array" })) as unknown as pg.QueryResult & { rows: Row[] };
    return (await this.on.query(config)) as pg.QueryResult & { rows: Row[] };
  }

  async all<Row extends object>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.query<Row>(text, params, false)).rows;
  }

  async get<Row extends object>(text: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.query<Row>(text, params, false)).rows[0];
  }

  async tuples<Row extends Tuple>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.query<Row>(text, params, true)).rows;
  }

  async column<Value>(text: string, params: readonly unknown[] = []): Promise<Value[]> {
    return (await this.query<[Value]>(text, params, true)).rows.map((row) => row[0]);
  }

  async value<Value>(text: string, params: readonly unknown[] = []): Promise<Value | undefined> {
    return (await this.query<[Value]>(text, params, true)).rows[0]?.[0];
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.query<never>(text, params, false)).rowCount ?? 0;
  }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(a malformed database URL)";
  }
}

export class PostgresStore implements Store {
  readonly dialect = "postgres";
  readonly shared = true;
  readonly warnings: readonly string[] = [];
  private readonly names = new StatementNames();

  constructor(readonly pool: pg.Pool) {}

  async transaction<T>(fn: (sql: Sql) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (options?.mode === "read") return this.onOneConnection(fn);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      try {
        if (options?.mode === "write" && options.lockKey !== undefined) {
          await client.query({ name: "tclocal_lock", text: "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", values: [options.lockKey] });
        }
        const result = await fn(new PostgresSql(client, this.names, this));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      // A connection that failed mid-transaction is dropped rather than handed to the next request.
      client.release(broken);
    }
  }

  /**
   * A read needs no BEGIN and COMMIT (two round trips of its seven or so): under READ COMMITTED each
   * statement of a transaction sees its own snapshot anyway, and what a read writes (the lazy transitions
   * that are due) is idempotent, one statement at a time. It keeps one connection, in order.
   */
  private async onOneConnection<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(new PostgresSql(client, this.names, this));
    } catch (error) {
      // A refusal leaves the connection as it was; a failed statement may not have.
      if (!(error instanceof ApiError)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return fn(new PostgresSql(this.pool, this.names, this));
  }

  async reset(): Promise<void> {
    await this.transaction(async (sql) => {
      const tables = await sql.column<string>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'");
      if (tables.length > 0) await sql.run(`TRUNCATE ${tables.map((t) => `"${t.replace(/"/g, '""')}"`).join(", ")}`);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export async function openPostgresStore(url: string, migrations: readonly Migration[]): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    types,
    application_name: "tclocal",
  });
  // A connection the server drops (a restart, an outage) is an event, not a crash: an idle one is replaced
  // by the pool, and a busy one's statement fails (InternalError). Without a listener on each connection,
  // a busy connection's 'error' event would end the process.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  try {
    await migratePostgres(pool, migrations, redactedUrl(url));
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  return new PostgresStore(pool);
}

async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[], shownUrl: string): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new Error(`tclocal could not connect to PostgreSQL at ${shownUrl}: ${(error as Error).message}`);
  }
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      const version = Number((await client.query<{ server_version_num: string }>("SHOW server_version_num")).rows[0]!.server_version_num);
      if (version < 140000) throw new Error(`tclocal needs PostgreSQL 14 or later; ${shownUrl} runs ${Math.floor(version / 10000)}.`);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
      const applied = (await client.query<{ id: string }>("SELECT id FROM schema_migrations")).rows.map((r) => r.id);
      for (const m of pendingMigrations(applied, migrations, `The PostgreSQL database ${shownUrl}`)) {
        if (m.postgres === undefined) throw new Error(`migration ${m.id} has no PostgreSQL script`);
        await client.query("BEGIN");
        try {
          await client.query(m.postgres);
          await client.query("INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)", [m.id, Date.now()]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${m.id} failed on ${shownUrl}: ${(error as Error).message}`);
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
