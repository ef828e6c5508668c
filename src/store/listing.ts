// Filtered, paged listings of one resource table, for every Describe action: a page in creation order and
// the exact count of what matches, at a cost that follows the page, not the number of rows stored.
//
// A resource table that lists this way has:
//   - `seq INTEGER PRIMARY KEY` (creation order within a time) and `created_at`, and columns account_uin, region;
//   - a covering listing index on (account_uin, region, created_at, seq, <listed columns>, <facet columns>);
//   - a facet table (account_uin, region, <facet columns>, n) kept by triggers: rows per combination of the
//     low-cardinality columns that filters name (zone, state, …), so that counting them is a sum of a few rows;
//   - a count table (account_uin, region, n, version): all rows, and a version the same triggers bump
//     whenever a row enters, leaves or moves between facets.
// Conditions on facet columns are counted from the facets and paged through the listing index: from its
// start, from its end (a page nearer the end than the start), or from where the previous page of the same
// listing ended. Facet matches too sparse to find that way are read through the narrowest facet's own index.
// Any other condition (ids, addresses, names, tags) is answered through its own index, its matches sorted.
//
// PostgreSQL plans the same queries well without the SQLite planner hints (INDEXED BY, `+column`), which the
// SQL below leaves out for it.
import { oneOf, type Sql } from "./sql.js";

/** A SQL condition over the resource table, with its parameters. */
export interface Condition {
  sql: string;
  params: unknown[];
  /** The facet column the condition reads, alone; the facet table has it too. */
  facet?: string;
  /**
   * Where the matching rows' seqs are kept in listing order, when they are: a table with account_uin,
   * region, created_at and seq (one row per matching row at most), whose `where` selects an index range
   * that is in (created_at, seq) order. A listing with this condition alone counts and pages through it.
   */
  ordered?: { table: string; where: string; params: unknown[] };
}

export interface ListingTable {
  table: string;
  /** The covering index in listing order. */
  listingIndex: string;
  /** The columns a page reads, starting with seq and created_at, all in the listing index. */
  listed: readonly string[];
  facetTable: string;
  countTable: string;
  /** The index that finds the rows of one value of a facet column; a facet without one is never sparse-read. */
  facetIndexes: Readonly<Record<string, string>>;
}

/** When a listing reads a facet filter's matches through that facet's index instead of walking the listing index. */
export interface ListingPlan {
  /** How many listing index entries a page may be expected to walk before its facet's index is used instead. */
  sparseScanLimit: number;
  /** How many rows a facet's index may find, at most, for them to be sorted in memory. */
  smallMatchSet: number;
}

export const DEFAULT_LISTING_PLAN: ListingPlan = { sparseScanLimit: 20_000, smallMatchSet: 5_000 };

export interface Page {
  offset: number;
  limit: number;
}

/** A row as a page reads it: seq and created_at first, then the rest of ListingTable.listed. */
export type ListedRow = [seq: number, createdAt: number, ...rest: unknown[]];

/**
 * Where the last forward page of a listing ended, so that the next page (Offset = where it ended) continues
 * from that row instead of skipping Offset rows again. Exact while the version is the one it was recorded at.
 */
interface ListingCursor {
  version: number;
  nextOffset: number;
  createdAt: number;
  seq: number;
}

const MAX_CURSORS = 1000;
const cursorsByDb = new WeakMap<object, Map<string, ListingCursor>>();

function cursorsOf(db: object): Map<string, ListingCursor> {
  let cursors = cursorsByDb.get(db);
  if (!cursors) {
    cursors = new Map();
    cursorsByDb.set(db, cursors);
  }
  return cursors;
}

export class Listing {
  private readonly listed: string;

  private readonly sqlite: boolean;

  constructor(
    private readonly sql: Sql,
    private readonly spec: ListingTable,
    private readonly plan: ListingPlan = DEFAULT_LISTING_PLAN,
  ) {
    this.listed = spec.listed.join(", ");
    this.sqlite = sql.dialect === "sqlite";
  }

  /** SQLite's `INDEXED BY index`; nothing for PostgreSQL. */
  private indexedBy(index: string | undefined): string {
    return this.sqlite && index !== undefined ? `INDEXED BY ${index} ` : "";
  }

  /** Sorted by SQLite after the rows are found (`+`), so that its planner does not walk the listing index for the order. */
  private get sortedAfter(): string {
    return this.sqlite ? "+created_at, +seq" : "created_at, seq";
  }

