// The first use of each TC3 signature (--signature-reuse refuse), kept in the database when several nodes
// share it, so that a signature captured on one node cannot be replayed for another action on the next.
// (With SQLite one process owns the data, and the guard keeps its memory in the process.)
import type { SignatureUse } from "../auth/signature-reuse.js";
import type { Sql } from "./sql.js";

/** Expired uses are deleted about once in this many checks. */
const SWEEP_EVERY = 1000;
let checks = 0;

export class SignatureUseRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Records `use` as the first use of `signature` unless an unexpired one is recorded (an expired one is
   * replaced), and answers the first use. One statement: nodes checking the same signature at once agree.
   */
  async firstUse(signature: string, use: SignatureUse, expiresAt: number, now: number): Promise<SignatureUse> {
    if (++checks % SWEEP_EVERY === 0) await this.sql.run("DELETE FROM signature_uses WHERE expires_at < ?", [now]);
    const expired = "signature_uses.expires_at < ?";
    const row = await this.sql.get<SignatureUse>(
      `INSERT INTO signature_uses (signature, action, region, version, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (signature) DO UPDATE SET
         action = CASE WHEN ${expired} THEN excluded.action ELSE signature_uses.action END,
         region = CASE WHEN ${expired} THEN excluded.region ELSE signature_uses.region END,
         version = CASE WHEN ${expired} THEN excluded.version ELSE signature_uses.version END,
         expires_at = CASE WHEN ${expired} THEN excluded.expires_at ELSE signature_uses.expires_at END
       RETURNING action, region, version`,
      [signature, use.action, use.region, use.version, expiresAt, now, now, now, now],
    );
    return row!;
  }
}
