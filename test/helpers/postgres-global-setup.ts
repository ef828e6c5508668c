// vitest globalSetup: one PostgreSQL server for the whole run (scripts/postgres.mjs), whose URL tests get
// through testDatabaseUrl() (test/helpers/postgres.ts), each test a new database on it. With
// TCLOCAL_TEST_POSTGRES_URL set, that server is used instead and none is started.
//
// A server that cannot start fails only the tests that ask for a database: the error is provided in place
// of the URL, so a run without PostgreSQL tests is not held up by it.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import type {} from "./postgres.js"; // ProvidedContext["tclocalPostgres"]

/** What scripts/postgres.mjs exports (a plain .mjs without typings, so imported by URL and typed here). */
interface PostgresScript {
  startPostgres(options?: { dir?: string; port?: number }): Promise<{ url: string; port: number; startupMs: number; stop(): Promise<void> }>;
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // Databases made during this run are named tclocal_test_<run>_…, so that the teardown drops exactly those
  // from a shared server.
  const run = randomBytes(4).toString("hex");
  const external = process.env["TCLOCAL_TEST_POSTGRES_URL"];
  if (external) {
    provide("tclocalPostgres", { url: external, run });
    return async () => {
      await dropRunDatabases(external, run).catch((error: unknown) => {
        console.warn(`could not drop the test databases of this run on TCLOCAL_TEST_POSTGRES_URL: ${String(error)}`);
      });
    };
  }
  let server: Awaited<ReturnType<PostgresScript["startPostgres"]>>;
  try {
    const script = (await import(new URL("../../scripts/postgres.mjs", import.meta.url).href)) as PostgresScript;
    server = await script.startPostgres();
  } catch (error) {
    provide("tclocalPostgres", { error: `the test PostgreSQL server did not start: ${error instanceof Error ? error.message : String(error)}` });
    return async () => {};
  }
  provide("tclocalPostgres", { url: server.url, run });
  return () => server.stop();
}

async function dropRunDatabases(url: string, run: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`tclocal_test_${run}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
