// Flags and environment variables → one typed configuration. A flag wins over its variable.
import { parseArgs } from "node:util";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "./auth/keys.js";
import { parseRateLimits, type ThrottleOptions } from "./gateway/throttle.js";
import { DEFAULT_CVM_SETTINGS } from "./products/cvm/settings.js";
import { isTimingProfile, type TimingProfile } from "./products/cvm/timing.js";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  inMemory: boolean;
  /** A postgres:// URL: state lives in that PostgreSQL database (shared by every node given it), not in the data dir. */
  databaseUrl: string | undefined;
  secretId: string;
  secretKey: string;
  verifySignatures: boolean;
  /** Whether a TC3 signature may be reused for another action, region or version, as the real service allows. */
  signatureReuse: SignatureReusePolicy;
  throttle: ThrottleOptions;
  logLevel: string;
  /** How long instance transitions take. */
  timing: TimingProfile;
  /** Instances per account, zone and charge type. */
  instanceQuota: number;
  /** Host names (and their subdomains) answered beside loopback, IP addresses and *.tencentcloudapi.com; "*" for any. */
  allowedHosts: string[];
  /** A bearer token that also opens the admin endpoints, or undefined. */
  adminToken: string | undefined;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
  /** Bytes of unfinished request bodies held across all connections. */
  bodyMemoryLimit: number;
}

export type SignatureReusePolicy = "allow" | "refuse";

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 4577,
  dataDir: "./.tclocal",
  maxConnections: 512,
  bodyMemoryLimit: 32 * 1024 * 1024,
} as const;

