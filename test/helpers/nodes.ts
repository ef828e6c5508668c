// tclocal nodes in processes of their own, for the tests of several nodes on one PostgreSQL database: each
// is the real command (src/cli.ts), started on a free port and stopped (or killed) by the test.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Node {
  port: number;
  url: string;
  process: ChildProcess;
  /** What the node wrote: its start-up lines, then its log (warnings and errors, as JSON lines). */
  output: string[];
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit: a node lost without warning. */
  kill(): Promise<void>;
}

/** Starts `tclocal --database <url> --port 0 <flags>` and resolves once it is ready. */
export function startNode(databaseUrl: string, flags: readonly string[] = []): Promise<Node> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), "--database", databaseUrl, "--port", "0", "--log-level", "warn", ...flags], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (text: string) => output.push(text));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ending = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = "";
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the node did not start within 20 s: ${output.join("")}`));
    }, 20_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      output.push(text);
      if (ready) return;
      out += text;
      const found = /tclocal ready on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (found) {
        ready = true;
        clearTimeout(timer);
        resolve({ port: Number(found[2]), url: found[1]!, process: child, output, stop: ending("SIGTERM"), kill: ending("SIGKILL") });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`the node exited (${code}) before it was ready: ${output.join("")}`));
    });
  });
}
