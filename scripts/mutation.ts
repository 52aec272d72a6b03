import { spawnSync } from "node:child_process";

/**
 * `npm run test:mutation` (DB-free tests) and `npm run test:mutation:db` (the DynamoDB Local
 * tests too). Extra arguments go to Stryker, e.g. `-- --mutate packages/core/src/cursor.ts`.
 *
 * The DB run is two Stryker runs sharing one incremental file: first the DB-free tests (about
 * ten minutes for all of core and api), then the DB tests for only what they left alive:
 * Stryker reuses a mutant's "killed" while the test that killed it is unchanged, and re-runs
 * every other one with the new tests. Most of core's and api's mutants die in a unit test, so
 * the slow DB tests (seconds per mutant) run for about half of them.
 *
 * Then scripts/mutation-report.ts sets aside the mutants that do not compile (Stryker's
 * TypeScript checker would, at ~3 s per mutant) and prints the per-file table.
 */
const args = process.argv.slice(2);
const db = args[0] === "--db";
const strykerArgs = db ? args.slice(1) : args;
const incremental = ["--incremental", "--incrementalFile", "reports/mutation/incremental.json"];

function run(env: Record<string, string>, command: string, commandArgs: string[]) {
  const result = spawnSync(command, commandArgs, {
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run({ MUTATION_DB: "0" }, "npx", ["stryker", "run", ...incremental, ...strykerArgs]);
if (db) run({ MUTATION_DB: "1" }, "npx", ["stryker", "run", ...incremental, ...strykerArgs]);
run({}, "npx", [
  "tsx",
  "scripts/mutation-report.ts",
  `reports/mutation/${db ? "db" : "unit"}/mutation.json`,
]);
