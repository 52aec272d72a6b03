import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build, type Plugin } from "esbuild";

/**
 * A bundled package.json is inlined whole, though its importers read only `version` (the
 * entries, for /healthz; each AWS SDK client, for its user agent): the rest (scripts,
 * dependencies, ~2 KB per SDK client) is parse time on every cold start.
 */
const packageVersionOnly: Plugin = {
  name: "package-version-only",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]package\.json$/ }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, "utf8")) as {
        name?: string;
        version?: string;
      };
      return { contents: JSON.stringify({ name, version }), loader: "json" };
    });
  },
};

/**
 * jose names each error after its class (`this.name = this.constructor.name`), which a
 * minified bundle would log as `Ae` instead of `JWKSInvalid`. esbuild's `keepNames` fixes that
 * for every function and class in the bundle, at a measured 3–5 ms of the Lambda's cold start
 * (docs/performance.md); pinning the names of jose's error classes alone costs nothing.
 */
const joseErrorNames: Plugin = {
  name: "jose-error-names",
  setup(pluginBuild) {
    pluginBuild.onLoad(
      { filter: /[\\/]jose[\\/]dist[\\/].*[\\/]util[\\/]errors\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        const classes = [...source.matchAll(/^(?:export )?class (\w+) extends/gm)].map((m) => m[1]);
        if (classes.length === 0) throw new Error(`${args.path}: no error classes found`);
        const pins = classes
          .map((name) => `Object.defineProperty(${name}, "name", { value: "${name}" });`)
          .join("\n");
        return { contents: `${source}\n${pins}\n`, loader: "js" };
      },
    );
  },
};

/**
 * Production bundles: one ESM file per entry with everything it imports, so the Lambda zip
 * and the container need no node_modules.
 *
 * The AWS SDK is bundled into the Lambda, not taken from the runtime's copy: the DynamoDB
 * client relies on `throwOnRequestTimeout` (a hung table must become a 503, not a hang),
 * which only recent @smithy/node-http-handler releases honour, and the runtime's SDK version
 * is whatever AWS ships that month. Bundling pins the version the tests ran against for
 * ~110 KB of gzip and a few ms of cold start (`npm run bench:lambda` measures both;
 * docs/performance.md has the figures). `lambda-sdk-external` builds the other variant.
 */
export const nodeBundle: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // ESM builds first: the SDK's dist-es tree-shakes, its CommonJS build does not (-60 KB gzip).
  mainFields: ["module", "main"],
  minify: true,
  sourcemap: true,
  treeShaking: true,
  legalComments: "none",
  // `require` is shimmed for the few CommonJS dependencies that call it.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
  plugins: [packageVersionOnly, joseErrorNames],
};

/**
 * workerd: web-platform builds of every dependency (the SDK's browser runtime config uses
 * `fetch`, not node:http); `nodejs_compat` in the worker's config covers the few node:
 * built-ins that remain.
 */
const worker: BuildOptions = {
  ...nodeBundle,
  platform: "browser",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  banner: {},
};

export const targets: Record<string, BuildOptions> = {
  lambda: {
    ...nodeBundle,
    entryPoints: ["packages/functions/src/lambda.ts"],
    outfile: "dist/lambda/index.mjs",
    // Lambda puts the role's credentials in the environment: the SDK's default provider chain
    // (SSO, STS, ini, IMDS, ECS: 136 KB raw, 38 KB gzip) is parse time for nothing.
    alias: {
      "@aws-sdk/credential-provider-node":
        "./packages/functions/src/adapters/lambda-credentials.ts",
    },
  },
  // The scheduled sweeper (stacks/sweeper.ts): the same bundling, another entry.
  sweeper: {
    ...nodeBundle,
    entryPoints: ["packages/functions/src/sweeper.ts"],
    outfile: "dist/sweeper/index.mjs",
    alias: {
      "@aws-sdk/credential-provider-node":
        "./packages/functions/src/adapters/lambda-credentials.ts",
    },
  },
  "lambda-sdk-external": {
    ...nodeBundle,
    entryPoints: ["packages/functions/src/lambda.ts"],
    outfile: "dist/lambda-sdk-external/index.mjs",
    external: ["@aws-sdk/*", "@smithy/*"],
  },
  server: {
    ...nodeBundle,
    entryPoints: ["packages/functions/src/server.ts"],
    outfile: "dist/server/index.mjs",
  },
  worker: {
    ...worker,
    entryPoints: ["packages/functions/src/worker.ts"],
    outfile: "dist/worker/index.mjs",
  },
};

/**
 * Files a target needs beside its bundle. The Node server serves Swagger UI's files at /docs
 * (offline, from the pinned npm package); the Lambda and worker bundles link to the same
 * pinned files with integrity hashes instead (packages/api/src/docs.ts says why).
 */
const swaggerUiDir = () =>
  dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const besideBundle: Record<string, { from: () => string; files: string[]; dir: string }[]> = {
  server: [
    {
      from: swaggerUiDir,
      files: ["swagger-ui.css", "swagger-ui-bundle.js"],
      // packages/functions/src/adapters/docs-assets.ts reads them from here.
      dir: "docs-assets",
    },
  ],
};

/**
 * Builds the named targets (all but the external-SDK variant by default) and returns each
 * one's path and size. `outRoot` replaces `dist/`, so tests build into their own directory
 * and never race a concurrent `npm run build`.
 */
export async function buildTargets(
  names: string[] = ["lambda", "server", "worker"],
  outRoot = "dist",
) {
  const sizes: Record<string, { outfile: string; bytes: number; gzipBytes: number }> = {};
  for (const name of names) {
    const options = targets[name];
    if (!options?.outfile)
      throw new Error(`unknown build target ${name}; one of ${Object.keys(targets)}`);
    const outfile = join(outRoot, relative("dist", options.outfile));
    const result = await build({ ...options, outfile, metafile: true, write: false });
    for (const file of result.outputFiles) {
      await mkdir(dirname(file.path), { recursive: true });
      await writeFile(file.path, file.contents);
    }
    for (const extra of besideBundle[name] ?? []) {
      const dir = join(dirname(outfile), extra.dir);
      await mkdir(dir, { recursive: true });
      for (const file of extra.files) await copyFile(join(extra.from(), file), join(dir, file));
    }
    const main = result.outputFiles.find((file) => file.path.endsWith(".mjs"));
    sizes[name] = {
      outfile,
      bytes: main?.contents.length ?? 0,
      gzipBytes: main ? gzipSync(main.contents).length : 0,
    };
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `--out=DIR` replaces dist/ (the SST program builds the Lambda bundle it deploys this way).
  const args = process.argv.slice(2);
  const out = args.find((arg) => arg.startsWith("--out="))?.slice("--out=".length);
  const names = args.filter((arg) => !arg.startsWith("--out="));
  const sizes = await buildTargets(names.length > 0 ? names : undefined, out);
  for (const size of Object.values(sizes)) {
    console.log(
      `built ${size.outfile} (${(size.bytes / 1024).toFixed(0)} KiB, ${(size.gzipBytes / 1024).toFixed(0)} KiB gzip)`,
    );
  }
}
