import { defineConfig } from "vitest/config";

/**
 * The tests Stryker runs against each mutant. `MUTATION_DB=1` adds the tests that need
 * DynamoDB Local (the global setup starts one per test runner); without it only the DB-free
 * unit tests run, which is fast but leaves the repository code to the DB tests.
 */
const withDb = process.env.MUTATION_DB === "1";

export default defineConfig({
  test: {
    include: [
      "packages/core/test/**/*.test.ts",
      "packages/api/test/**/*.test.ts",
      // The migration and the sweep are tested end to end here; they reach migration.ts and
      // sweeper.ts in-process (their `npm run` children run unmutated code, and kill nothing).
      "test/migration/**/*.test.ts",
      "test/sweep/**/*.test.ts",
    ],
    exclude: [
      // It asserts what a fresh process has built, which a shared module cache has not.
      "**/lazy-schemas.test.ts",
      ...(withDb ? [] : ["**/*.db.test.ts"]),
    ],
    globalSetup: withDb ? ["test/global-setup.ts"] : [],
    pool: "forks",
    // Stryker runs the tests covering a mutant, file after file, for each of thousands of
    // mutants: re-importing the app, zod and the SDK for every file was most of a DB run's
    // time. Every test file builds its own app, table and issuer, so they share no state
    // through a module (the dry run, every test passing in this mode, is Stryker's check).
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
