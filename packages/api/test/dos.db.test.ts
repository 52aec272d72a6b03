import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import { createDeck, createDo, expectProblem, ISO_UTC, itemsOf, share, ULID } from "./helpers.ts";

let t: TestApp;
let deckId: string;
beforeAll(async () => {
  t = await createTestApp();
  deckId = await createDeck(t, users.owner, "Chores");
  await share(t, deckId, users.friend.email, users.owner);
  await share(t, deckId, users.unverified.email, users.owner);
});

const dosPath = (id = deckId) => `/v1/decks/${id}/dos`;
const MISSING_DECK = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
const MISSING_DO = "01HZZZZZZZZZZZZZZZZZZZZZZY";

describe("POST /v1/decks/{deckId}/dos", () => {
  it("adds a do for the owner or a collaborator: 201, completed false, trimmed text", async () => {
    for (const user of [users.owner, users.friend]) {
      const reply = await t.call(user, "POST", dosPath(), { text: "  Take out trash  " });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({
        doId: expect.stringMatching(ULID),
        deckId,
        text: "Take out trash",
        completed: false,
        position: expect.stringMatching(/^[0-9A-Za-z]+$/),
        dueAt: null,
        createdAt: expect.stringMatching(ISO_UTC),
        updatedAt: reply.body.createdAt,
      });
    }
  });

  it("accepts 1 and 1000 characters and rejects blank or 1001 with 422", async () => {
    expect((await t.call(users.owner, "POST", dosPath(), { text: "x" })).status).toBe(201);
    const max = await t.call(users.owner, "POST", dosPath(), { text: ` ${"t".repeat(1000)} ` });
    expect(max.status).toBe(201);
    expect(max.body.text).toHaveLength(1000);
    for (const body of [{ text: "" }, { text: " \t " }, { text: "t".repeat(1001) }, { text: 1 }]) {
      const reply = await t.call(users.owner, "POST", dosPath(), body);
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors[0].path).toBe("text");
    }
  });

  it("rejects server-owned fields with 422 and stores nothing", async () => {
    const before = (await scanAll(t.store)).length;
    for (const extra of [
      { doId: MISSING_DO },
      { deckId: MISSING_DECK },
      { completed: true },
      { createdAt: "2000-01-01T00:00:00.000Z" },
      { updatedAt: "2000-01-01T00:00:00.000Z" },
    ]) {
      expectProblem(
        await t.call(users.owner, "POST", dosPath(), { text: "sneaky", ...extra }),
        422,
        "validation_failed",
      );
    }
    expect((await scanAll(t.store)).length).toBe(before);
  });

  it("answers 403 email_not_verified to an unverified collaborator and 404 to a stranger, storing nothing", async () => {
    const before = (await itemsOf(t, deckId)).length;
    expectProblem(
      await t.call(users.unverified, "POST", dosPath(), { text: "x" }),
      403,
      "email_not_verified",
    );
    expectProblem(
      await t.call(users.stranger, "POST", dosPath(), { text: "x" }),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.noEmail, "POST", dosPath(), { text: "x" }),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.owner, "POST", dosPath(MISSING_DECK), { text: "x" }),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.owner, "POST", dosPath("not-a-deck"), { text: "x" }),
      404,
      "deck_not_found",
    );
    expect((await itemsOf(t, deckId)).length).toBe(before);
    expect((await scanAll(t.store)).filter((item) => item.PK === `DECK#${MISSING_DECK}`)).toEqual(
      [],
    );
  });
});

describe("GET /v1/decks/{deckId}/dos", () => {
  it("lists dos in creation order with time-ordered ids", async () => {
    const deck = await createDeck(t, users.owner, "Ordered");
    const made = [];
    for (let i = 0; i < 12; i++) made.push(await createDo(t, users.owner, deck, `step ${i}`));
    const ids = made.map((item) => item.doId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const reply = await t.call(users.owner, "GET", dosPath(deck));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: made, nextCursor: null });
  });

  it("shows the same list to a collaborator, 403 to an unverified one and 404 to a stranger", async () => {
    await createDo(t, users.owner, deckId, "visible");
    const owner = await t.call(users.owner, "GET", dosPath());
    const friend = await t.call(users.friend, "GET", dosPath());
    expect(friend.status).toBe(200);
    expect(friend.body).toEqual(owner.body);
    expectProblem(await t.call(users.unverified, "GET", dosPath()), 403, "email_not_verified");
    expectProblem(await t.call(users.stranger, "GET", dosPath()), 404, "deck_not_found");
    expectProblem(await t.call(users.owner, "GET", dosPath(MISSING_DECK)), 404, "deck_not_found");
  });

  it("answers an empty list for a deck without dos", async () => {
    const empty = await createDeck(t, users.owner, "Empty");
    expect((await t.call(users.owner, "GET", dosPath(empty))).body).toEqual({
      items: [],
      nextCursor: null,
    });
  });
});

