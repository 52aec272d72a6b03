import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, share } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("concurrent PATCHes of one do (no If-Match)", () => {
  it("answers 200 to each of 12 parallel PATCHes, each with the do at the version its ETag names", async () => {
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
    // A write that lost the race applies on top of the winner and answers the do as it then
    // is: every reply is one of the texts written, and the newest reply is the stored do.
    const texts = Array.from({ length: 12 }, (_, i) => `edit ${i}`);
    for (const reply of replies) expect(texts).toContain(reply.body.text);
    const version = (reply: { headers: Headers }) =>
      Number(reply.headers.get("etag")?.slice(1, -1));
    const newest = replies.reduce((a, b) => (version(b) > version(a) ? b : a));
    const stored = await t.call(users.owner, "GET", path);
    expect({ body: stored.body, etag: stored.headers.get("etag") }).toEqual({
      body: newest.body,
      etag: newest.headers.get("etag"),
    });
    // Twelve writes, twelve versions after the first.
    expect(version(stored)).toBe(13);
  });
});
