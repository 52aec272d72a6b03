import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DocsAssetName, DocsAssets } from "@dodeck/api";

/** Where the built server keeps Swagger UI's files: beside its bundle (scripts/build.ts). */
export const DOCS_ASSET_DIR = "docs-assets";

/**
 * Swagger UI's files for the Node runtimes, read on first request and kept: from beside the
 * bundle in the container image (no node_modules there), else from the installed
 * `swagger-ui-dist` package (`npm run dev`, tests).
 */
export function nodeDocsAssets(): DocsAssets {
  const cache = new Map<DocsAssetName, Promise<Uint8Array | undefined>>();
  const read = async (name: DocsAssetName) => {
    for (const dir of candidates()) {
      try {
        return new Uint8Array(await readFile(join(dir, name)));
      } catch {
        // Not in this place; try the next.
      }
    }
    return undefined;
  };
  return (name) => {
    let file = cache.get(name);
    if (!file) {
      file = read(name);
      cache.set(name, file);
    }
    return file;
  };
}

function candidates(): string[] {
  const dirs = [join(dirname(fileURLToPath(import.meta.url)), DOCS_ASSET_DIR)];
  try {
    dirs.push(dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json")));
  } catch {
    // No node_modules (the container): the bundle's own copy is the only one.
  }
  return dirs;
}
