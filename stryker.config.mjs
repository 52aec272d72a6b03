// @ts-check
/**
 * Mutation testing of the modules everything trusts: `npm run test:mutation` (DB-free, a few
 * minutes) or `npm run test:mutation:db` (with the DynamoDB Local tests, much longer).
 * Reports land in reports/mutation/ (git-ignored). Not part of `npm test` or CI's gate.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const withDb = process.env.MUTATION_DB === "1";

export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Tests import @dodeck/* through workspace symlinks, which from a sandbox copy would point at
  // the unmutated originals: mutate in place (Stryker restores every file when it ends).
  inPlace: true,
  mutate: [
    "packages/core/src/**/*.ts",
    "packages/api/src/**/*.ts",
    "!packages/*/src/index.ts",
    ...(withDb ? [] : ["!packages/core/src/table-setup.ts"]),
  ],
  // Static mutants (module-level constants) re-run every test each; they cost more than they tell.
  ignoreStatic: true,
  coverageAnalysis: "perTest",
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${withDb ? "db" : "unit"}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${withDb ? "db" : "unit"}/mutation.json` },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