  /** The page of the scope's rows that match every condition, in creation order, and how many match in all. */
  async page<Row extends ListedRow>(scope: { account: string; region: string }, conditions: readonly Condition[], page: Page): Promise<{ total: number; rows: Row[] }> {
    const { table, listingIndex } = this.spec;
    const where = ["account_uin = ?", "region = ?", ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
    const params = [scope.account, scope.region, ...conditions.flatMap((c) => c.params)];
    const select = (sql: string, ...extra: unknown[]) => this.sql.tuples<Row>(sql, [...params, ...extra]);
    const selective = (index?: string) =>
      select(`SELECT ${this.listed} FROM ${table} ${this.indexedBy(index)}WHERE ${where} ORDER BY ${this.sortedAfter} LIMIT ? OFFSET ?`, page.limit, page.offset);

    const only = conditions.length === 1 ? conditions[0]!.ordered : undefined;
    if (only !== undefined) return this.orderedPage<Row>(scope, only, page);
    if (!conditions.every((c) => c.facet !== undefined)) {
      const total = (await this.sql.value<number>(`SELECT COUNT(*) FROM ${table} WHERE ${where}`, params))!;
      return { total, rows: page.offset >= total ? [] : await selective() };
    }
    const all = await this.count(scope);
    const total = conditions.length === 0 ? all : await this.facetCount(scope, conditions);
    if (page.offset >= total) return { total, rows: [] };
    const limit = Math.min(page.limit, total - page.offset);
    if (((page.offset + limit) * all) / total > this.plan.sparseScanLimit) {
      const indexed = conditions.filter((c) => Object.hasOwn(this.spec.facetIndexes, c.facet!));
      const counted = await Promise.all(indexed.map(async (c) => ({ index: this.spec.facetIndexes[c.facet!]!, count: await this.facetCount(scope, [c]) })));
      const narrowest = counted.sort((a, b) => a.count - b.count)[0];
      if (narrowest !== undefined && narrowest.count <= this.plan.smallMatchSet) return { total, rows: await selective(narrowest.index) };
    }

    const cursors = cursorsOf(this.sql.database);
    const signature = `${table}\u0000${where}\u0000${JSON.stringify(params)}`;
    const version = await this.version(scope);
    const cursor = cursors.get(signature);
    let rows: Row[];
    if (cursor !== undefined && cursor.version === version && cursor.nextOffset === page.offset) {
      // The range starts at the cursor's created_at (an index range); the few rows of that same time up to
      // the cursor's seq are skipped.
      rows = await select(
        `SELECT ${this.listed} FROM ${table} ${this.indexedBy(listingIndex)}WHERE ${where} AND created_at >= ? AND (created_at > ? OR seq > ?) ORDER BY created_at, seq LIMIT ?`,
        cursor.createdAt,
        cursor.createdAt,
        cursor.seq,
        limit,
      );
    } else if (page.offset > total - page.offset - limit) {
      rows = (
        await select(`SELECT ${this.listed} FROM ${table} ${this.indexedBy(listingIndex)}WHERE ${where} ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?`, limit, total - page.offset - limit)
      ).reverse();
    } else {
      rows = await select(`SELECT ${this.listed} FROM ${table} ${this.indexedBy(listingIndex)}WHERE ${where} ORDER BY created_at, seq LIMIT ? OFFSET ?`, limit, page.offset);
    }
    const last = rows[rows.length - 1];
    if (last !== undefined) {
      cursors.delete(signature);
      if (cursors.size >= MAX_CURSORS) cursors.delete(cursors.keys().next().value!);
      cursors.set(signature, { version, nextOffset: page.offset + rows.length, createdAt: last[1], seq: last[0] });
    }
    return { total, rows };
  }

  /** A page read through an `ordered` condition's own index range: from its start, or from its end when nearer. */
  private async orderedPage<Row extends ListedRow>(scope: { account: string; region: string }, ordered: NonNullable<Condition["ordered"]>, page: Page): Promise<{ total: number; rows: Row[] }> {
    const where = `account_uin = ? AND region = ? AND ${ordered.where}`;
    const params = [scope.account, scope.region, ...ordered.params];
    const total = (await this.sql.value<number>(`SELECT COUNT(*) FROM ${ordered.table} WHERE ${where}`, params))!;
    if (page.offset >= total) return { total, rows: [] };
    const limit = Math.min(page.limit, total - page.offset);
    const fromEnd = page.offset > total - page.offset - limit;
    const seqs = await this.sql.column<number>(
      `SELECT seq FROM ${ordered.table} WHERE ${where} ORDER BY created_at ${fromEnd ? "DESC" : ""}, seq ${fromEnd ? "DESC" : ""} LIMIT ? OFFSET ?`,
      [...params, limit, fromEnd ? total - page.offset - limit : page.offset],
    );
    const bySeq = oneOf(this.sql.dialect, "seq", seqs, "bigint");
    const rows = await this.sql.tuples<Row>(`SELECT ${this.listed} FROM ${this.spec.table} WHERE ${bySeq.sql} ORDER BY ${this.sortedAfter}`, bySeq.params);
    return { total, rows };
  }

  /** How many rows the scope holds, from the count table. */
  async count(scope: { account: string; region: string }): Promise<number> {
    return (await this.sql.value<number>(`SELECT n FROM ${this.spec.countTable} WHERE account_uin = ? AND region = ?`, [scope.account, scope.region])) ?? 0;
  }

  /** How many of the scope's rows match every one of these facet conditions. */
  private async facetCount(scope: { account: string; region: string }, conditions: readonly Condition[]): Promise<number> {
    const where = ["account_uin = ?", "region = ?", ...conditions.map((c) => `(${c.sql})`)].join(" AND ");
    return (await this.sql.value<number>(`SELECT COALESCE(SUM(n), 0) FROM ${this.spec.facetTable} WHERE ${where}`, [scope.account, scope.region, ...conditions.flatMap((c) => c.params)]))!;
  }

  /** Changes whenever a row of the scope is created, deleted or moves between facets. */
  private async version(scope: { account: string; region: string }): Promise<number> {
    return (await this.sql.value<number>(`SELECT version FROM ${this.spec.countTable} WHERE account_uin = ? AND region = ?`, [scope.account, scope.region])) ?? 0;
  }
}
