import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against each mutant. `MUTATION_DB=1` adds the tests that need
 * DynamoDB Local (the global setup starts one per test runner); without it only the DB-free
 * unit tests run, which is fast but leaves the repository code to the DB tests.
 */
const withDb = process.env.MUTATION_DB === "1";

export default defineConfig({
  test: {
    include: ["packages/core/test/**/*.test.ts", "packages/api/test/**/*.test.ts"],
    exclude: withDb ? [] : ["**/*.db.test.ts"],
    globalSetup: withDb ? ["test/global-setup.ts"] : [],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
