// Accounts and their API keys (permanent and temporary).
import type { Sql } from "./sql.js";

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
  constructor(private readonly sql: Sql) {}

  async findCredential(secretId: string): Promise<Credential | undefined> {
    const row = await this.sql.get<CredentialRow>(
      `SELECT c.secret_id, c.secret_key, c.token, c.expires_at, c.federated_user_name, c.policy, a.uin, a.app_id, a.name
         FROM credentials c JOIN accounts a ON a.uin = c.account_uin
        WHERE c.secret_id = ?`,
      [secretId],
    );
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

  async findAccount(uin: string): Promise<Account | undefined> {
    const row = await this.sql.get<{ uin: string; app_id: number; name: string }>("SELECT uin, app_id, name FROM accounts WHERE uin = ?", [uin]);
    return row ? { uin: row.uin, appId: row.app_id, name: row.name } : undefined;
  }

  /** Creates the account if it does not exist yet; returns it either way. */
  async ensureAccount(account: Account, now: number): Promise<Account> {
    await this.sql.run("INSERT INTO accounts (uin, app_id, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (uin) DO NOTHING", [account.uin, account.appId, account.name, now]);
    return (await this.findAccount(account.uin))!;
  }

  /** The next free (uin, appId) pair, counting up from the default account's. */
  async nextAccountNumbers(): Promise<{ uin: string; appId: number }> {
    // BIGINT: a uin has 12 digits, past PostgreSQL's INTEGER. Both engines may answer a number as text.
    const row = (await this.sql.get<{ uin: number | string | null; app_id: number | string | null }>(
      "SELECT MAX(CAST(uin AS BIGINT)) AS uin, MAX(app_id) AS app_id FROM accounts",
    ))!;
    return { uin: String(Number(row.uin ?? 100000000000) + 1), appId: Number(row.app_id ?? 1250000000) + 1 };
  }

  /** Stores a key pair; an existing SecretId is re-pointed at the given key and account. */
  async putCredential(c: NewCredential, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO credentials (secret_id, secret_key, account_uin, token, expires_at, federated_user_name, policy, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (secret_id) DO UPDATE SET secret_key = excluded.secret_key, account_uin = excluded.account_uin,
           token = excluded.token, expires_at = excluded.expires_at, federated_user_name = excluded.federated_user_name,
           policy = excluded.policy`,
      [c.secretId, c.secretKey, c.accountUin, c.token ?? null, c.expiresAt ?? null, c.federatedUserName ?? null, c.policy ?? null, now],
    );
  }

  /**
   * Drops the temporary credentials that expired before `before`. Callers keep expired ones for a while, so
   * that a request made with them is answered AuthFailure.TokenFailure rather than SecretIdNotFound.
   */
  async deleteExpiredCredentials(before: number): Promise<void> {
    await this.sql.run("DELETE FROM credentials WHERE expires_at IS NOT NULL AND expires_at < ?", [before]);
  }
}
