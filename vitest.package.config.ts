// `npm run test:package`: the package as a user's project installs it (test/package).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 900_000,
  },
});
