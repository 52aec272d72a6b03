import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Stryker stops a mutant's run at its first failing test, so the order of the files decides
 * how long a killed mutant costs. Vitest's default puts the slowest files first (right for a
 * whole run spread over workers); here the file that failed last goes first (it killed the
 * previous mutant, often a neighbour of this one), then the fastest.
 */
class FailedThenFastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const key = (file: TestSpecification) =>
      `${file.project.name}:${file.moduleId.slice(this.ctx.config.root.length + 1)}`;
    // [failed last time, never timed, duration (or size in bytes, for files never timed)]
    const rank = (file: TestSpecification): [number, number, number] => {
      const results = cache.getFileTestResults(key(file));
      if (results) return [results.failed ? 0 : 1, 0, results.duration];
      return [1, 1, cache.getFileStats(key(file))?.size ?? 0];
    };
    return [...files].sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2];
    });
  }
}

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
    setupFiles: ["test/support/mutation-setup.ts"],
    pool: "forks",
    sequence: { sequencer: FailedThenFastestFirst },
    // Stryker runs the tests covering a mutant, file after file, for each of thousands of
    // mutants: re-importing the app, zod and the SDK for every file was most of a DB run's
    // time. Every test file builds its own app, table and issuer, so they share no state
    // through a module (the dry run, every test passing in this mode, is Stryker's check).
    isolate: false,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
