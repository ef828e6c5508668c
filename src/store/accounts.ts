// Accounts and their API keys (permanent and temporary).
import type { SqliteDatabase } from "./sqlite.js";
import { prepared } from "./statements.js";

export interface Account {
  uin: string;
  appId: number;
  name: string;
}

export interface Credential {
  secretId: string;
  secretKey: string;
  account: Account;
  /** Set for temporary credentials only. */
  token?: string;
  /** Resource-clock milliseconds. */
  expiresAt?: number;
  /** GetFederationToken's Name (temporary credentials issued by GetFederationToken only). */
  federatedUserName?: string;
  /** The decoded CAM policy the temporary credential was issued with, for CAM checks. */
  policy?: string;
}

interface CredentialRow {
  secret_id: string;
  secret_key: string;
  token: string | null;
  expires_at: number | null;
  federated_user_name: string | null;
  policy: string | null;
  uin: string;
  app_id: number;
  name: string;
}

/** A key pair to store: permanent (no token) or temporary (token, expiry and what it was issued for). */
export interface NewCredential {
  secretId: string;
  secretKey: string;
  accountUin: string;
  token?: string;
  expiresAt?: number;
  federatedUserName?: string;
  policy?: string;
}

export class AccountRepository {
  constructor(private readonly db: SqliteDatabase) {}

  findCredential(secretId: string): Credential | undefined {
    const row = prepared<[string], CredentialRow>(this.db, 
        `SELECT c.secret_id, c.secret_key, c.token, c.expires_at, c.federated_user_name, c.policy, a.uin, a.app_id, a.name
           FROM credentials c JOIN accounts a ON a.uin = c.account_uin
          WHERE c.secret_id = ?`,
      )
      .get(secretId);
    if (!row) return undefined;
    const credential: Credential = {
      secretId: row.secret_id,
      secretKey: row.secret_key,
      account: { uin: row.uin, appId: row.app_id, name: row.name },
    };
    if (row.token !== null) credential.token = row.token;
    if (row.expires_at !== null) credential.expiresAt = row.expires_at;
    if (row.federated_user_name !== null) credential.federatedUserName = row.federated_user_name;
    if (row.policy !== null) credential.policy = row.policy;
    return credential;
  }

  findAccount(uin: string): Account | undefined {
    const row = prepared<[string], { uin: string; app_id: number; name: string }>(this.db, "SELECT uin, app_id, name FROM accounts WHERE uin = ?")
      .get(uin);
    return row ? { uin: row.uin, appId: row.app_id, name: row.name } : undefined;
  }

  /** Creates the account if it does not exist yet; returns it either way. */
  ensureAccount(account: Account, now: number): Account {
    prepared(this.db, "INSERT INTO accounts (uin, app_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(uin) DO NOTHING")
      .run(account.uin, account.appId, account.name, now);
    return this.findAccount(account.uin)!;
  }

  /** The next free (uin, appId) pair, counting up from the default account's. */
  nextAccountNumbers(): { uin: string; appId: number } {
    const row = prepared<[], { uin: number | null; app_id: number | null }>(this.db, 
        "SELECT MAX(CAST(uin AS INTEGER)) AS uin, MAX(app_id) AS app_id FROM accounts",
      )
      .get()!;
    return { uin: String((row.uin ?? 100000000000) + 1), appId: (row.app_id ?? 1250000000) + 1 };
  }

  /** Stores a key pair; an existing SecretId is re-pointed at the given key and account. */
  putCredential(c: NewCredential, now: number): void {
    prepared(this.db, 
        `INSERT INTO credentials (secret_id, secret_key, account_uin, token, expires_at, federated_user_name, policy, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(secret_id) DO UPDATE SET secret_key = excluded.secret_key, account_uin = excluded.account_uin,
           token = excluded.token, expires_at = excluded.expires_at, federated_user_name = excluded.federated_user_name,
           policy = excluded.policy`,
      )
      .run(c.secretId, c.secretKey, c.accountUin, c.token ?? null, c.expiresAt ?? null, c.federatedUserName ?? null, c.policy ?? null, now);
  }

  /**
   * Drops the temporary credentials that expired before `before`. Callers keep expired ones for a while, so
   * that a request made with them is answered AuthFailure.TokenFailure rather than SecretIdNotFound.
   */
  deleteExpiredCredentials(before: number): void {
    prepared(this.db, "DELETE FROM credentials WHERE expires_at IS NOT NULL AND expires_at < ?").run(before);
  }
}