export const USAGE = `Usage: tclocal [options]

Options (environment variable in brackets):
  --host <addr>            listen address (TCLOCAL_HOST, default ${DEFAULTS.host})
  --port <n>               listen port (TCLOCAL_PORT, default ${DEFAULTS.port})
  --data-dir <dir>         where state is kept (TCLOCAL_DATA_DIR, default ${DEFAULTS.dataDir})
  --in-memory              keep all state in memory (TCLOCAL_IN_MEMORY=1)
  --database <url>         keep state in PostgreSQL 14 or later, e.g. postgres://user:pass@host:5432/db,
                           which several tclocal nodes can share (TCLOCAL_DATABASE_URL; default: the
                           SQLite file in the data dir)
  --skip-signature-check   accept unsigned requests; the SecretId alone picks the account
                           (TCLOCAL_SKIP_SIGNATURE_CHECK=1)
  --signature-reuse <p>    allow (as the real service) or refuse: whether a TC3 signature that does
                           not sign X-TC-Action, X-TC-Region and X-TC-Version may be replayed with
                           them changed. "refuse" also refuses two different actions sent with the
                           same body in the same second (TCLOCAL_SIGNATURE_REUSE, default allow)
  --rate-limits <spec>     "off", or per-action overrides such as "DescribeZones=5,*=100"
                           (TCLOCAL_RATE_LIMITS; default: the documented per-action limits)
  --timing <profile>       how long transitions take: instant, fast (about 1-2 s) or realistic
                           (tens of seconds) (TCLOCAL_TIMING, default ${DEFAULT_CVM_SETTINGS.timing})
  --instance-quota <n>     instances each account may hold per zone and charge type
                           (TCLOCAL_INSTANCE_QUOTA, default ${DEFAULT_CVM_SETTINGS.instanceQuota})
  --allowed-hosts <list>   comma-separated host names tclocal also answers to, each with its
                           subdomains (e.g. the Terraform provider's domain), or "*" for any Host
                           (TCLOCAL_ALLOWED_HOSTS). Always answered: IP addresses, localhost,
                           *.tencentcloudapi.com and this machine's name
  --admin-token <token>    a bearer token that also opens the /_tclocal/ admin endpoints
                           (TCLOCAL_ADMIN_TOKEN; default none: admin requests are TC3-signed)
  --max-connections <n>    connections open at once (TCLOCAL_MAX_CONNECTIONS, default ${DEFAULTS.maxConnections})
  --body-memory-limit <n>  bytes of unfinished request bodies held across all connections
                           (TCLOCAL_BODY_MEMORY_LIMIT, default ${DEFAULTS.bodyMemoryLimit})
  --log-level <level>      trace, debug, info, warn, error, fatal or silent (TCLOCAL_LOG_LEVEL, default info)
  -h, --help               show this text
  -v, --version            print the version

The default account's key pair comes from TCLOCAL_SECRET_ID and TCLOCAL_SECRET_KEY
(default: the public development key printed at start-up).

Commands for a running tclocal (at TCLOCAL_ENDPOINT, default http://127.0.0.1:4577; each lists its
usage with -h):
  tclocal admin <METHOD> <PATH> [JSON]   call an admin endpoint, signed with that key pair
  tclocal tccli <tccli arguments>        run your tccli against tclocal (endpoint, key pair, region)
  tclocal terraform <arguments>          run your terraform with the Tencent Cloud provider pointed
                                         at tclocal, through a provider override file for the run
`;

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function positiveInteger(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${what} \`${text.slice(0, 32)}\` is not a whole number of 1 or more`);
  return value;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | "help" | "version" {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "in-memory": { type: "boolean" },
      database: { type: "string" },
      "skip-signature-check": { type: "boolean" },
      "signature-reuse": { type: "string" },
      "rate-limits": { type: "string" },
      "log-level": { type: "string" },
      timing: { type: "string" },
      "instance-quota": { type: "string" },
      "allowed-hosts": { type: "string" },
      "admin-token": { type: "string" },
      "max-connections": { type: "string" },
      "body-memory-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const logLevel = values["log-level"] ?? env.TCLOCAL_LOG_LEVEL ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`log level \`${logLevel.slice(0, 32)}\` is not one of ${LOG_LEVELS.join(", ")}`);
  const portText = values.port ?? env.TCLOCAL_PORT ?? String(DEFAULTS.port);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port \`${portText}\` is not a TCP port number`);
  const timing = values.timing ?? env.TCLOCAL_TIMING ?? DEFAULT_CVM_SETTINGS.timing;
  if (!isTimingProfile(timing)) throw new Error(`timing profile \`${timing}\` is not one of instant, fast, realistic`);
  const quotaText = values["instance-quota"] ?? env.TCLOCAL_INSTANCE_QUOTA ?? String(DEFAULT_CVM_SETTINGS.instanceQuota);
  const instanceQuota = Number(quotaText);
  if (!Number.isInteger(instanceQuota) || instanceQuota < 0) throw new Error(`instance quota \`${quotaText}\` is not a whole number`);
  const signatureReuse = values["signature-reuse"] ?? env.TCLOCAL_SIGNATURE_REUSE ?? "allow";
  if (signatureReuse !== "allow" && signatureReuse !== "refuse") throw new Error(`signature reuse policy \`${signatureReuse}\` is not one of allow, refuse`);
  const maxConnections = positiveInteger(values["max-connections"] ?? env.TCLOCAL_MAX_CONNECTIONS, DEFAULTS.maxConnections, "max connections");
  const bodyMemoryLimit = positiveInteger(values["body-memory-limit"] ?? env.TCLOCAL_BODY_MEMORY_LIMIT, DEFAULTS.bodyMemoryLimit, "body memory limit");
  const adminToken = (values["admin-token"] ?? env.TCLOCAL_ADMIN_TOKEN) || undefined;
  if (adminToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(adminToken)) {
    throw new Error("the admin token must be 16 to 256 printable ASCII characters without spaces");
  }
  const databaseUrl = (values.database ?? env.TCLOCAL_DATABASE_URL) || undefined;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error("the database URL must start with postgres:// or postgresql://");
    if (values["in-memory"] ?? truthy(env.TCLOCAL_IN_MEMORY)) throw new Error("--database and --in-memory cannot be given together: state lives in one place");
  }
  return {
    databaseUrl,
    allowedHosts: (values["allowed-hosts"] ?? env.TCLOCAL_ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim()).filter((h) => h !== ""),
    adminToken,
    maxConnections,
    bodyMemoryLimit,
    timing,
    instanceQuota,
    host: values.host ?? env.TCLOCAL_HOST ?? DEFAULTS.host,
    port,
    dataDir: values["data-dir"] ?? env.TCLOCAL_DATA_DIR ?? DEFAULTS.dataDir,
    inMemory: values["in-memory"] ?? truthy(env.TCLOCAL_IN_MEMORY),
    secretId: env.TCLOCAL_SECRET_ID || DEFAULT_SECRET_ID,
    secretKey: env.TCLOCAL_SECRET_KEY || DEFAULT_SECRET_KEY,
    verifySignatures: !(values["skip-signature-check"] ?? truthy(env.TCLOCAL_SKIP_SIGNATURE_CHECK)),
    signatureReuse,
    throttle: parseRateLimits(values["rate-limits"] ?? env.TCLOCAL_RATE_LIMITS, true),
    logLevel,
  };
}
