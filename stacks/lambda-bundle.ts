import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Builds a Lambda bundle the stage deploys: `scripts/build.ts`'s `lambda` target (or the
 * sweeper's, built the same way), the one
 * `npm run build` writes to dist/lambda and `npm run bench:lambda` measures (ESM SDK builds,
 * the environment-only credential provider aliased in). SST deploys it through the
 * Function's `bundle` argument, which makes the CLI skip its own esbuild run and zip the
 * directory as it is. (SST's `nodejs.plugins` cannot do this job: its plugin bridge tests
 * the filter against an undefined path, anomalyco/sst#4514, so the alias never applied.)
 *
 * Built on every `sst deploy` into SST's working directory (.sst/dodeck/lambda), so a stale
 * dist/ can never be deployed. Returns the directory relative to the project root.
 */
export async function buildLambdaBundle(target: "lambda" | "sweeper" = "lambda"): Promise<string> {
  const outRoot = path.join($cli.paths.work, "dodeck");
  await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "scripts/build.ts", `--out=${outRoot}`, target],
    { cwd: $cli.paths.root },
  ).catch((error: Error & { stderr?: string }) => {
    throw new Error(`building the ${target} bundle failed: ${error.stderr || error.message}`);
  });
  // SST zips the whole directory: index.mjs and its source map (~0.5 MB of the ~0.7 MB zip;
  // Node reads the map only under --enable-source-maps, e.g. set while debugging).
  return path.relative($cli.paths.root, path.join(outRoot, target));
}

/** The bundle's entry is `index.mjs` at its root (scripts/build.ts), exporting `handler`. */
export const bundledHandler = "index.handler";
