#!/usr/bin/env node
// The `tclocal` command.
import { DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { loadConfig, USAGE } from "./config.js";
import { callAdmin } from "./admin-client.js";
import { localTarget } from "./local-target.js";
import { runTccli, runTerraform } from "./wrappers.js";
import { exposureWarnings, startServer } from "./server.js";
import { redactedUrl } from "./store/postgres.js";
import { VERSION } from "./version.js";

const ADMIN_USAGE = `Usage: tclocal admin <METHOD> <PATH> [JSON body]

Calls an admin endpoint of a running tclocal, signed with the default account's key pair
(TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY, default: the development key), and prints the answer
({"Response": {...}}); exits 1 when the answer is an Error.
The endpoint is TCLOCAL_ENDPOINT (default http://127.0.0.1:4577). Examples:
  tclocal admin POST /_tclocal/reset
  tclocal admin POST /_tclocal/clock '{"AdvanceSeconds": 3600}'
  tclocal admin GET /_tclocal/clock
`;

/** `tclocal admin METHOD PATH [BODY]`: exit 0 on success, 1 when the answer holds an Error, 2 on a usage error. */
async function admin(args: string[]): Promise<number> {
  const [method, path, bodyText] = args;
  if (method === undefined || path === undefined || args.length > 3 || !path.startsWith("/_tclocal/") || method === "-h" || method === "--help") {
    process.stderr.write(ADMIN_USAGE);
    return method === "-h" || method === "--help" ? 0 : 2;
  }
  let body: unknown;
  if (bodyText !== undefined) {
    try {
      body = JSON.parse(bodyText);
    } catch {
      process.stderr.write(`tclocal admin: the body is not JSON: ${bodyText.slice(0, 80)}\n`);
      return 2;
    }
  }
  const { endpoint, credentials } = localTarget(process.env);
  const response = await callAdmin(endpoint, method.toUpperCase(), path, body, credentials);
  process.stdout.write(`${JSON.stringify({ Response: response }, null, 2)}\n`);
  return response.Error === undefined ? 0 : 1;
}

async function main(): Promise<void> {
  // A reader that goes away (`tclocal | grep -m1 ready`) closes stdout: the server goes on, without its log.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  if (process.argv[2] === "admin") {
    process.exitCode = await admin(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === "tccli" || process.argv[2] === "terraform") {
    process.exitCode = await (process.argv[2] === "tccli" ? runTccli : runTerraform)(process.argv.slice(3));
    return;
  }
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`tclocal: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (config === "version") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (config === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const server = await startServer(config);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Before the ready line: a signal sent as soon as it is read must find the handler (until process.on,
  // the kernel's default action kills the process and leaves the data dir's lock behind).
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // npx and `npm exec` run tclocal below `sh -c`, which passes none of npm's signals on: a SIGTERM to npm
  // ends npm and the shell, and left the server running, orphaned, holding its port. Under npx, tclocal
  // therefore stops, as on a signal, when that shell goes. (Otherwise it outlives its parent, as servers do:
  // an npm script may start it in the background and end; `npm start` execs node, so signals reach it.)
  if (process.env.npm_command === "exec") {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop();
    }, 250).unref();
  }
  const ownKey = config.secretKey !== DEFAULT_SECRET_KEY;
  process.stdout.write(
    [
      `tclocal ${VERSION}: Tencent Cloud API 3.0 emulator (${server.products.map((p) => `${p.service} ${p.version}`).join(", ")})`,
      `  endpoint    ${server.url}`,
      `  SecretId    ${config.secretId}`,
      `  SecretKey   ${ownKey ? "(from TCLOCAL_SECRET_KEY)" : config.secretKey}`,
      `  account     uin ${server.defaultAccount.uin}, appId ${server.defaultAccount.appId}`,
      `  storage     ${config.databaseUrl !== undefined ? `${redactedUrl(config.databaseUrl)} (PostgreSQL)` : config.inMemory ? "in memory" : `${config.dataDir} (SQLite)`}`,
      `  signatures  ${config.verifySignatures ? `verified${config.signatureReuse === "refuse" ? ", each TC3 signature for one action, region and version" : ""}` : "NOT verified (--skip-signature-check)"}`,
      `  rate limits ${config.throttle.enabled ? "on" : "off"}`,
      `  admin       /_tclocal/ needs a TC3 signature with this key pair (service tclocal)${config.adminToken === undefined ? "" : " or the admin token"}: npx tclocal admin POST /_tclocal/reset`,
      ...exposureWarnings(config).map((warning) => `  WARNING     ${warning}`),
      "",
    ].join("\n"),
  );
  process.stdout.write(`tclocal ready on ${server.url}\n`);

}

main().catch((error: unknown) => {
  process.stderr.write(`tclocal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
