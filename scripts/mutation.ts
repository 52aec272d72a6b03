import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";

/**
 * `npm run test:mutation` (DB-free tests) and `npm run test:mutation:db` (the DynamoDB Local
 * tests too). Extra arguments go to Stryker, e.g. `-- --mutate packages/core/src/cursor.ts`.
 *
 * The DB run starts with the DB-free tests (about ten minutes for all of core and api), whose
 * incremental file seeds the DB tests: Stryker reuses a mutant's "killed" while the test that
 * killed it is unchanged, and re-runs every other one with the new tests. Most of core's and
 * api's mutants die in a unit test, so the slow DB tests (seconds per mutant) run for the rest.
 *
 * The DB tests then run in chunks of source files, each a Stryker run of its own with its own
 * report (reports/mutation/db/chunks/): the whole takes hours on two cores, and Stryker writes
 * nothing until a run ends. A chunk already run on this same code, tests and configuration
 * (committed or not) is not run again, so an interrupted run resumes where it stopped: run the same
 * command again. `--mutate` in the arguments runs those files in one piece instead.
 *
 * Then scripts/mutation-report.ts sets aside the mutants that do not compile (Stryker's
 * TypeScript checker would, at ~3 s per mutant) and prints the per-file table.
 */
const args = process.argv.slice(2);
const db = args[0] === "--db";
const strykerArgs = db ? args.slice(1) : args;
const unitIncremental = "reports/mutation/incremental.json";
const chunkDir = "reports/mutation/db/chunks";
/** Mutants left to the DB tests per chunk: ~20–40 minutes each on two cores. */
const CHUNK_MUTANTS = Number(process.env.MUTATION_CHUNK_MUTANTS ?? 250);

type Report = {
  files: Record<string, { mutants: { status: string }[] } & Record<string, unknown>>;
  testFiles?: Record<string, unknown>;
} & Record<string, unknown>;

function run(env: Record<string, string>, command: string, commandArgs: string[]) {
  const result = spawnSync(command, commandArgs, {
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const stryker = (env: Record<string, string>, extra: string[]) =>
  run(env, "npx", ["stryker", "run", ...extra, ...strykerArgs]);
const readReport = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Report;

/**
 * What a chunk's result depends on: the code, the tests and the configuration, committed or
 * not (docs are left out, so committing a note does not re-run hours of chunks).
 */
const RESULT_INPUTS = [
  "packages",
  "test",
  "scripts",
  "stryker.config.mjs",
  "vitest.mutation.config.ts",
  "tsconfig.json",
  "tsconfig.mutation.json",
  "package-lock.json",
];

function treeId(): string {
  const git = (gitArgs: string[]) =>
    spawnSync("git", gitArgs, { encoding: "utf8", maxBuffer: 1 << 28 }).stdout;
  return createHash("sha256")
    .update(git(["ls-tree", "-r", "HEAD", "--", ...RESULT_INPUTS]))
    .update(git(["diff", "HEAD", "--binary", "--", ...RESULT_INPUTS]))
    .update(git(["ls-files", "--others", "--exclude-standard", "--", ...RESULT_INPUTS]))
    .digest("hex")
    .slice(0, 16);
}

/** Source files with mutants the DB-free tests left alive, packed into chunks of about CHUNK_MUTANTS. */
function planChunks(unit: Report): string[][] {
  const open = Object.entries(unit.files)
    .map(([file, { mutants }]) => ({
      file,
      left: mutants.filter((m) => m.status !== "Killed" && m.status !== "Ignored").length,
    }))
    .filter(({ left }) => left > 0)
    .sort((a, b) => b.left - a.left || a.file.localeCompare(b.file));
  const chunks: { files: string[]; left: number }[] = [];
  for (const { file, left } of open) {
    const roomy = chunks.find((chunk) => chunk.left + left <= CHUNK_MUTANTS);
    if (roomy) {
      roomy.files.push(file);
      roomy.left += left;
    } else chunks.push({ files: [file], left });
  }
  // Largest first: the file with most mutants left (dos.ts) is where most survivors come from,
  // and its list is then ready to work from while the rest runs.
  return chunks.sort((a, b) => b.left - a.left).map((chunk) => chunk.files.sort());
}

/**
 * A new chunk's incremental file: the DB-free results, with every earlier chunk's DB results
 * over them. Chunks are re-planned when the DB-free results move (a new test kills more), and
 * a file's DB results must not be lost with the chunk that held it.
 */
function seed(): Report {
  const merged = readReport(unitIncremental);
  const earlier = readdirSync(chunkDir)
    .filter((file) => /^[0-9a-f]{12}\.json$/.test(file))
    .map((file) => `${chunkDir}/${file}`)
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  for (const path of earlier) {
    const chunk = readReport(path);
    // A report carries every file, the others as its own seed had them: newer than the chunk
    // that ran them, perhaps. Take the chunk's own files, where it says which they were.
    const own = path.replace(/\.json$/, ".files");
    const files = existsSync(own) ? (JSON.parse(readFileSync(own, "utf8")) as string[]) : undefined;
    for (const [file, result] of Object.entries(chunk.files))
      if (files === undefined || files.includes(file)) merged.files[file] = result;
    merged.testFiles = { ...merged.testFiles, ...chunk.testFiles };
  }
  return merged;
}

function runDbInChunks(): string {
  const unit = readReport("reports/mutation/unit/mutation.json");
  const tree = treeId();
  mkdirSync(chunkDir, { recursive: true });
  const chunks = planChunks(unit);
  const merged: Report = { ...unit, files: { ...unit.files }, testFiles: { ...unit.testFiles } };
  for (const [index, files] of chunks.entries()) {
    const name = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
    const report = `${chunkDir}/${name}.json`;
    const stamp = `${chunkDir}/${name}.tree`;
    const label = `chunk ${index + 1} of ${chunks.length} (${files.join(", ")})`;
    if (existsSync(report) && existsSync(stamp) && readFileSync(stamp, "utf8") === tree) {
      console.log(`mutation: ${label}: already run on this tree`);
    } else {
      console.log(`mutation: ${label}`);
      const incremental = `${chunkDir}/${name}.incremental.json`;
      if (!existsSync(incremental)) writeFileSync(incremental, JSON.stringify(seed()));
      stryker({ MUTATION_DB: "1", MUTATION_REPORT: `${chunkDir}/${name}` }, [
        "--incremental",
        "--incrementalFile",
        incremental,
        "--mutate",
        files.join(","),
      ]);
      writeFileSync(stamp, tree);
    }
    writeFileSync(`${chunkDir}/${name}.files`, JSON.stringify(files));
    // A chunk's report carries every file, the others as its seed had them: take its own.
    const chunk = readReport(report);
    for (const file of files) if (chunk.files[file]) merged.files[file] = chunk.files[file];
    Object.assign(merged.testFiles ?? {}, chunk.testFiles);
  }
  const path = "reports/mutation/db/mutation.json";
  writeFileSync(path, JSON.stringify(merged));
  return path;
}

const incremental = ["--incremental", "--incrementalFile", unitIncremental];
stryker({ MUTATION_DB: "0" }, incremental);
let reportPath = "reports/mutation/unit/mutation.json";
if (db && strykerArgs.some((arg) => arg === "--mutate" || arg === "-m")) {
  stryker({ MUTATION_DB: "1" }, incremental);
  reportPath = "reports/mutation/db/mutation.json";
} else if (db) {
  reportPath = runDbInChunks();
}
run({}, "npx", ["tsx", "scripts/mutation-report.ts", reportPath]);
