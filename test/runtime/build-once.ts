import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTargets } from "../../scripts/build.ts";

/** Builds production bundles into a private directory (esbuild: well under a second each). */
export async function buildBundle(
  target: "lambda" | "server" | "worker" | "sweeper",
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "dodeck-build-"));
  const built = await buildTargets([target], root);
  const outfile = built[target]?.outfile;
  if (!outfile) throw new Error(`no bundle for ${target}`);
  return outfile;
}
