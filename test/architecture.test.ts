import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Source files of a package, with their text. */
function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file: join(dir, file), text: readFileSync(join(dir, file), "utf8") }));
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map(
    (match) => match[1] ?? "",
  );
}

const portable = [...sources("packages/core/src"), ...sources("packages/api/src")];

describe("dependency direction: functions → api → core", () => {
  it("keeps the portable core and app free of node:*, process.env and sst", () => {
    const leaks = portable.flatMap(({ file, text }) => [
      ...importsOf(text)
        .filter((spec) => spec.startsWith("node:") || spec === "sst" || spec.startsWith("sst/"))
        .map((spec) => `${file} imports ${spec}`),
      ...(/process\.env/.test(text) ? [`${file} reads process.env`] : []),
    ]);
    expect(leaks).toEqual([]);
  });

  it("keeps core free of the web framework and of the packages above it", () => {
    const offending = sources("packages/core/src").flatMap(({ file, text }) =>
      importsOf(text)
        .filter((spec) => /^(hono|@hono\/|jose|zod|@dodeck\/(api|functions))/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps the app from importing the runtime adapters", () => {
    const offending = sources("packages/api/src").flatMap(({ file, text }) =>
      importsOf(text)
        .filter((spec) => spec.startsWith("@dodeck/functions"))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps the published client independent of the server (it is generated from the document)", () => {
    const offending = sources("packages/client/src").flatMap(({ file, text }) =>
      importsOf(text)
        .filter((spec) => /^(@dodeck\/|hono|zod|@aws-sdk\/|node:)/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});