describe("PATCH /v1/decks/{deckId}/dos/{doId}", () => {
  it("completes a do and changes its text, for owner and collaborator (200)", async () => {
    const item = await createDo(t, users.owner, deckId, "call mum");
    const completed = await t.call(users.friend, "PATCH", `${dosPath()}/${item.doId}`, {
      completed: true,
    });
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual({
      ...item,
      completed: true,
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(completed.body.updatedAt >= item.updatedAt).toBe(true);

    const retexted = await t.call(users.owner, "PATCH", `${dosPath()}/${item.doId}`, {
      text: "  call dad ",
    });
    expect(retexted.body).toMatchObject({ text: "call dad", completed: true, doId: item.doId });

    const both = await t.call(users.owner, "PATCH", `${dosPath()}/${item.doId}`, {
      text: "call both",
      completed: false,
    });
    expect(both.body).toMatchObject({ text: "call both", completed: false });
    const listed = (await t.call(users.owner, "GET", dosPath())).body.items;
    expect(listed.find((x: { doId: string }) => x.doId === item.doId)).toEqual(both.body);
  });

  it("answers 400 no_updates_provided for an empty object", async () => {
    const item = await createDo(t, users.owner, deckId, "unchanged");
    expectProblem(
      await t.call(users.owner, "PATCH", `${dosPath()}/${item.doId}`, {}),
      400,
      "no_updates_provided",
    );
  });

  it("answers 422 for bad text, a non-boolean completed or a server-owned field", async () => {
    const item = await createDo(t, users.owner, deckId, "strict");
    for (const body of [
      { text: "" },
      { text: "t".repeat(1001) },
      { completed: "yes" },
      { completed: null },
      { doId: MISSING_DO },
      { text: "ok", deckId: MISSING_DECK },
      { createdAt: "2000-01-01T00:00:00.000Z" },
    ]) {
      expectProblem(
        await t.call(users.owner, "PATCH", `${dosPath()}/${item.doId}`, body),
        422,
        "validation_failed",
      );
    }
    const listed = (await t.call(users.owner, "GET", dosPath())).body.items;
    expect(listed.find((x: { doId: string }) => x.doId === item.doId)).toEqual(item);
  });

  it("answers 404 do_not_found for an unknown or malformed do id", async () => {
    expectProblem(
      await t.call(users.owner, "PATCH", `${dosPath()}/${MISSING_DO}`, { completed: true }),
      404,
      "do_not_found",
    );
    expectProblem(
      await t.call(users.owner, "PATCH", `${dosPath()}/nope`, { completed: true }),
      404,
      "do_not_found",
    );
  });

  it("answers 404 do_not_found to a PATCH after the do was deleted, and does not recreate it", async () => {
    const item = await createDo(t, users.owner, deckId, "gone soon");
    expect((await t.call(users.friend, "DELETE", `${dosPath()}/${item.doId}`)).status).toBe(204);
    expectProblem(
      await t.call(users.owner, "PATCH", `${dosPath()}/${item.doId}`, { completed: true }),
      404,
      "do_not_found",
    );
    expect(
      (await scanAll(t.store)).filter((row) => row.type === "do" && row.doId === item.doId),
    ).toEqual([]);
  });

  it("answers 403 email_not_verified to an unverified collaborator and 404 deck_not_found to a stranger", async () => {
    const item = await createDo(t, users.owner, deckId, "guarded");
    expectProblem(
      await t.call(users.unverified, "PATCH", `${dosPath()}/${item.doId}`, { completed: true }),
      403,
      "email_not_verified",
    );
    expectProblem(
      await t.call(users.stranger, "PATCH", `${dosPath()}/${item.doId}`, { completed: true }),
      404,
      "deck_not_found",
    );
    // A do id from another deck is not found through this deck.
    const otherDeck = await createDeck(t, users.owner, "Other");
    expectProblem(
      await t.call(users.owner, "PATCH", `${dosPath(otherDeck)}/${item.doId}`, { completed: true }),
      404,
      "do_not_found",
    );
    expect(
      (await scanAll(t.store)).filter((row) => row.PK === `DECK#${otherDeck}` && row.type === "do"),
    ).toEqual([]);
    const listed = (await t.call(users.owner, "GET", dosPath())).body.items;
    expect(listed.find((x: { doId: string }) => x.doId === item.doId)?.completed).toBe(false);
  });
});

describe("DELETE /v1/decks/{deckId}/dos/{doId}", () => {
  it("deletes a do for owner or collaborator (204), and a second delete is 404 do_not_found", async () => {
    for (const user of [users.owner, users.friend]) {
      const item = await createDo(t, users.owner, deckId, "delete me");
      const reply = await t.call(user, "DELETE", `${dosPath()}/${item.doId}`);
      expect(reply.status).toBe(204);
      expect(reply.body).toBeUndefined();
      expect(
        (await scanAll(t.store)).filter((row) => row.type === "do" && row.doId === item.doId),
      ).toEqual([]);
      expectProblem(await t.call(user, "DELETE", `${dosPath()}/${item.doId}`), 404, "do_not_found");
    }
    expectProblem(await t.call(users.owner, "DELETE", `${dosPath()}/bad-id`), 404, "do_not_found");
  });

  it("answers 403 email_not_verified to an unverified collaborator and 404 to a stranger, keeping the do", async () => {
    const item = await createDo(t, users.owner, deckId, "keep me");
    expectProblem(
      await t.call(users.unverified, "DELETE", `${dosPath()}/${item.doId}`),
      403,
      "email_not_verified",
    );
    expectProblem(
      await t.call(users.stranger, "DELETE", `${dosPath()}/${item.doId}`),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.owner, "DELETE", `${dosPath(MISSING_DECK)}/${item.doId}`),
      404,
      "deck_not_found",
    );
    expect(
      (await scanAll(t.store)).filter((row) => row.type === "do" && row.doId === item.doId),
    ).toHaveLength(1);
  });
});
