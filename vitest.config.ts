import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "scripts/**/*.test.ts",
      "stacks/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    globalSetup: ["test/global-setup.ts"],
    // SST's run() calls process.chdir(), which worker threads refuse.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
