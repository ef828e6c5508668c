// Crash safety on PostgreSQL: the harness of test/crash (SIGKILL under a RunInstances/TerminateInstances
// load, restart, every invariant checked) with the node keeping its state in a PostgreSQL database.
// `npm run crash -- --database postgres --cycles 50` runs more cycles.
import { describe, expect, it } from "vitest";
import { formatCycle, runCrashCycles } from "../crash/harness.js";
import { testDatabaseUrl } from "../helpers/postgres.js";

const CYCLES = 3;

describe("crash safety on PostgreSQL: SIGKILL under load, restart on the same database", () => {
  it(`keeps every acknowledged write, no half-created instance and stable ClientTokens over ${CYCLES} kills`, async () => {
    const seed = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
    const lines: string[] = [];
    const summary = await runCrashCycles({ cycles: CYCLES, seed, database: await testDatabaseUrl(), onCycle: (report) => lines.push(formatCycle(report, CYCLES)) });
    const context = `seed ${seed} (repeat with CRASH_SEED=${seed})\n${lines.join("\n")}`;

    expect(summary.violations, context).toEqual([]);
    expect(summary.cycles, context).toHaveLength(CYCLES);
    for (const cycle of summary.cycles) expect(cycle.verify.integrity, context).toBe("ok");
    expect(summary.cycles.reduce((n, c) => n + c.load.runsAcked, 0), context).toBeGreaterThanOrEqual(CYCLES);
    const inFlight = summary.cycles.reduce((n, c) => n + c.load.runsUnknown + c.load.terminatesUnknown, 0);
    expect(inFlight, context).toBeGreaterThan(0);
  }, 120_000);
});
