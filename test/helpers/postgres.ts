// PostgreSQL for tests: testDatabaseUrl() makes a new, empty database on the run's shared server and
// returns its URL. The server is started once per vitest run by test/helpers/postgres-global-setup.ts (a
// globalSetup of the vitest config), or is the one TCLOCAL_TEST_POSTGRES_URL names.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject, type ProvidedContext } from "vitest";

declare module "vitest" {
  interface ProvidedContext {
    /** The admin URL of the run's PostgreSQL server and the run's id, or why there is none. */
    tclocalPostgres: { url: string; run: string } | { error: string };
  }
}

function server(): { url: string; run: string } {
  // Undefined when no globalSetup provided it.
  const provided = inject("tclocalPostgres") as ProvidedContext["tclocalPostgres"] | undefined;
  if (provided !== undefined && "error" in provided) throw new Error(provided.error);
  if (provided !== undefined) return provided;
  // No globalSetup in this config: the variable alone will do.
  const url = process.env["TCLOCAL_TEST_POSTGRES_URL"];
  if (url) return { url, run: "norun" };
  throw new Error(
    "no PostgreSQL server for this test: add test/helpers/postgres-global-setup.ts to the vitest config's globalSetup, or set TCLOCAL_TEST_POSTGRES_URL",
  );
}

/**
 * The URL of a new, empty database (tclocal_test_<run>_<random>) on the run's server. It is made from
 * template0 with UTF8 and the C locale whatever the server's defaults, so that text sorts byte by byte and
 * lower() folds ASCII only, as in SQLite. The run's teardown removes it (with the server, or from the
 * TCLOCAL_TEST_POSTGRES_URL server).
 */
export async function testDatabaseUrl(): Promise<string> {
  const { url, run } = server();
  const name = `tclocal_test_${run}_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  } finally {
    await client.end();
  }
  const database = new URL(url);
  database.pathname = `/${name}`;
  return database.toString();
}
