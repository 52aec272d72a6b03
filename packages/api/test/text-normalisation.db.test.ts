import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, expectProblem } from "./helpers.ts";

// Issue 13 item 8: names and texts are stored in NFC and must hold a visible character.
let t: TestApp;
let deckId: string;
beforeAll(async () => {
  t = await createTestApp();
  deckId = await createDeck(t, users.owner, "Texts");
});

const invisible = [
  ["zero-width space", "\u200B"],
  ["control characters", "\u0007\u0000\u001B"],
  ["bidi and joiner marks", "\u202E\u200D\u2060"],
  ["Hangul filler", "\u3164"],
  ["a lone combining mark", "\u0301"],
  ["a soft hyphen and a BOM", "\u00AD\uFEFF"],
] as const;

describe("names and texts", () => {
  it("stores names and texts in NFC (a decomposed é is stored composed)", async () => {
    const decomposed = "Cafe\u0301";
    const created = await t.call(users.owner, "POST", "/v1/decks", { name: decomposed });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe("Caf\u00E9");
    const renamed = await t.call(users.owner, "PATCH", `/v1/decks/${created.body.deckId}`, {
      name: `Re${decomposed}`,
    });
    expect(renamed.body.name).toBe("ReCaf\u00E9");
    const found = await t.call(
      users.owner,
      "GET",
      `/v1/decks?search=${encodeURIComponent("recafe\u0301")}`,
    );
    expect(found.body.items.map((d: { name: string }) => d.name)).toEqual(["ReCaf\u00E9"]);
    const made = await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: decomposed });
    expect(made.body.text).toBe("Caf\u00E9");
    const patched = await t.call(
      users.owner,
      "PATCH",
      `/v1/decks/${deckId}/dos/${made.body.doId}`,
      {
        text: `x${decomposed}`,
      },
    );
    expect(patched.body.text).toBe("xCaf\u00E9");
  });

  it.each(invisible)("answers 422 to a name or text made only of %s", async (_, value) => {
    const name = await t.call(users.owner, "POST", "/v1/decks", { name: value });
    expectProblem(name, 422, "validation_failed");
    expect(name.body.errors[0].path).toBe("name");
    expectProblem(
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: ` ${value} ` }),
      422,
      "validation_failed",
    );
  });

  it("answers 422 to a lone surrogate, even beside visible characters", async () => {
    // JSON can carry one as an escape; it is not a character and no encoding can store it.
    const body = '{"name":"ok \\ud800"}';
    const reply = await t.call(users.owner, "POST", "/v1/decks", body, {
      "content-type": "application/json",
    });
    expectProblem(reply, 422, "validation_failed");
    expectProblem(
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, '{"text":"\\udfff x"}', {
        "content-type": "application/json",
      }),
      422,
      "validation_failed",
    );
  });

  it("keeps names with visible characters beside invisible ones, and emoji", async () => {
    for (const name of ["a\u200B", "\u{1F600}", "\uE000 private use"]) {
      expect((await t.call(users.owner, "POST", "/v1/decks", { name })).status).toBe(201);
    }
  });
});
