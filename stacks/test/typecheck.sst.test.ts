/**
 * Type-checks sst.config.ts and stacks/ against the installed SST platform's types (and
 * the infra tests against Node's). Needs .sst/platform, installed offline when missing.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { ensureSstPlatform, repoRoot } from "../../scripts/sst-platform.ts";

const run = promisify(execFile);
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

beforeAll(() => ensureSstPlatform(), 300_000);

it.each(["stacks/tsconfig.json", "stacks/test/tsconfig.json"])(
  "type-checks %s without errors",
  async (project) => {
    const result = await run(process.execPath, [tsc, "-p", project], { cwd: repoRoot }).catch(
      (error: { stdout?: string; stderr?: string }) => error,
    );
    expect(`${result.stdout ?? ""}${result.stderr ?? ""}`).toBe("");
  },
  120_000,
);
