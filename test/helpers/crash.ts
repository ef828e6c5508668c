// The crash-safety test of both engines: run the cycles of test/crash/harness.ts and check every invariant.
import { expect } from "vitest";
import { formatCycle, runCrashCycles } from "../crash/harness.js";

/** Runs `cycles` kill/restart cycles (on `database` when given, else a data dir) and asserts what must hold. */
export async function expectCrashSafe(cycles: number, database?: string): Promise<void> {
  const seed = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
  const lines: string[] = [];
  const summary = await runCrashCycles({ cycles, seed, ...(database !== undefined ? { database } : {}), onCycle: (report) => lines.push(formatCycle(report, cycles)) });
  const context = `seed ${seed} (repeat with CRASH_SEED=${seed})\n${lines.join("\n")}`;

  expect(summary.violations, context).toEqual([]);
  expect(summary.cycles, context).toHaveLength(cycles);
  for (const cycle of summary.cycles) expect(cycle.verify.integrity, context).toBe("ok");
  // The load really ran, and some requests were cut off by the kills.
  expect(summary.cycles.reduce((n, c) => n + c.load.runsAcked, 0), context).toBeGreaterThanOrEqual(cycles);
  const inFlight = summary.cycles.reduce((n, c) => n + c.load.runsUnknown + c.load.terminatesUnknown, 0);
  expect(inFlight, context).toBeGreaterThan(0);
}
