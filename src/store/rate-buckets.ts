// The token buckets behind rate limits, kept in the database when several nodes share it, so that a
// documented limit holds for the cluster as a whole and not once per node. (With SQLite one process owns
// the data, and the gateway keeps its buckets in memory: the same limit, without a write per request.)
import type { Sql } from "./sql.js";

export class RateBucketRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Takes one token from a bucket refilled continuously at `rate` per second and holding at most `rate`;
   * false when it holds less than one. One statement: every node's take of the same bucket is serialized
   * on its row. `now` is wall-clock milliseconds.
   */
  async take(bucket: string, rate: number, now: number): Promise<boolean> {
    const least = this.sql.dialect === "postgres" ? "LEAST" : "MIN";
    const greatest = this.sql.dialect === "postgres" ? "GREATEST" : "MAX";
    const refill = `${least}(?, rate_buckets.tokens + ${greatest}(0, ? - rate_buckets.updated_at) * ? / 1000.0)`;
    const taken = await this.sql.value<number>(
      `INSERT INTO rate_buckets (bucket, tokens, updated_at, taken) VALUES (?, ?, ?, 1)
       ON CONFLICT (bucket) DO UPDATE SET
         taken = CASE WHEN ${refill} >= 1 THEN 1 ELSE 0 END,
         tokens = CASE WHEN ${refill} >= 1 THEN ${refill} - 1 ELSE ${refill} END,
         updated_at = excluded.updated_at
       RETURNING taken`,
      // The refill expression appears four times above, each with its own three parameters.
      [bucket, rate - 1, now, ...[0, 1, 2, 3].flatMap(() => [rate, now, rate])],
    );
    return taken === 1;
  }
}
