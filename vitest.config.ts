import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The package test installs tclocal into a new project (minutes): `npm run test:package`.
    exclude: ["test/package/**", "**/node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
