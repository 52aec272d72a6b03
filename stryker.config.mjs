// @ts-check
import { availableParallelism } from "node:os";

/**
 * Mutation testing of the modules everything trusts: `npm run test:mutation` (DB-free, about
 * ten minutes) or `npm run test:mutation:db` (with the DynamoDB Local tests, hours on two
 * cores, in resumable chunks). scripts/mutation.ts runs them; run Stryker through it, not directly.
 * Reports land in reports/mutation/ (git-ignored). Not part of `npm test` or CI's gate.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const withDb = process.env.MUTATION_DB === "1";
// scripts/mutation.ts names a report per chunk of the DB run.
const reportBase = process.env.MUTATION_REPORT ?? `reports/mutation/${withDb ? "db" : "unit"}`;

export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  // The DB run type-checks each mutant in its own file first (scripts/stryker-type-checker.mjs
  // says why not Stryker's TypeScript checker): one that cannot compile is not worth seconds
  // of DynamoDB Local tests. The DB-free tests cost less than the check; scripts/mutation-report.ts
  // sets aside what does not compile there, after the run.
  plugins: ["@stryker-mutator/*", "./scripts/stryker-type-checker.mjs"],
  checkers: withDb ? ["in-file-typescript"] : [],
  // Tests import @dodeck/* through workspace symlinks, which from a sandbox copy would point at
  // the unmutated originals: mutate in place (Stryker restores every file when it ends).
  inPlace: true,
  // Stryker would prepend `// @ts-nocheck` to every source file, the committed client
  // included (a test compares it byte for byte); vitest never type-checks, so none is needed.
  disableTypeChecks: false,
  mutate: ["packages/core/src/**/*.ts", "packages/api/src/**/*.ts", "!packages/*/src/index.ts"],
  // Static mutants (module-level constants) re-run every test each; they cost more than they tell.
  ignoreStatic: true,
  coverageAnalysis: "perTest",
  // With a checker Stryker gives half the processes to checkers, and turns them into test
  // runners once every mutant is checked: one per core in the end, each DB test runner with
  // its own DynamoDB Local. More (4 on two cores) overloads the machine until tests time out.
  concurrency: withDb ? availableParallelism() : 2,
  timeoutMS: 10_000,
  // The DB run's dry run is every DB test with per-test coverage: minutes, more than Stryker's
  // default 5 on a busy machine, where it gives up before testing a single mutant.
  dryRunTimeoutMinutes: 30,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: {
    fileName: process.env.MUTATION_REPORT ? `${reportBase}.html` : `${reportBase}/index.html`,
  },
  jsonReporter: {
    fileName: process.env.MUTATION_REPORT ? `${reportBase}.json` : `${reportBase}/mutation.json`,
  },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
