// `npm run test:cluster`: the README's cluster (PostgreSQL, three nodes and HAProxy) driven end to end
// (test/cluster). It needs HAProxy on PATH, which `npm test` on a developer's machine must not, so it has
// its own config; the main config excludes test/cluster.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
