// Versioned schema migrations. A migration is never edited once released; add a new one instead.
// Each has a stable id ("core/1", "cvm/1", …); the table schema_migrations records which have run, so that
// every product brings its own migrations without renumbering anyone else's.

export interface Migration {
  id: string;
  description: string;
  /** The SQLite script. */
  sql: string;
  /** The PostgreSQL script: the same tables, columns and meaning, in PostgreSQL's dialect. */
  postgres?: string;
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
    // PostgreSQL scripts: every TEXT column is COLLATE "C", so that text compares, sorts and case-folds
    // (lower() folds ASCII only) byte by byte as in SQLite, whatever the database's default collation;
    // millisecond times and counters are BIGINT (the store reads BIGINT as a number).
    postgres: `
      CREATE TABLE accounts (
        uin        TEXT COLLATE "C" PRIMARY KEY,
        app_id     BIGINT NOT NULL UNIQUE,
        name       TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE credentials (
        secret_id   TEXT COLLATE "C" PRIMARY KEY,
        secret_key  TEXT COLLATE "C" NOT NULL,
        account_uin TEXT COLLATE "C" NOT NULL REFERENCES accounts(uin) ON DELETE CASCADE,
        token       TEXT COLLATE "C",
        expires_at  BIGINT,
        created_at  BIGINT NOT NULL
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
    postgres: `
      CREATE TABLE settings (
        key   TEXT COLLATE "C" PRIMARY KEY,
        value TEXT COLLATE "C" NOT NULL
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
    postgres: `
      ALTER TABLE credentials ADD COLUMN federated_user_name TEXT COLLATE "C";
      ALTER TABLE credentials ADD COLUMN policy TEXT COLLATE "C";
    `,
  },
  {
    id: "core/4",
    description: "rate-limit token buckets, shared by every node of a database (PostgreSQL); SQLite keeps its buckets in memory",
    sql: `
      CREATE TABLE rate_buckets (
        bucket     TEXT PRIMARY KEY,
        tokens     REAL NOT NULL,
        updated_at INTEGER NOT NULL,
        taken      INTEGER NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE rate_buckets (
        bucket     TEXT PRIMARY KEY,
        tokens     DOUBLE PRECISION NOT NULL,
        updated_at BIGINT NOT NULL,
        taken      INTEGER NOT NULL
      );
    `,
  },
  {
    id: "core/5",
    description: "the first use of each TC3 signature (--signature-reuse refuse), shared by every node of a database (PostgreSQL)",
    sql: `
      CREATE TABLE signature_uses (
        signature  TEXT PRIMARY KEY,
        action     TEXT NOT NULL,
        region     TEXT NOT NULL,
        version    TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE signature_uses (
        signature  TEXT COLLATE "C" PRIMARY KEY,
        action     TEXT NOT NULL,
        region     TEXT NOT NULL,
        version    TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX signature_uses_expiry ON signature_uses(expires_at);
    `,
  },
];

/**
 * The migrations still to run, in order, given the ids a database has applied. A database that has applied
 * a migration this tclocal does not know was written by a newer tclocal: refused, since this one would
 * misread tables it does not know the shape of.
 */
export function pendingMigrations(applied: readonly string[], migrations: readonly Migration[], database: string): Migration[] {
  const known = new Set(migrations.map((m) => m.id));
  const unknown = applied.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new SchemaTooNewError(database, unknown);
  const done = new Set(applied);
  return migrations.filter((m) => !done.has(m.id));
}

export class SchemaTooNewError extends Error {
  constructor(database: string, readonly unknownMigrations: readonly string[]) {
    const shown = unknownMigrations.slice(0, 5).join(", ") + (unknownMigrations.length > 5 ? ", …" : "");
    super(
      `${database} has a schema newer than this tclocal knows: it has applied migrations ${shown}, which a newer tclocal wrote. ` +
        "Start that newer tclocal (or a later one) on it, or give this one another database.",
    );
    this.name = "SchemaTooNewError";
  }
}
