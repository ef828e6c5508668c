// The storage seam. Everything that reads or writes state goes through a Store's repositories, so another
// backend (PostgreSQL) can be added without touching the gateway or the products.
import { AccountRepository } from "./accounts.js";
import { openDatabase, type SqliteDatabase } from "./sqlite.js";

export interface Store {
  readonly accounts: AccountRepository;
  /** The embedded database, for product repositories. */
  readonly db: SqliteDatabase;
  /** Runs fn in one transaction: all of its writes land, or none do. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openStore(options: { dataDir: string; inMemory: boolean }): Store {
  const db = openDatabase(options);
  return {
    accounts: new AccountRepository(db),
    db,
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}
