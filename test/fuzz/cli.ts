// `npm run fuzz -- --count N [--seed S] [--mix all|params|signatures|transport] [--batch B] [--show F]`
// Throws N hostile requests at a fresh in-process server with the generators and invariants of the CI
// fuzz test (test/fuzz/generators.ts), keeps going past failures, and prints a summary: requests, the
// codes seen with their counts, and the failures. Exits 1 when anything failed.
import { parseArgs } from "node:util";
import fc from "fast-check";
import { optionsOrExit, positiveNumber, seedOption } from "../helpers/cli-options.js";
import { CaseGen, FuzzRunner, formatFailure, formatSummary, startFuzzTarget, type CaseMix, type FuzzCase } from "./generators.js";

const MIXES: readonly CaseMix[] = ["all", "params", "signatures", "transport"];

const USAGE = `Usage: npm run fuzz -- [options]

  --count N    requests to send (default 20000)
  --seed S     seed of the generators (default: random, printed)
  --mix M      ${MIXES.join(", ")}: which kinds of request (default all)
  --batch B    requests generated per round; those expected to fail are sent concurrently (default 32)
  --show F     failures printed in full at the end (default 20)
  -h, --help   show this text
`;

interface Options {
  count: number;
  seed: number;
  mix: CaseMix;
  batch: number;
  show: number;
}

function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: "string", default: "20000" },
      seed: { type: "string" },
      mix: { type: "string", default: "all" },
      batch: { type: "string", default: "32" },
      show: { type: "string", default: "20" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const mix = MIXES.find((m) => m === values.mix);
  if (mix === undefined) throw new Error(`--mix \`${values.mix}\` is not one of ${MIXES.join(", ")}`);
  return {
    count: positiveNumber(values.count, "--count", true),
    seed: seedOption(values.seed),
    mix,
    batch: positiveNumber(values.batch, "--batch", true),
    show: values.show === "0" ? 0 : positiveNumber(values.show, "--show", true),
  };
}

const { count, seed, mix, batch, show } = optionsOrExit("fuzz", USAGE, parseOptions);

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
