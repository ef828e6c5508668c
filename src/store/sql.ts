// The one way repositories talk to a database, whichever engine holds it. SQL is written with `?`
// placeholders; the PostgreSQL executor numbers them. Statements that both engines read the same way are
// written once; where an engine needs its own SQL, the repository picks it by `dialect`, side by side.

export type Dialect = "sqlite" | "postgres";

/** A row read as an array, in the order of the SELECT's columns (no object per row on hot paths). */
export type Tuple = readonly unknown[];

export interface Sql {
  readonly dialect: Dialect;
  /** The same object for every executor of one database in this process: the key of per-process caches of its rows. */
  readonly database: object;
  /** Every row, as objects keyed by column name. */
  all<Row extends object>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The first row, or undefined. */
  get<Row extends object>(text: string, params?: readonly unknown[]): Promise<Row | undefined>;
  /** Every row as an array of its columns. */
  tuples<Row extends Tuple>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The first column of every row. */
  column<Value>(text: string, params?: readonly unknown[]): Promise<Value[]>;
  /** The first column of the first row, or undefined when there is no row. */
  value<Value>(text: string, params?: readonly unknown[]): Promise<Value | undefined>;
  /** Runs a statement; answers how many rows it changed. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
}

/** How a transaction means to use the data: one that only reads may run beside others on engines that allow it. */
export type TransactionMode = "read" | "write";

/**
 * A transaction's scope: every statement of the transaction runs on `sql`, and `lockKey` names what the
 * transaction serializes on with other writers (an account and region), so that two nodes never decide
 * from the same state at once.
 */
export interface TransactionOptions {
  mode: TransactionMode;
  /** Writers with the same key run one after another, across every node. */
  lockKey?: string;
}

/** `IN (?, ?, …)` for these values. */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}

/**
 * `column` is one of the values, with the list bound as one parameter (a statement per list length would
 * fill the statement caches): a JSON array that SQLite reads with json_each, a PostgreSQL array.
 */
export function oneOf(dialect: Dialect, column: string, values: readonly (string | number)[], type: "text" | "bigint"): { sql: string; params: unknown[] } {
  return dialect === "sqlite"
    ? { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] }
    : { sql: `${column} = ANY(?::${type}[])`, params: [values] };
}
