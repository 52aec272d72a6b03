import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, expectProblem, ISO_UTC, itemsOf, share } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const collaboratorsPath = (deckId: string) => `/v1/decks/${deckId}/collaborators`;

describe("POST /v1/decks/{deckId}/collaborators", () => {
  it("shares with a lower-cased email and answers 201 with the deck detail", async () => {
    const deckId = await createDeck(t, users.owner, "Share me");
    const before = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    const reply = await t.call(users.owner, "POST", collaboratorsPath(deckId), {
      email: "  Friend@Example.com ",
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      ...before.body,
      collaborators: ["friend@example.com"],
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    // The friend's token carries "Friend@Example.com": emails match case-insensitively.
    const asFriend = await t.call(users.friend, "GET", `/v1/decks/${deckId}`);
    expect(asFriend.status).toBe(200);
    expect(asFriend.body.isOwner).toBe(false);
  });

  it("keeps collaborators sorted and counts them in every member's summary", async () => {
    const deckId = await createDeck(t, users.owner, "Counted");
    for (const email of ["mia@example.com", "Friend@Example.com", "abe@example.com"]) {
      await share(t, deckId, email, users.owner);
    }
    const detail = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(detail.body.collaborators).toEqual([
      "abe@example.com",
      "friend@example.com",
      "mia@example.com",
    ]);
    const friendList = await t.call(users.friend, "GET", "/v1/decks?visibility=shared");
    const summary = friendList.body.items.find(
      (item: { deckId: string }) => item.deckId === deckId,
    );
    expect(summary).toEqual({ deckId, name: "Counted", isOwner: false, collaborators: 3 });
    const ownerList = await t.call(users.owner, "GET", "/v1/decks?search=counted");
    expect(ownerList.body.items).toEqual([
      { deckId, name: "Counted", isOwner: true, collaborators: 3 },
    ]);
  });

  it("answers 409 collaborator_exists for an email already shared, in any case", async () => {
    const deckId = await createDeck(t, users.owner, "Twice");
    await share(t, deckId, "friend@example.com", users.owner);
    const again = await t.call(users.owner, "POST", collaboratorsPath(deckId), {
      email: "FRIEND@EXAMPLE.COM",
    });
    expectProblem(again, 409, "collaborator_exists");
    const detail = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(detail.body.collaborators).toEqual(["friend@example.com"]);
  });

  it("answers 400 cannot_add_self when the owner shares with their own email", async () => {
    const deckId = await createDeck(t, users.owner, "Self");
    expectProblem(
      await t.call(users.owner, "POST", collaboratorsPath(deckId), { email: "OWNER@example.com" }),
      400,
      "cannot_add_self",
    );
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.collaborators).toEqual(
      [],
    );
  });

  it("answers 422 validation_failed for a bad email, an extra field or no email", async () => {
    const deckId = await createDeck(t, users.owner, "Bad emails");
    for (const body of [
      { email: "not-an-email" },
      { email: "" },
      { email: `${"a".repeat(250)}@example.com` },
      { email: 42 },
      { email: "ok@example.com", role: "admin" },
      {},
    ]) {
      expectProblem(
        await t.call(users.owner, "POST", collaboratorsPath(deckId), body),
        422,
        "validation_failed",
      );
    }
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.collaborators).toEqual(
      [],
    );
  });

  it("answers 403 owner_only to a collaborator, email_not_verified to an unverified one, 404 to a stranger", async () => {
    const deckId = await createDeck(t, users.owner, "Owner shares");
    await share(t, deckId, users.friend.email, users.owner);
    await share(t, deckId, users.unverified.email, users.owner);
    const body = { email: "new@example.com" };
    expectProblem(
      await t.call(users.friend, "POST", collaboratorsPath(deckId), body),
      403,
      "owner_only",
    );
    expectProblem(
      await t.call(users.unverified, "POST", collaboratorsPath(deckId), body),
      403,
      "email_not_verified",
    );
    expectProblem(
      await t.call(users.stranger, "POST", collaboratorsPath(deckId), body),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.owner, "POST", collaboratorsPath("01HZZZZZZZZZZZZZZZZZZZZZZZ"), body),
      404,
      "deck_not_found",
    );
  });

  it("answers 409 collaborator_limit beyond 48 collaborators, and shares up to it", async () => {
    const other = await createTestApp();
    const deckId = await createDeck(other, users.owner, "Full");
    for (let i = 0; i < 48; i++) await share(other, deckId, `c${i}@example.com`, users.owner);
    const over = await other.call(users.owner, "POST", collaboratorsPath(deckId), {
      email: "one-more@example.com",
    });
    expectProblem(over, 409, "collaborator_limit");
    expect(over.body.detail).toMatch(/48/);
    const detail = await other.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(detail.body.collaborators).toHaveLength(48);
    // The deck still deletes in one transaction at the bound.
    expect((await other.call(users.owner, "DELETE", `/v1/decks/${deckId}`)).status).toBe(204);
    expect(await itemsOf(other, deckId)).toEqual([]);
  }, 60_000); // 48 sequential shares: slow on a loaded machine
});

