import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";

const execFileAsync = promisify(execFile);

/**
 * `npm run test:mutation:db` runs Stryker without its TypeScript checker, then this script.
 *
 * Why: Stryker's checker re-checks every file that imports a mutated one (here, through the
 * packages' index, nearly all of them), ~3 s per mutant on two cores: the DB-inclusive run
 * of 5,000 mutants would take longer than the tests themselves. Instead each mutant the tests
 * saw is type-checked here, in the file it mutates, with one TypeScript language service
 * (0.1–0.5 s each, one worker per core). A mutant that does not compile is what the checker would have called a
 * CompileError: it is set aside (it could never ship), killed or not, and the score is over
 * the rest, as Stryker computes it. A mutant that only breaks the types of a file importing
 * this one is counted as valid: the score can only come out lower for it, never higher.
 *
 * Prints the per-file table and writes, next to the report, `mutation.checked.json` (the
 * report with those statuses) and `survivors.txt` (what the tests let through, by place).
 */

type Position = { line: number; column: number };
type Mutant = {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: Position; end: Position };
};
type Report = { files: Record<string, { source: string; mutants: Mutant[] }> };

const reportPath = resolve(process.argv[2] ?? "reports/mutation/db/mutation.json");
const report = JSON.parse(readFileSync(reportPath, "utf8")) as Report;

/**
 * The ids of the mutants (of `files`) that do not compile: each is applied alone to its
 * file's source and the file type-checked, with one language service for the whole list.
 */
function compileErrors(files: [string, Report["files"][string]][]): string[] {
  const configPath = resolve("tsconfig.mutation.json");
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configPath}`);

  // The file under test gets new text and a new version per mutant.
  const overrides = new Map<string, { text: string; version: number }>();
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => parsed.options,
    getScriptFileNames: () => parsed.fileNames,
    getScriptVersion: (file) => String(overrides.get(file)?.version ?? 0),
    getScriptSnapshot: (file) => {
      const text = overrides.get(file)?.text ?? ts.sys.readFile(file);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => process.cwd(),
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  const errorsIn = (file: string) =>
    service.getSyntacticDiagnostics(file).length + service.getSemanticDiagnostics(file).length;

  const ids: string[] = [];
  for (const [relativePath, file] of files) {
    const fileName = resolve(relativePath);
    const lineStarts = [0, ...[...file.source.matchAll(/\n/g)].map((m) => m.index + 1)];
    const offsetOf = (at: Position) => (lineStarts[at.line - 1] ?? 0) + at.column - 1;
    let version = 1;
    overrides.set(fileName, { text: file.source, version });
    if (errorsIn(fileName) > 0) {
      throw new Error(`${relativePath} does not type-check unmutated: not the tree it was run on?`);
    }
    for (const mutant of file.mutants) {
      if (!tested.has(mutant.status) || mutant.replacement === undefined) continue;
      const start = offsetOf(mutant.location.start);
      const text =
        file.source.slice(0, start) +
        mutant.replacement +
        file.source.slice(offsetOf(mutant.location.end));
      version += 1;
      overrides.set(fileName, { text, version });
      if (errorsIn(fileName) > 0) ids.push(mutant.id);
    }
    overrides.set(fileName, { text: file.source, version: version + 1 });
  }
  return ids;
}

const tested = new Set(["Killed", "Survived", "Timeout", "NoCoverage"]);

// A worker (see below) checks its share of the files and answers with the ids.
const part = process.env.MUTATION_REPORT_PART;
if (part) {
  const [index, count] = part.split("/").map(Number) as [number, number];
  const mine = Object.entries(report.files).filter((_, i) => i % count === index);
  process.stdout.write(JSON.stringify(compileErrors(mine)));
  process.exit(0);
}

// Type-checking is CPU-bound and a file's mutants share nothing with another file's: one
// worker per core, files dealt out by turns.
const started = performance.now();
const workers = Math.max(1, Math.min(availableParallelism(), 4));
const answers = await Promise.all(
  Array.from({ length: workers }, (_, index) =>
    execFileAsync(process.execPath, [...process.execArgv, process.argv[1] ?? "", reportPath], {
      env: { ...process.env, MUTATION_REPORT_PART: `${index}/${workers}` },
      maxBuffer: 64 * 1024 * 1024,
    }).then(({ stdout }) => JSON.parse(stdout) as string[]),
  ),
);
const invalid = new Set(answers.flat());
let checkedCount = 0;
for (const file of Object.values(report.files)) {
  for (const mutant of file.mutants) {
    if (!tested.has(mutant.status)) continue;
    checkedCount += 1;
    if (invalid.has(mutant.id)) {
      mutant.statusReason = `type error in the mutated file (was ${mutant.status})`;
      mutant.status = "CompileError";
    }
  }
}

type Row = {
  file: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  compileError: number;
  ignored: number;
};
const rows: Row[] = Object.entries(report.files)
  .map(([file, { mutants }]) => {
    const count = (status: string) => mutants.filter((m) => m.status === status).length;
    return {
      file,
      killed: count("Killed"),
      timeout: count("Timeout"),
      survived: count("Survived"),
      noCoverage: count("NoCoverage"),
      compileError: count("CompileError"),
      ignored: count("Ignored"),
    };
  })
  .sort((a, b) => a.file.localeCompare(b.file));

const valid = (r: Row) => r.killed + r.timeout + r.survived + r.noCoverage;
const score = (r: Row) => (valid(r) === 0 ? 100 : (100 * (r.killed + r.timeout)) / valid(r));
const total = rows.reduce(
  (sum, r) => ({
    file: "all files",
    killed: sum.killed + r.killed,
    timeout: sum.timeout + r.timeout,
    survived: sum.survived + r.survived,
    noCoverage: sum.noCoverage + r.noCoverage,
    compileError: sum.compileError + r.compileError,
    ignored: sum.ignored + r.ignored,
  }),
  { file: "", killed: 0, timeout: 0, survived: 0, noCoverage: 0, compileError: 0, ignored: 0 },
);

const header =
  "| file | score | killed | timeout | survived | no coverage | type errors | ignored |";
const line = (r: Row) =>
  `| ${r.file} | ${score(r).toFixed(1)} % | ${r.killed} | ${r.timeout} | ${r.survived} | ${r.noCoverage} | ${r.compileError} | ${r.ignored} |`;
console.log(
  [header, "|---|---|---|---|---|---|---|---|", ...rows.map(line), line(total)].join("\n"),
);
// Stryker counts a timeout as detected (a mutant that hangs is noticed); on a busy machine a
// slow test can time out too, so the score with every timeout taken as a survivor is the floor.
const floor = valid(total) === 0 ? 100 : (100 * total.killed) / valid(total);
console.log(
  `\n${checkedCount} mutants type-checked in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
    `lowest file ${Math.min(...rows.map(score)).toFixed(1)} %; ` +
    `all files ${floor.toFixed(1)} % if every timeout were a survivor`,
);

const outDir = dirname(reportPath);
writeFileSync(join(outDir, "mutation.checked.json"), JSON.stringify(report));
const survivors = Object.entries(report.files).flatMap(([file, { mutants }]) =>
  mutants
    .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
    .map(
      (m) =>
        `${file}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? "").slice(0, 100)}`,
    ),
);
writeFileSync(join(outDir, "survivors.txt"), `${survivors.join("\n")}\n`);
