// `npm run fuzz -- --count N [--seed S] [--mix all|params|signatures|transport] [--batch B]`
// Throws N hostile requests at a fresh in-process server with the generators and invariants of the CI
// fuzz test (test/fuzz/generators.ts), keeps going past failures, and prints a summary: requests, the
// codes seen with their counts, and the failures. Exits 1 when anything failed.
import { parseArgs } from "node:util";
import fc from "fast-check";
import { CaseGen, FuzzRunner, formatFailure, formatSummary, startFuzzTarget, type CaseMix, type FuzzCase } from "./generators.js";

const MIXES: readonly CaseMix[] = ["all", "params", "signatures", "transport"];

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- --count N [--seed S] [--mix ${MIXES.join("|")}] [--batch B] [--show F]`);
  process.exit(2);
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    count: { type: "string", default: "20000" },
    seed: { type: "string" },
    mix: { type: "string", default: "all" },
    batch: { type: "string", default: "32" },
    show: { type: "string", default: "20" },
  },
  strict: true,
});
const count = Number(values.count);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const batch = Number(values.batch);
const show = Number(values.show);
const mix = values.mix as CaseMix;
if (!Number.isInteger(count) || count < 1) usage(`--count ${values.count} is not a positive integer`);
if (!Number.isInteger(seed)) usage(`--seed ${values.seed} is not an integer`);
if (!Number.isInteger(batch) || batch < 1) usage(`--batch ${values.batch} is not a positive integer`);
if (!Number.isInteger(show) || show < 0) usage(`--show ${values.show} is not a whole number`);
if (!MIXES.includes(mix)) usage(`--mix ${values.mix} is not one of ${MIXES.join(", ")}`);

console.log(`fuzzing ${count} requests, seed ${seed}, mix ${mix}`);
const target = await startFuzzTarget();
const runner = new FuzzRunner(target);
const gen = new CaseGen(target.ctx);
const started = Date.now();
let sent = 0;
let lastReport = started;
try {
  await fc.assert(
    fc.asyncProperty(gen.batch(mix, batch), async (cases: FuzzCase[]) => {
      const slice = cases.slice(0, count - sent);
      sent += slice.length;
      await runner.runBatch(slice);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        console.error(`  … ${sent} requests, ${runner.stats.failures.length} failures (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
    }),
    {
      seed,
      numRuns: Math.ceil(count / batch),
      // Failures are collected, never thrown; a throw is the harness itself breaking: report it briefly.
      endOnFailure: true,
      reporter: (details) => {
        if (!details.failed) return;
        throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
      },
    },
  );
} finally {
  runner.close();
  await target.close();
}

const { failures } = runner.stats;
console.log(formatSummary(runner.stats, Date.now() - started));
if (failures.length > 0) {
  const byKind = new Map<string, number>();
  for (const f of failures) {
    const kind = f.label.split(" ")[0]!;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  console.log("failures by case:");
  for (const [kind, n] of [...byKind.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${kind}  ${n}`);
  console.log(failures.slice(0, show).map(formatFailure).join("\n"));
  console.log(`seed ${seed}: replay with npm run fuzz -- --count ${count} --seed ${seed} --mix ${mix} --batch ${batch}`);
  process.exitCode = 1;
}
