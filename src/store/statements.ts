// Prepared statements, compiled once per database and SQL text: compiling is most of the cost of a
// small query. The cache is bounded because filtered queries vary with the number of filter values.
import type { Statement } from "better-sqlite3";
import type { SqliteDatabase } from "./sqlite.js";

const MAX_CACHED = 1000;
const caches = new WeakMap<SqliteDatabase, Map<string, Statement>>();

export function prepared<BindParameters extends unknown[] | {} = unknown[], Result = unknown>(
  db: SqliteDatabase,
  sql: string,
): Statement<BindParameters, Result> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_CACHED) cache.clear();
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement as unknown as Statement<BindParameters, Result>;
}
