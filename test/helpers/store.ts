// A running server's store, for tests that look beneath the API: through the repositories (either engine)
// or, for what only SQLite has (query plans, its FTS5 index), through its SQLite handle.
import type { RunningServer } from "../../src/server.js";
import { AccountRepository, type Credential } from "../../src/store/accounts.js";
import type { SqliteDatabase, SqliteSql } from "../../src/store/sqlite.js";
import { SqliteStore } from "../../src/store/store.js";

function sqliteStoreOf(server: RunningServer): SqliteStore {
  if (!(server.store instanceof SqliteStore)) throw new Error("this test reads SQLite's own structures: run it on a SQLite store");
  return server.store;
}

/** The server's SQLite database handle. */
export function sqliteOf(server: RunningServer): SqliteDatabase {
  return sqliteStoreOf(server).db;
}

/** The server's SQLite executor, for repositories built outside a request. */
export function sqlOf(server: RunningServer): SqliteSql {
  return sqliteStoreOf(server).sql;
}

/** A stored credential, read through the repository. */
export function credentialOf(server: RunningServer, secretId: string): Promise<Credential | undefined> {
  return server.store.read((sql) => new AccountRepository(sql).findCredential(secretId));
}
