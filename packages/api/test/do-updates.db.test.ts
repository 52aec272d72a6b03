import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, share } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("concurrent PATCHes of one do (no If-Match)", () => {
  it("answers 200 to each of 12 parallel PATCHes; each reply is the do as that write left it", async () => {
    const deckId = await createDeck(t, users.owner, "Busy");
    await share(t, deckId, users.friend.email, users.owner);
    const item = await createDo(t, users.owner, deckId, "start");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.call(i % 2 ? users.friend : users.owner, "PATCH", path, {
          text: `edit ${i}`,
          ...(i % 3 === 0 ? { completed: true } : {}),
        }),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(12).fill(200));
    replies.forEach((reply, i) => {
      expect(reply.body).toMatchObject({ doId: item.doId, text: `edit ${i}` });
      if (i % 3 === 0) expect(reply.body.completed).toBe(true);
    });
    // The last write wins whole: the stored do is exactly one of the replies.
    const listed = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items;
    expect(replies.map((reply) => reply.body)).toContainEqual(listed[0]);
  });
});
