// What the command-line tools (bench, soak, crash, fuzz) share in reading their options: -h prints the
// usage and exits 0; a mistake prints what is wrong, then the usage, and exits 2, without a stack trace.

export function optionsOrExit<T>(tool: string, usage: string, parse: (argv: string[]) => T | "help"): T {
  let options: T | "help";
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${tool}: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(usage);
    process.exit(0);
  }
  return options;
}

/** `text` as a positive number (a positive integer with `integer`); throws naming `flag` otherwise. */
export function positiveNumber(text: string, flag: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${flag} \`${text}\` is not a positive ${integer ? "integer" : "number"}`);
  return n;
}

/** The --seed option: the integer given, or a random one (which the tool prints, so a run can be replayed). */
export function seedOption(text: string | undefined): number {
  if (text === undefined) return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`--seed \`${text}\` is not an integer`);
  return seed;
}
