import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import { createDeck, expectProblem, share } from "./helpers.ts";

/**
 * Quotas (OWASP API4): decks per owner, dos per deck, enforced by the writes themselves (a
 * counter conditioned in the create's own transaction), so concurrent creates at the limit can
 * never overshoot it. Small limits here; the defaults are 1,000 and 1,000.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MAX_DECKS_PER_OWNER: "3", MAX_DOS_PER_DECK: "5" });
});

const statuses = (replies: { status: number }[]) =>
  replies.map((reply) => reply.status).sort((a, b) => a - b);

describe("dos per deck", () => {
  it("lets exactly the quota's worth of 16 concurrent creates in, 409 do_limit for the rest", async () => {
    const deckId = await createDeck(t, users.owner, "Full deck");
    await share(t, deckId, users.friend.email, users.owner);
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        t.call(i % 2 ? users.friend : users.owner, "POST", `/v1/decks/${deckId}/dos`, {
          text: `race ${i}`,
        }),
      ),
    );
    expect(statuses(replies)).toEqual([...Array(5).fill(201), ...Array(11).fill(409)]);
    for (const reply of replies.filter((r) => r.status === 409))
      expectProblem(reply, 409, "do_limit");
    const dos = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`);
    expect(dos.body.items).toHaveLength(5);
    const stored = (await scanAll(t.store)).filter(
      (item) => item.PK === `DECK#${deckId}` && item.SK === "DECK",
    );
    expect(stored[0]?.doCount).toBe(5);
  }, 60_000);

  it("frees a slot when a do is deleted, and counts only real deletes", async () => {
    const deckId = await createDeck(t, users.owner, "Recycled");
    const path = `/v1/decks/${deckId}/dos`;
    const made = [];
    for (let i = 0; i < 5; i++)
      made.push(await t.call(users.owner, "POST", path, { text: `${i}` }));
    expectProblem(
      await t.call(users.owner, "POST", path, { text: "one too many" }),
      409,
      "do_limit",
    );
    expect((await t.call(users.owner, "DELETE", `${path}/${made[0]!.body.doId}`)).status).toBe(204);
    // A second delete of the same do is 404 and frees nothing.
    expect((await t.call(users.owner, "DELETE", `${path}/${made[0]!.body.doId}`)).status).toBe(404);
    expect((await t.call(users.owner, "POST", path, { text: "in its place" })).status).toBe(201);
    expectProblem(await t.call(users.owner, "POST", path, { text: "full again" }), 409, "do_limit");
    // Editing a do is not creating one.
    const edited = await t.call(users.owner, "PATCH", `${path}/${made[1]!.body.doId}`, {
      completed: true,
    });
    expect(edited.status).toBe(200);
  });

  it("answers 404, not do_limit, to a stranger writing to a full deck", async () => {
    const deckId = await createDeck(t, users.owner, "Full, private");
    for (let i = 0; i < 5; i++)
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: "x" });
    expectProblem(
      await t.call(users.stranger, "POST", `/v1/decks/${deckId}/dos`, { text: "x" }),
      404,
      "deck_not_found",
    );
  });
});

describe("decks per owner", () => {
  it("lets exactly the quota's worth of 10 concurrent creates in, 409 deck_limit for the rest; deleting frees a slot", async () => {
    const owner = { sub: "auth0|quota-owner", email: "quota@example.com" };
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.call(owner, "POST", "/v1/decks", { name: `D${i}` })),
    );
    expect(statuses(replies)).toEqual([...Array(3).fill(201), ...Array(7).fill(409)]);
    for (const reply of replies.filter((r) => r.status === 409))
      expectProblem(reply, 409, "deck_limit");
    const listed = await t.call(owner, "GET", "/v1/decks?visibility=mine");
    expect(listed.body.items).toHaveLength(3);

    // Another owner has a quota of their own; shared decks do not count against anyone else.
    const other = { sub: "auth0|quota-other", email: "other-quota@example.com" };
    const theirs = await createDeck(t, other, "Theirs");
    await share(t, theirs, owner.email, other);
    expectProblem(await t.call(owner, "POST", "/v1/decks", { name: "D9" }), 409, "deck_limit");

    const first = replies.find((reply) => reply.status === 201)!.body.deckId;
    expect((await t.call(owner, "DELETE", `/v1/decks/${first}`)).status).toBe(204);
    expect((await t.call(owner, "POST", "/v1/decks", { name: "In its place" })).status).toBe(201);
    expectProblem(
      await t.call(owner, "POST", "/v1/decks", { name: "Full again" }),
      409,
      "deck_limit",
    );
  }, 60_000);

  it("replays an Idempotency-Key create at the limit instead of refusing it", async () => {
    const owner = { sub: "auth0|quota-keyed", email: "keyed@example.com" };
    const key = { "idempotency-key": "quota-1" };
    for (let i = 0; i < 2; i++) await createDeck(t, owner, `K${i}`);
    const first = await t.call(owner, "POST", "/v1/decks", { name: "Last one" }, key);
    expect(first.status).toBe(201);
    const again = await t.call(owner, "POST", "/v1/decks", { name: "Last one" }, key);
    expect({ status: again.status, replayed: again.headers.get("idempotent-replayed") }).toEqual({
      status: 201,
      replayed: "true",
    });
    expect(again.body).toEqual(first.body);
  });
});
