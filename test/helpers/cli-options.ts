// The command-line tools (bench, soak, crash, fuzz) treat their options alike: -h prints the usage and
// exits 0; a mistake prints what is wrong, then the usage, and exits 2, without a stack trace.
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
