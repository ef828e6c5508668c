// Crash safety on PostgreSQL: the harness of test/crash (SIGKILL under a RunInstances/TerminateInstances
// load, restart, every invariant checked) with the node keeping its state in a PostgreSQL database.
// `npm run crash -- --database postgres --cycles 50` runs more cycles.
import { describe, it } from "vitest";
import { expectCrashSafe } from "../helpers/crash.js";
import { testDatabaseUrl } from "../helpers/postgres.js";

const CYCLES = 3;

describe("crash safety on PostgreSQL: SIGKILL under load, restart on the same database", () => {
  it(`keeps every acknowledged write, no half-created instance and stable ClientTokens over ${CYCLES} kills`, async () => expectCrashSafe(CYCLES, await testDatabaseUrl()), 120_000);
});
