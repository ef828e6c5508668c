#!/usr/bin/env node
// The `tclocal` command.
import { DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { loadConfig, USAGE } from "./config.js";
import { startServer } from "./server.js";
import { VERSION } from "./version.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`tclocal: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (config === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const server = await startServer(config);
  const ownKey = config.secretKey !== DEFAULT_SECRET_KEY;
  process.stdout.write(
    [
      `tclocal ${VERSION}: Tencent Cloud API 3.0 emulator (cvm 2017-03-12)`,
      `  endpoint    ${server.url}`,
      `  SecretId    ${config.secretId}`,
      `  SecretKey   ${ownKey ? "(from TCLOCAL_SECRET_KEY)" : config.secretKey}`,
      `  account     uin ${server.defaultAccount.uin}, appId ${server.defaultAccount.appId}`,
      `  storage     ${config.inMemory ? "in memory" : `${config.dataDir} (SQLite)`}`,
      `  signatures  ${config.verifySignatures ? `verified${config.signatureReuse === "refuse" ? ", each TC3 signature for one action, region and version" : ""}` : "NOT verified (--skip-signature-check)"}`,
      `  rate limits ${config.throttle.enabled ? "on" : "off"}`,
      "",
    ].join("\n"),
  );
  process.stdout.write(`tclocal ready on ${server.url}\n`);

  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`tclocal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
