import { type BuildOptions, build } from "esbuild";

/**
 * Production bundles: one ESM file per entry with everything it imports, so the Lambda zip
 * and the container need no node_modules. `require` is shimmed for the few CommonJS
 * dependencies that call it.
 */
const common: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  sourcemap: true,
  treeShaking: true,
  legalComments: "none",
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
};

const targets = process.argv.slice(2);
const entries: Record<string, BuildOptions> = {
  lambda: { entryPoints: ["packages/functions/src/lambda.ts"], outfile: "dist/lambda/index.mjs" },
  server: { entryPoints: ["packages/functions/src/server.ts"], outfile: "dist/server/index.mjs" },
};

for (const [name, options] of Object.entries(entries)) {
  if (targets.length > 0 && !targets.includes(name)) continue;
  const result = await build({ ...common, ...options, metafile: true });
  const bytes = Object.values(result.metafile.outputs).find((out) => out.entryPoint)?.bytes ?? 0;
  console.log(`built ${options.outfile} (${Math.round(bytes / 1024)} KiB)`);
}
