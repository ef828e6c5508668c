// Versioned schema migrations. A migration is never edited once released; add a new one instead.
// Each has a stable id ("core/1", "cvm/1", …); the table schema_migrations records which have run, so that
// every product brings its own migrations without renumbering anyone else's.

export interface Migration {
  id: string;
  description: string;
  sql: string;
}

export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    id: "core/1",
    description: "accounts and their API keys",
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
    `,
  },
  {
    id: "core/2",
    description: "settings that survive a restart (the resource clock)",
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    id: "core/3",
    description: "what a temporary credential carries: the federated user's name and the policy it was issued with",
    sql: `
      ALTER TABLE credentials ADD COLUMN federated_user_name TEXT;
      ALTER TABLE credentials ADD COLUMN policy TEXT;
    `,
  },
];
