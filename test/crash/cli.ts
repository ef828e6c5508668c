// `npm run crash -- [--cycles N] [--seed N] [--workers N] [--sample N] [--data-dir DIR] [--database URL|postgres] [--keep]`
//
// Runs the crash-safety cycles of test/crash/harness.ts (SIGKILL under a RunInstances/TerminateInstances
// load, restart, invariants), prints one line per cycle and a summary. Exit code 1 when an invariant broke.
import { parseArgs } from "node:util";
import { optionsOrExit, positiveNumber, seedOption } from "../helpers/cli-options.js";
import { formatCycle, runCrashCycles, type CrashOptions, type CycleReport } from "./harness.js";

const USAGE = `Usage: npm run crash -- [options]

  --cycles N        kill/restart cycles (default 20)
  --seed N          seed of the load and of the kill moments (default: random, printed)
  --workers N       concurrent SDK clients (default 8)
  --kill-after A-B  kill after A to B ms of load (default 100-800)
  --sample N        acknowledged ClientTokens retried after each crash (default 25)
  --data-dir DIR    use this data dir (kept) instead of a temporary one
  --database URL    keep the server's state in this (empty) PostgreSQL database instead; "postgres"
                    starts a throwaway PostgreSQL server (scripts/postgres.mjs) for the run
  --keep            keep the temporary data dir
  -h, --help        show this text
`;

function parseOptions(argv: string[]): CrashOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      cycles: { type: "string" },
      seed: { type: "string" },
      workers: { type: "string" },
      "kill-after": { type: "string" },
      sample: { type: "string" },
      "data-dir": { type: "string" },
      database: { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  let killAfterMs: [number, number] | undefined;
  if (values["kill-after"] !== undefined) {
    const match = /^(\d+)-(\d+)$/.exec(values["kill-after"]);
    if (!match || Number(match[1]) > Number(match[2])) throw new Error(`--kill-after \`${values["kill-after"]}\` is not A-B (milliseconds, A ≤ B)`);
    killAfterMs = [Number(match[1]), Number(match[2])];
  }
  return {
    cycles: values.cycles === undefined ? 20 : positiveNumber(values.cycles, "--cycles", true),
    seed: seedOption(values.seed),
    killAfterMs,
    workers: values.workers === undefined ? undefined : positiveNumber(values.workers, "--workers", true),
    sampleSize: values.sample === undefined ? undefined : positiveNumber(values.sample, "--sample", true),
    dataDir: values["data-dir"],
    ...(values.database !== undefined ? { database: values.database } : {}),
    keepDataDir: values.keep ?? false,
  };
}

async function main(): Promise<number> {
  const options = optionsOrExit("crash", USAGE, parseOptions);
  const { cycles, seed } = options;

  process.stdout.write(`crash cycles: ${cycles}, seed ${seed}\n`);
  const started = performance.now();
  let throwaway: { url: string; stop(): Promise<void> } | undefined;
  if (options.database === "postgres") {
    const script = (await import(new URL("../../scripts/postgres.mjs", import.meta.url).href)) as { startPostgres(): Promise<{ url: string; stop(): Promise<void> }> };
    throwaway = await script.startPostgres();
    process.stdout.write("PostgreSQL: a throwaway server for this run\n");
  } else if (options.database !== undefined && !/^postgres(ql)?:\/\//.test(options.database)) {
    throw new Error(`--database \`${options.database.slice(0, 64)}\` is neither a postgres:// URL nor "postgres"`);
  }
  const summary = await runCrashCycles({
    ...options,
    ...(throwaway !== undefined ? { database: throwaway.url } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
    onCycle: (report: CycleReport) => {
      process.stdout.write(`${formatCycle(report, cycles)}\n`);
      for (const violation of report.violations.slice(0, 20)) process.stdout.write(`    ✗ ${violation}\n`);
      if (report.violations.length > 20) process.stdout.write(`    … and ${report.violations.length - 20} more\n`);
    },
  });

  await throwaway?.stop();
  const sum = (f: (r: CycleReport) => number): number => summary.cycles.reduce((n, r) => n + f(r), 0);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    [
      "",
      `summary: ${summary.cycles.length} cycles in ${seconds.toFixed(1)} s (seed ${seed})`,
      `  RunInstances        ${sum((r) => r.load.runsSent)} sent, ${sum((r) => r.load.runsAcked)} acknowledged (${sum((r) => r.load.instancesAcked)} instances), ${sum((r) => r.load.runsRefused)} refused`,
      `  in flight at kill   ${sum((r) => r.load.runsUnknown)} RunInstances: ${sum((r) => r.verify.inFlightCommitted)} had committed, ${sum((r) => r.verify.inFlightCreated)} created on retry`,
      `  TerminateInstances  ${sum((r) => r.load.terminatesSent)} sent, ${sum((r) => r.load.terminatesAcked)} acknowledged, ${sum((r) => r.load.terminatesRefused)} refused, ${sum((r) => r.load.terminatesUnknown)} in flight (${sum((r) => r.verify.terminatesApplied)} instances terminated, ${sum((r) => r.verify.terminatesNotApplied)} not)`,
      `  answered after kill ${sum((r) => r.load.answeredAfterKill)} requests (acknowledged while the SIGKILL was on its way)`,
      `  tokens retried      ${sum((r) => r.verify.tokensRetried)} acknowledged + ${sum((r) => r.load.runsUnknown)} in flight (each twice); ${summary.tokens} tokens in all`,
      `  instances listed    ${summary.cycles.at(-1)?.verify.listed ?? 0} after the last restart`,
      `  restart             ${Math.round(Math.min(...summary.cycles.map((r) => r.restartMs)))}-${Math.round(Math.max(...summary.cycles.map((r) => r.restartMs)))} ms to ready`,
      `  violations          ${summary.violations.length}`,
      summary.violations.length === 0 ? "PASS" : "FAIL",
      "",
    ].join("\n"),
  );
  if (options.dataDir !== undefined || options.keepDataDir) process.stdout.write(`data dir: ${summary.dataDir}\n`);
  return summary.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
