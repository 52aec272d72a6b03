import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servedDocument } from "./openapi-document.ts";

/**
 * `npm run lint:openapi`: the served /openapi.json through the two linters client authors use,
 * Spectral (`spectral:oas`) and Redocly (`recommended`). Errors fail; warnings are listed.
 */
const dir = await mkdtemp(join(tmpdir(), "dodeck-openapi-"));
try {
  const file = join(dir, "openapi.json");
  const ruleset = join(dir, ".spectral.yaml");
  await writeFile(file, await servedDocument());
  await writeFile(ruleset, 'extends: ["spectral:oas"]\n');

  const spectral = run("spectral", ["lint", "-r", ruleset, "-f", "json", "--quiet", file]);
  const findings = JSON.parse(spectral || "[]") as {
    code: string;
    message: string;
    severity: number;
    path: string[];
  }[];
  const spectralErrors = findings.filter((finding) => finding.severity === 0);
  for (const finding of findings) {
    const level = finding.severity === 0 ? "error" : "warning";
    console.log(
      `spectral ${level} ${finding.code}: ${finding.message} (${finding.path.join(".")})`,
    );
  }

  const redocly = run("redocly", ["lint", "--extends=recommended", "--format=json", file]);
  const report = JSON.parse(redocly) as {
    totals: { errors: number; warnings: number };
    problems: {
      ruleId: string;
      message: string;
      severity: string;
      location: { pointer: string }[];
    }[];
  };
  for (const problem of report.problems) {
    console.log(
      `redocly ${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer ?? ""})`,
    );
  }

  const spectralWarnings = findings.length - spectralErrors.length;
  console.log(
    `spectral: ${spectralErrors.length} errors, ${spectralWarnings} warnings; redocly: ${report.totals.errors} errors, ${report.totals.warnings} warnings`,
  );
  if (spectralErrors.length > 0 || report.totals.errors > 0) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Runs a linter from node_modules/.bin; its stdout is the JSON report whatever it found. */
function run(bin: string, args: string[]): string {
  const result = spawnSync(join("node_modules", ".bin", bin), args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  if (result.error) throw result.error;
  const out = result.stdout.trim();
  if (!out.startsWith("[") && !out.startsWith("{")) {
    throw new Error(
      `${bin} exited ${result.status} without a report: ${result.stderr.slice(-2_000)}`,
    );
  }
  return out;
}
