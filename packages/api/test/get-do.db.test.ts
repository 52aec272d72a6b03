import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, expectProblem, share } from "./helpers.ts";

let t: TestApp;
let deckId: string;
beforeAll(async () => {
  t = await createTestApp();
  deckId = await createDeck(t, users.owner, "One do");
  await share(t, deckId, users.friend.email, users.owner);
  await share(t, deckId, users.unverified.email, users.owner);
});

describe("GET /v1/decks/{deckId}/dos/{doId}", () => {
  it("answers 200 with the do, as created and as listed, to the owner and a collaborator", async () => {
    const item = await createDo(t, users.friend, deckId, "read me");
    const listed = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items;
    for (const user of [users.owner, users.friend]) {
      const reply = await t.call(user, "GET", `/v1/decks/${deckId}/dos/${item.doId}`);
      expect({ status: reply.status, body: reply.body }).toEqual({ status: 200, body: item });
      expect(listed).toContainEqual(reply.body);
    }
  });

  it("shows the do as the last PATCH left it", async () => {
    const item = await createDo(t, users.owner, deckId, "before");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    const patched = await t.call(users.friend, "PATCH", path, { completed: true });
    expect((await t.call(users.owner, "GET", path)).body).toEqual(patched.body);
  });

  it("answers 404 deck_not_found to a stranger, 403 to an unverified collaborator, 404 do_not_found for a missing do", async () => {
    const item = await createDo(t, users.owner, deckId, "private");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    expectProblem(await t.call(users.stranger, "GET", path), 404, "deck_not_found");
    expectProblem(await t.call(users.unverified, "GET", path), 403, "email_not_verified");
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/01HZZZZZZZZZZZZZZZZZZZZZZY`),
      404,
      "do_not_found",
    );
    expectProblem(
      await t.call(users.stranger, "GET", `/v1/decks/${deckId}/dos/01HZZZZZZZZZZZZZZZZZZZZZZY`),
      404,
      "deck_not_found",
    );
    await t.call(users.owner, "DELETE", path);
    expectProblem(await t.call(users.owner, "GET", path), 404, "do_not_found");
  });
});
