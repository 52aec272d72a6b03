import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The README's client example is this directory's readme-example.ts, which `npm run typecheck`
// compiles against the generated types: the example cannot rot silently.
describe("README client example", () => {
  it("is readme-example.ts, verbatim", () => {
    const readme = readFileSync("README.md", "utf8");
    const example = readFileSync("packages/client/test/readme-example.ts", "utf8");
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});

describe("docs/api.md change-feed client loop", () => {
  it("is sync-example.ts, verbatim", () => {
    const api = readFileSync("docs/api.md", "utf8");
    const example = readFileSync("packages/client/test/sync-example.ts", "utf8");
    expect(api).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});
