// The CI-bounded fuzzing run: about 20 000 hostile requests thrown at the real server over HTTP, each
// checked against the invariants of generators.ts (HTTP 200, exact JSON content type, the envelope with a
// UUID RequestId, a catalogued code of the class the request must draw, never InternalError, no state
// change from a rejected request, the server still up after every batch).
//
// FUZZ_SEED=<n> replays a run (the seed is printed on failure); FUZZ_SCALE=<x> scales the request counts.
// For long runs use the CLI: `npm run fuzz -- --count 100000`.
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { CaseGen, FuzzRunner, formatFailure, formatSummary, startFuzzTarget, type CaseMix, type FuzzCase, type FuzzTarget } from "./generators.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 20_261_122);
const SCALE = Number(process.env["FUZZ_SCALE"] ?? 1);
/** Requests per property run; up to 8 of them are in flight at once. */
const BATCH = 32;

/** About 20 000 requests in all. */
const PROPERTIES: ReadonlyArray<{ name: string; mix: CaseMix; requests: number }> = [
  { name: "parameter trees of every implemented action, mutated, as TC3 JSON, TC3 GET, v1 GET and v1 form", mix: "params", requests: 10_000 },
  { name: "broken TC3 and v1 signatures and common parameters", mix: "signatures", requests: 5_000 },
  { name: "broken transport: bodies, encodings, content types, methods, targets, raw sockets", mix: "transport", requests: 5_000 },
];

let target: FuzzTarget;
let runner: FuzzRunner;
let gen: CaseGen;
const started = Date.now();

beforeAll(async () => {
  target = await startFuzzTarget();
  runner = new FuzzRunner(target);
  gen = new CaseGen(target.ctx);
});

afterAll(async () => {
  if (runner) {
    console.log(`fuzz seed ${SEED}\n${formatSummary(runner.stats, Date.now() - started)}`);
    runner.close();
  }
  await target?.close();
});

describe(`fuzzing the HTTP front end (seed ${SEED})`, () => {
  PROPERTIES.forEach(({ name, mix, requests }, i) => {
    it(name, { timeout: 240_000 }, async () => {
      const seed = SEED + i;
      await fc.assert(
        fc.asyncProperty(gen.batch(mix, BATCH), async (batch: FuzzCase[]) => {
          const failures = await runner.runBatch(batch);
          if (failures.length > 0) throw new Error(failures.slice(0, 5).map(formatFailure).join("\n"));
        }),
        {
          seed,
          numRuns: Math.max(1, Math.round((requests * SCALE) / BATCH)),
          // The server keeps state between runs, so shrinking would not replay the failure; report it as found.
          endOnFailure: true,
          reporter: (details) => {
            if (!details.failed) return;
            const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
            throw new Error(`fuzz failure (FUZZ_SEED=${SEED}, property seed ${seed}, path ${details.counterexamplePath ?? "?"}, after ${details.numRuns} runs):\n${cause}`);
          },
        },
      );
    });
  });
});
