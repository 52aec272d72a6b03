import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, expectProblem, share } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

/**
 * Emails are compared case-insensitively without look-alikes (SPEC v1.1 "Legacy data and
 * identity"): plain Unicode case mapping would let a look-alike address reach someone else's
 * shared decks.
 */
describe("email identity", () => {
  it("gives a Kelvin-sign look-alike of a collaborator's address nothing of the shared deck", async () => {
    const deckId = await createDeck(t, users.owner, "For Kate");
    await share(t, deckId, "kate@example.com", users.owner);
    const impostor = { sub: "auth0|impostor", email: "\u212Aate@example.com" };

    expectProblem(await t.call(impostor, "GET", `/v1/decks/${deckId}`), 404, "deck_not_found");
    expectProblem(
      await t.call(impostor, "POST", `/v1/decks/${deckId}/dos`, { text: "sneaky" }),
      404,
      "deck_not_found",
    );
    const shared = await t.call(impostor, "GET", "/v1/decks?visibility=shared");
    expect(shared.body.items).toEqual([]);
    const kate = { sub: "auth0|kate", email: "Kate@Example.com" };
    expect((await t.call(kate, "GET", `/v1/decks/${deckId}`)).status).toBe(200);
  });

  it("matches an accented capital in the claim with the address the old service stored lowered", async () => {
    const deckId = await createDeck(t, users.owner, "Pour Émile");
    await share(t, deckId, "émile@example.com", users.owner);
    const emile = { sub: "auth0|emile", email: "Émile@Example.com" };
    expect((await t.call(emile, "GET", `/v1/decks/${deckId}`)).status).toBe(200);
    const again = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
      email: "ÉMILE@EXAMPLE.COM",
    });
    expectProblem(again, 409, "collaborator_exists");
  });

  it("keeps a look-alike address distinct when sharing, so both can be collaborators", async () => {
    const deckId = await createDeck(t, users.owner, "Two Kates");
    await share(t, deckId, "kate@example.com", users.owner);
    const again = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
      email: "\u212Aate@example.com",
    });
    expect(again.status).toBe(201);
    expect(again.body.collaborators).toEqual(["kate@example.com", "\u212Aate@example.com"]);
  });

  it("shares with addresses the old service accepted: '#' in the local part, non-ASCII letters", async () => {
    const deckId = await createDeck(t, users.owner, "Unusual addresses");
    for (const email of ["a#b@example.com", "zoë@example.com", "o'brien+todo@example.co.uk"]) {
      const reply = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
        email,
      });
      expect(reply.status, email).toBe(201);
    }
    const zoe = { sub: "auth0|zoe", email: "zoë@example.com" };
    expect((await t.call(zoe, "GET", `/v1/decks/${deckId}`)).status).toBe(200);
    const hash = { sub: "auth0|hash", email: "A#B@Example.com" };
    expect((await t.call(hash, "GET", `/v1/decks/${deckId}`)).status).toBe(200);
  });

  it("still refuses what is not an address", async () => {
    const deckId = await createDeck(t, users.owner, "Refusals");
    for (const email of ["not an email", "a@b", "a..b@example.com", "@example.com", "a@-x.com"]) {
      const reply = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
        email,
      });
      expectProblem(reply, 422, "validation_failed");
    }
  });
});
