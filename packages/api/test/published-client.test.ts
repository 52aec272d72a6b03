import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DOCUMENT_FILE, generatedSchema, SCHEMA_FILE } from "../../../scripts/client-types.ts";
import { servedDocument } from "../../../scripts/openapi-document.ts";

/**
 * Client authors read the document through the typed client we publish (packages/client): its
 * types and doc comments are generated from /openapi.json. A document that drifts from the
 * committed client (a summary, a description, a problem code, a parameter) changes what they
 * are told, and the committed document (openapi.json beside it) is what other tools read; `npm run client:check` refuses that in `npm run check`, and this test in `npm test`.
 */
describe("the published client", () => {
  it("ships exactly the document the app serves", async () => {
    const committed = await readFile(DOCUMENT_FILE, "utf8");
    expect(await servedDocument()).toBe(committed);
  });

  it("is exactly what the served document generates", async () => {
    const committed = await readFile(SCHEMA_FILE, "utf8");
    expect(await generatedSchema()).toBe(committed);
  });
});
