// Crash safety: tclocal runs as a child process on a disk data dir; under a concurrent RunInstances /
// TerminateInstances load it is killed with SIGKILL at a random moment, restarted on the same data dir,
// and what it lists is checked against what its clients were told (test/crash/harness.ts has the
// invariants). `npm run crash -- --cycles 50` runs more cycles; CRASH_SEED=N repeats a seed.
import { describe, expect, it } from "vitest";
import { formatCycle, runCrashCycles } from "../crash/harness.js";

const CYCLES = 5;

describe("crash safety: SIGKILL under load, restart on the same data dir", () => {
  it(`keeps every acknowledged write, no half-created instance and stable ClientTokens over ${CYCLES} kills`, async () => {
    const seed = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
    const lines: string[] = [];
    const summary = await runCrashCycles({ cycles: CYCLES, seed, onCycle: (report) => lines.push(formatCycle(report, CYCLES)) });
    const context = `seed ${seed} (repeat with CRASH_SEED=${seed})\n${lines.join("\n")}`;

    expect(summary.violations, context).toEqual([]);
    expect(summary.cycles, context).toHaveLength(CYCLES);
    for (const cycle of summary.cycles) expect(cycle.verify.integrity, context).toBe("ok");
    // The load really ran, and some requests were cut off by the kills.
    expect(summary.cycles.reduce((n, c) => n + c.load.runsAcked, 0), context).toBeGreaterThanOrEqual(CYCLES);
    const inFlight = summary.cycles.reduce((n, c) => n + c.load.runsUnknown + c.load.terminatesUnknown, 0);
    expect(inFlight, context).toBeGreaterThan(0);
  }, 120_000);
});