describe("DELETE /v1/decks/{deckId}/collaborators/{email}", () => {
  it("unshares with the email in any case (204); the former collaborator then gets 404", async () => {
    const deckId = await createDeck(t, users.owner, "Unshare");
    await share(t, deckId, "Friend@Example.com", users.owner);
    await share(t, deckId, "stay@example.com", users.owner);
    await createDo(t, users.friend, deckId, "made by friend");

    const reply = await t.call(
      users.owner,
      "DELETE",
      `${collaboratorsPath(deckId)}/FRIEND@example.com`,
    );
    expect(reply.status).toBe(204);
    expect(reply.body).toBeUndefined();

    const detail = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(detail.body.collaborators).toEqual(["stay@example.com"]);
    expectProblem(await t.call(users.friend, "GET", `/v1/decks/${deckId}`), 404, "deck_not_found");
    expectProblem(
      await t.call(users.friend, "POST", `/v1/decks/${deckId}/dos`, { text: "late" }),
      404,
      "deck_not_found",
    );
    const shared = await t.call(users.friend, "GET", "/v1/decks?visibility=shared");
    expect(shared.body.items.map((item: { deckId: string }) => item.deckId)).not.toContain(deckId);
    const rows = (await itemsOf(t, deckId)).filter((item) => item.type === "access");
    expect(rows.map((row) => [row.PK, row.collaboratorCount]).sort()).toEqual([
      ["ACCESS#EMAIL#stay@example.com", 1],
      [`ACCESS#USER#${users.owner.sub}`, 1],
    ]);
  });

  it("accepts a percent-encoded email and one with a plus sign", async () => {
    const deckId = await createDeck(t, users.owner, "Encoded");
    await share(t, deckId, "a+b@example.com", users.owner);
    await share(t, deckId, "c@example.com", users.owner);
    expect(
      (await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/a+b@example.com`)).status,
    ).toBe(204);
    expect(
      (await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/c%40example.com`)).status,
    ).toBe(204);
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.collaborators).toEqual(
      [],
    );
  });

  it("answers 404 collaborator_not_found for an email that is not shared", async () => {
    const deckId = await createDeck(t, users.owner, "Nobody");
    await share(t, deckId, "friend@example.com", users.owner);
    expectProblem(
      await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/other@example.com`),
      404,
      "collaborator_not_found",
    );
    await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/friend@example.com`);
    expectProblem(
      await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/friend@example.com`),
      404,
      "collaborator_not_found",
    );
  });

  it("answers 403 owner_only to a collaborator (even removing themselves) and 404 to a stranger", async () => {
    const deckId = await createDeck(t, users.owner, "Owner unshares");
    await share(t, deckId, users.friend.email, users.owner);
    expectProblem(
      await t.call(users.friend, "DELETE", `${collaboratorsPath(deckId)}/friend@example.com`),
      403,
      "owner_only",
    );
    expectProblem(
      await t.call(users.stranger, "DELETE", `${collaboratorsPath(deckId)}/friend@example.com`),
      404,
      "deck_not_found",
    );
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.collaborators).toEqual([
      "friend@example.com",
    ]);
  });

  it("lets the owner share again after unsharing", async () => {
    const deckId = await createDeck(t, users.owner, "Again");
    await share(t, deckId, "friend@example.com", users.owner);
    await t.call(users.owner, "DELETE", `${collaboratorsPath(deckId)}/friend@example.com`);
    await share(t, deckId, "friend@example.com", users.owner);
    expect((await t.call(users.friend, "GET", `/v1/decks/${deckId}`)).status).toBe(200);
  });
});
