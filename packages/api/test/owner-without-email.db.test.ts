import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app.ts";
import { createDeck, expectProblem, share } from "./helpers.ts";

// Issue 13 item 8: an owner without an email claim shares with their own address. The decision
// (docs/api.md "Limits"): allowed, since DoDeck cannot know the address is theirs; this pins
// that nothing becomes inconsistent when a later token carries it.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("an owner whose token has no email claim", () => {
  it("can share with their own address; a later token with it is still the owner", async () => {
    const bare = { sub: "auth0|bare" };
    const withEmail = { sub: "auth0|bare", email: "bare@example.com" };
    const deckId = await createDeck(t, bare, "Mine");
    await share(t, deckId, withEmail.email, bare);

    const detail = await t.call(withEmail, "GET", `/v1/decks/${deckId}`);
    expect(detail.body).toMatchObject({ isOwner: true, collaborators: [withEmail.email] });
    const listed = await t.call(withEmail, "GET", "/v1/decks");
    expect(listed.body.items.map((d: { isOwner: boolean }) => d.isOwner)).toEqual([true, false]);
    // With the address the self-share is refused again, and the owner can still undo it.
    expectProblem(
      await t.call(withEmail, "POST", `/v1/decks/${deckId}/collaborators`, {
        email: withEmail.email,
      }),
      400,
      "cannot_add_self",
    );
    expect(
      (await t.call(withEmail, "DELETE", `/v1/decks/${deckId}/collaborators/${withEmail.email}`))
        .status,
    ).toBe(204);
    expect((await t.call(withEmail, "GET", "/v1/decks")).body.items).toHaveLength(1);
    expect((await t.call(withEmail, "DELETE", `/v1/decks/${deckId}`)).status).toBe(204);
  });
});
