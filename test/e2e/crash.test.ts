// Crash safety: tclocal runs as a child process on a disk data dir; under a concurrent RunInstances /
// TerminateInstances load it is killed with SIGKILL at a random moment, restarted on the same data dir,
// and what it lists is checked against what its clients were told (test/crash/harness.ts has the
// invariants). `npm run crash -- --cycles 50` runs more cycles; CRASH_SEED=N repeats a seed.
import { describe, it } from "vitest";
import { expectCrashSafe } from "../helpers/crash.js";

const CYCLES = 5;

describe("crash safety: SIGKILL under load, restart on the same data dir", () => {
  it(`keeps every acknowledged write, no half-created instance and stable ClientTokens over ${CYCLES} kills`, () => expectCrashSafe(CYCLES), 120_000);
});
