import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { documentAcceptsBody } from "../../../test/support/contract.ts";
import { createDeck, expectProblem } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

/** The server's verdict on a body next to the published document's, for the same body. */
async function verdicts(operationId: string, method: string, path: string, body: unknown) {
  const reply = await t.call(users.owner, method, path, body);
  return { server: reply.status < 300, document: documentAcceptsBody(operationId, body), reply };
}

describe("limits mean the same in the document and on the server", () => {
  const emoji = "😀"; // one character, two UTF-16 code units

  it("measures deck names after trimming, in characters", async () => {
    const cases: [string, boolean][] = [
      [` ${"n".repeat(120)} `, true],
      [`\t${"n".repeat(120)}\n`, true],
      ["n".repeat(121), false],
      ["   ", false],
      ["", false],
      [` a `, true],
      [emoji.repeat(120), true],
      [emoji.repeat(121), false],
      [`a${" ".repeat(118)}b`, true],
    ];
    for (const [name, valid] of cases) {
      const { server, document, reply } = await verdicts("createDeck", "POST", "/v1/decks", {
        name,
      });
      expect({ name, server, document }).toEqual({ name, server: valid, document: valid });
      if (!valid) expectProblem(reply, 422, "validation_failed");
    }
  });

  it("measures do texts after trimming", async () => {
    const deckId = await createDeck(t, users.owner, "Texts");
    const path = `/v1/decks/${deckId}/dos`;
    for (const [text, valid] of [
      [`  ${"t".repeat(1000)}  `, true],
      ["t".repeat(1001), false],
      [" \n ", false],
    ] as [string, boolean][]) {
      const { server, document } = await verdicts("createDo", "POST", path, { text });
      expect({ length: text.length, server, document }).toEqual({
        length: text.length,
        server: valid,
        document: valid,
      });
    }
  });

  it("bounds collaborator emails at 254 characters after trimming", async () => {
    const deckId = await createDeck(t, users.owner, "Emails");
    const path = `/v1/decks/${deckId}/collaborators`;
    const at = (length: number) => `${"e".repeat(length - "@example.com".length)}@example.com`;
    for (const [email, valid] of [
      [at(254), true],
      [`  ${at(253)} `, true],
      [at(255), false],
      ["   ", false],
    ] as [string, boolean][]) {
      const { server, document } = await verdicts("shareDeck", "POST", path, { email });
      expect({ length: email.length, server, document }).toEqual({
        length: email.length,
        server: valid,
        document: valid,
      });
    }
  });

  it("reports an unknown top-level field at its own path", async () => {
    const reply = await t.call(users.owner, "POST", "/v1/decks", { name: "ok", ownerSub: "x" });
    expectProblem(reply, 422, "validation_failed");
    expect(reply.body.errors).toEqual([{ path: "ownerSub", message: "Unknown field" }]);
    expect(documentAcceptsBody("createDeck", { name: "ok", ownerSub: "x" })).toBe(false);
  });
});
