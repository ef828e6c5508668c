// Stored instances, per account and region.
import type { SqliteDatabase } from "../../../store/sqlite.js";
import type { Page } from "../paging.js";

export interface InstanceStatusRow {
  instanceId: string;
  state: string;
}

export class InstanceRepository {
  constructor(private readonly db: SqliteDatabase) {}

  /** Instances in creation order; with `ids`, only those of them that exist. */
  listStatuses(account: string, region: string, ids: readonly string[] | undefined, page: Page): { total: number; rows: InstanceStatusRow[] } {
    const filter = ids ? ` AND instance_id IN (SELECT value FROM json_each(?))` : "";
    const args: unknown[] = [account, region];
    if (ids) args.push(JSON.stringify(ids));
    const where = `WHERE account_uin = ? AND region = ?${filter}`;
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM instances ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT instance_id, state FROM instances ${where} ORDER BY created_at, instance_id LIMIT ? OFFSET ?`)
      .all(...args, page.limit, page.offset) as Array<{ instance_id: string; state: string }>;
    return { total, rows: rows.map((r) => ({ instanceId: r.instance_id, state: r.state })) };
  }
}
