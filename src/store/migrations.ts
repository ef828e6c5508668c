// Versioned schema migrations. A migration is never edited once released; add a new one instead.
// PRAGMA user_version records how many have run.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "accounts, credentials and instances",
    sql: `
      CREATE TABLE accounts (
        uin        TEXT PRIMARY KEY,
        app_id     INTEGER NOT NULL UNIQUE,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE credentials (
        secret_id   TEXT PRIMARY KEY,
        secret_key  TEXT NOT NULL,
        account_uin TEXT NOT NULL REFERENCES accounts(uin) ON DELETE CASCADE,
        token       TEXT,
        expires_at  INTEGER,
        created_at  INTEGER NOT NULL
      );
      CREATE INDEX credentials_account ON credentials(account_uin);
      CREATE TABLE instances (
        account_uin TEXT NOT NULL,
        region      TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        state       TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account_uin, region, instance_id)
      );
      CREATE INDEX instances_listing ON instances(account_uin, region, created_at, instance_id);
    `,
  },
];
