// A running server's store, for tests that look beneath the API: through the repositories (either engine)
// or, for what only SQLite has (query plans, its FTS5 index), through its SQLite handle.
import type { RunningServer } from "../../src/server.js";
import { AccountRepository, type Credential } from "../../src/store/accounts.js";
import type { Sql } from "../../src/store/sql.js";
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

/** Writes in one transaction of the server's store, as a fixture (what no implemented action makes yet). */
export function writeDirectly<T>(server: RunningServer, write: (sql: Sql) => Promise<T>): Promise<T> {
  return server.store.transaction(write, { mode: "write" });
}

/** How many rows a table holds, across accounts. */
export async function countRows(server: RunningServer, table: "cvm_instances" | "credentials"): Promise<number> {
  return (await server.store.read((sql) => sql.value<number>(`SELECT COUNT(*) FROM ${table}`)))!;
}
