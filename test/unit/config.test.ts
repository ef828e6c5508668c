import { describe, expect, it } from "vitest";
import { DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY } from "../../src/auth/keys.js";
import { loadConfig, type Config } from "../../src/config.js";

function config(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const c = loadConfig(argv, env);
  if (c === "help" || c === "version") throw new Error(`unexpected ${c}`);
  return c;
}

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    expect(config([])).toEqual({
      host: "127.0.0.1",
      port: 4577,
      dataDir: "./.tclocal",
      inMemory: false,
      secretId: DEFAULT_SECRET_ID,
      secretKey: DEFAULT_SECRET_KEY,
      verifySignatures: true,
      signatureReuse: "allow",
      throttle: { enabled: true, overrides: {} },
      logLevel: "info",
      timing: "fast",
      instanceQuota: 500,
      allowedHosts: [],
      adminToken: undefined,
      maxConnections: 512,
      bodyMemoryLimit: 32 * 1024 * 1024,
    });
  });

  it("reads every environment variable", () => {
    const c = config([], {
      TCLOCAL_HOST: "0.0.0.0",
      TCLOCAL_PORT: "9000",
      TCLOCAL_DATA_DIR: "/tmp/x",
      TCLOCAL_IN_MEMORY: "1",
      TCLOCAL_SECRET_ID: "AKIDother00000000000000",
      TCLOCAL_SECRET_KEY: "otherKey",
      TCLOCAL_SKIP_SIGNATURE_CHECK: "true",
      TCLOCAL_RATE_LIMITS: "DescribeZones=5,*=100",
      TCLOCAL_LOG_LEVEL: "warn",
      TCLOCAL_TIMING: "realistic",
      TCLOCAL_INSTANCE_QUOTA: "7",
      TCLOCAL_SIGNATURE_REUSE: "refuse",
      TCLOCAL_ALLOWED_HOSTS: "tclocal.test, example.internal",
      TCLOCAL_ADMIN_TOKEN: "an-admin-token-0123",
      TCLOCAL_MAX_CONNECTIONS: "64",
      TCLOCAL_BODY_MEMORY_LIMIT: "1048576",
    });
    expect(c).toMatchObject({ allowedHosts: ["tclocal.test", "example.internal"], adminToken: "an-admin-token-0123", maxConnections: 64, bodyMemoryLimit: 1048576 });
    expect(c).toMatchObject({ host: "0.0.0.0", port: 9000, dataDir: "/tmp/x", inMemory: true, secretId: "AKIDother00000000000000", secretKey: "otherKey", verifySignatures: false, signatureReuse: "refuse", logLevel: "warn", timing: "realistic", instanceQuota: 7 });
    expect(c.throttle).toEqual({ enabled: true, overrides: { DescribeZones: 5, "*": 100 } });
  });

  it("lets a flag win over its variable", () => {
    const c = config(["--port", "1234", "--host", "::1", "--data-dir", "d", "--in-memory", "--skip-signature-check", "--rate-limits", "off", "--timing", "instant", "--instance-quota", "3", "--log-level", "silent", "--signature-reuse", "allow"], {
      TCLOCAL_PORT: "9000",
      TCLOCAL_TIMING: "realistic",
      TCLOCAL_SIGNATURE_REUSE: "refuse",
    });
    expect(c).toMatchObject({ port: 1234, host: "::1", dataDir: "d", inMemory: true, verifySignatures: false, signatureReuse: "allow", timing: "instant", instanceQuota: 3, logLevel: "silent" });
    expect(c.throttle.enabled).toBe(false);
  });

  it("refuses bad values and unknown flags", () => {
    expect(() => config(["--port", "70000"])).toThrow(/port/);
    expect(() => config(["--timing", "slow"])).toThrow(/timing/);
    expect(() => config(["--signature-reuse", "warn"])).toThrow(/signature reuse/);
    expect(() => config(["--instance-quota", "-1"])).toThrow(/quota/);
    expect(() => config(["--rate-limits", "DescribeZones=fast"])).toThrow(/rate limit/);
    expect(() => config(["--colour"])).toThrow();
    expect(() => config(["--max-connections", "0"])).toThrow(/max connections/);
    expect(() => config(["--body-memory-limit", "lots"])).toThrow(/body memory limit/);
    expect(() => config(["--admin-token", "short"])).toThrow(/admin token/);
    expect(config([], { TCLOCAL_ADMIN_TOKEN: "" }).adminToken).toBeUndefined();
    expect(loadConfig(["--help"], {})).toBe("help");
    expect(loadConfig(["--version"], {})).toBe("version");
    expect(() => config(["--log-level", "loud"])).toThrow("log level `loud` is not one of trace, debug, info, warn, error, fatal, silent");
    expect(() => config([], { TCLOCAL_LOG_LEVEL: "verbose" })).toThrow(/log level `verbose`/);
  });
});

describe("--database", () => {
  const URL = "postgres://tclocal:secret@127.0.0.1:5432/tclocal";

  it("selects PostgreSQL by flag or TCLOCAL_DATABASE_URL, the flag winning; none leaves SQLite", () => {
    expect(config([]).databaseUrl).toBeUndefined();
    expect(config(["--database", URL]).databaseUrl).toBe(URL);
    expect(config([], { TCLOCAL_DATABASE_URL: URL }).databaseUrl).toBe(URL);
    expect(config(["--database", "postgresql://other/db"], { TCLOCAL_DATABASE_URL: URL }).databaseUrl).toBe("postgresql://other/db");
  });

  it("refuses what is not a PostgreSQL URL, and --in-memory beside it", () => {
    expect(() => config(["--database", "mysql://x/y"])).toThrow("the database URL must start with postgres:// or postgresql://");
    expect(() => config(["--database", URL, "--in-memory"])).toThrow("--database and --in-memory cannot be given together");
  });
});
