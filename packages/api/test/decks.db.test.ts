import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import { createDeck, createDo, expectProblem, ISO_UTC, itemsOf, share, ULID } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("POST /v1/decks", () => {
  it("creates a deck owned by the caller and answers 201 with its detail", async () => {
    const reply = await t.call(users.owner, "POST", "/v1/decks", { name: "Groceries" });
    expect(reply.status).toBe(201);
    expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
    expect(reply.body).toEqual({
      deckId: expect.stringMatching(ULID),
      name: "Groceries",
      isOwner: true,
      ownerSub: users.owner.sub,
      collaborators: [],
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: reply.body.createdAt,
    });
    const read = await t.call(users.owner, "GET", `/v1/decks/${reply.body.deckId}`);
    expect(read.body).toEqual(reply.body);
  });

  it("trims the name and accepts 1 and 120 characters after trimming", async () => {
    const padded = await t.call(users.owner, "POST", "/v1/decks", { name: "  Trim me \n" });
    expect(padded.body.name).toBe("Trim me");
    const one = await t.call(users.owner, "POST", "/v1/decks", { name: " x " });
    expect(one.status).toBe(201);
    const longest = "n".repeat(120);
    const max = await t.call(users.owner, "POST", "/v1/decks", { name: `  ${longest}  ` });
    expect(max.status).toBe(201);
    expect(max.body.name).toBe(longest);
  });

  it("answers 422 validation_failed for an empty, blank, 121-character or non-string name", async () => {
    for (const body of [
      { name: "" },
      { name: "   " },
      { name: "n".repeat(121) },
      { name: 5 },
      {},
    ]) {
      const reply = await t.call(users.stranger, "POST", "/v1/decks", body);
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors[0].path).toBe("name");
    }
    expect((await t.call(users.stranger, "GET", "/v1/decks")).body.items).toEqual([]);
  });

  it("rejects server-owned fields with 422 and stores nothing", async () => {
    const before = (await scanAll(t.store)).length;
    for (const extra of [
      { ownerSub: users.stranger.sub },
      { deckId: "01HZZZZZZZZZZZZZZZZZZZZZZZ" },
      { createdAt: "2000-01-01T00:00:00.000Z" },
      { updatedAt: "2000-01-01T00:00:00.000Z" },
      { collaborators: ["evil@example.com"] },
      { isOwner: false },
    ]) {
      const reply = await t.call(users.owner, "POST", "/v1/decks", { name: "Sneaky", ...extra });
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors.map((e: { path: string }) => e.path).join()).not.toBe("name");
    }
    expect((await scanAll(t.store)).length).toBe(before);
  });
});

describe("GET /v1/decks/{deckId}", () => {
  it("shows the owner, a verified collaborator and the sorted collaborator list", async () => {
    const deckId = await createDeck(t, users.owner, "Shared read");
    await share(t, deckId, "zed@example.com", users.owner);
    await share(t, deckId, users.friend.email, users.owner);
    await share(t, deckId, "amy@example.com", users.owner);

    const mine = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(mine.status).toBe(200);
    expect(mine.body.isOwner).toBe(true);
    expect(mine.body.collaborators).toEqual([
      "amy@example.com",
      "friend@example.com",
      "zed@example.com",
    ]);

    const theirs = await t.call(users.friend, "GET", `/v1/decks/${deckId}`);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual({ ...mine.body, isOwner: false });
  });

  it("answers 404 deck_not_found to a stranger, so deck ids cannot be probed", async () => {
    const deckId = await createDeck(t, users.owner, "Private");
    const stranger = await t.call(users.stranger, "GET", `/v1/decks/${deckId}`);
    expectProblem(stranger, 404, "deck_not_found");
    const missing = await t.call(users.stranger, "GET", "/v1/decks/01HZZZZZZZZZZZZZZZZZZZZZZZ");
    expectProblem(missing, 404, "deck_not_found");
    // Same answer as for an id that does not exist, detail included.
    expect(stranger.body).toEqual(missing.body);
    expectProblem(await t.call(users.noEmail, "GET", `/v1/decks/${deckId}`), 404, "deck_not_found");
  });

  it("answers 404 deck_not_found for an id that is not a deck id at all", async () => {
    for (const id of [
      "nope",
      "01hzzzzzzzzzzzzzzzzzzzzzzz",
      "DECK%23x",
      "01HZZZZZZZZZZZZZZZZZZZZZZZ%23DO",
    ]) {
      expectProblem(await t.call(users.owner, "GET", `/v1/decks/${id}`), 404, "deck_not_found");
    }
  });

  it("answers 403 email_not_verified to a listed collaborator whose email is not verified", async () => {
    const deckId = await createDeck(t, users.owner, "Needs verification");
    await share(t, deckId, users.unverified.email, users.owner);
    expectProblem(
      await t.call(users.unverified, "GET", `/v1/decks/${deckId}`),
      403,
      "email_not_verified",
    );
  });

  it("admits an unverified collaborator when REQUIRE_EMAIL_VERIFIED is false", async () => {
    const lax = await createTestApp({ REQUIRE_EMAIL_VERIFIED: "false" });
    const deckId = await createDeck(lax, users.owner, "Lax");
    await share(lax, deckId, users.unverified.email, users.owner);
    const reply = await lax.call(users.unverified, "GET", `/v1/decks/${deckId}`);
    expect(reply.status).toBe(200);
    expect(reply.body.isOwner).toBe(false);
    const listed = await lax.call(users.unverified, "GET", "/v1/decks?visibility=shared");
    expect(listed.body.items.map((item: { deckId: string }) => item.deckId)).toEqual([deckId]);
  });
});

describe("PATCH /v1/decks/{deckId}", () => {
  it("renames the deck for the owner and answers 200 with the detail", async () => {
    const deckId = await createDeck(t, users.owner, "Old name");
    const created = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    const reply = await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: " New name " });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      ...created.body,
      name: "New name",
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(reply.body.updatedAt >= created.body.updatedAt).toBe(true);
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.name).toBe("New name");
  });

  it("renames to the same name and to a case-only change (200), keeping access rows consistent", async () => {
    const other = await createTestApp();
    const deckId = await createDeck(other, users.owner, "focus");
    await share(other, deckId, users.friend.email, users.owner);

    const same = await other.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "focus" });
    expect(same.status).toBe(200);
    const caseOnly = await other.call(users.owner, "PATCH", `/v1/decks/${deckId}`, {
      name: "FOCUS",
    });
    expect(caseOnly.status).toBe(200);
    expect(caseOnly.body.name).toBe("FOCUS");

    for (const user of [users.owner, users.friend]) {
      const list = await other.call(user, "GET", "/v1/decks");
      expect(list.body.items).toEqual([
        { deckId, name: "FOCUS", isOwner: user === users.owner, collaborators: 1 },
      ]);
    }
    const rows = (await itemsOf(other, deckId)).filter((item) => item.type === "access");
    expect(rows.map((row) => [row.PK, row.SK, row.name]).sort()).toEqual([
      [`ACCESS#EMAIL#friend@example.com`, `DECK#focus#${deckId}`, "FOCUS"],
      [`ACCESS#USER#${users.owner.sub}`, `DECK#focus#${deckId}`, "FOCUS"],
    ]);
  });

  it("moves the deck in the name order of the owner and every collaborator", async () => {
    const other = await createTestApp();
    const a = await createDeck(other, users.owner, "apple");
    await createDeck(other, users.owner, "banana");
    await createDeck(other, users.owner, "Cherry");
    await share(other, a, users.friend.email, users.owner);
    const friendOwn = await createDeck(other, users.friend, "own");

    const renamed = await other.call(users.owner, "PATCH", `/v1/decks/${a}`, { name: "Date" });
    expect(renamed.status).toBe(200);

    const ownerList = (await other.call(users.owner, "GET", "/v1/decks")).body.items;
    expect(ownerList.map((item: { name: string }) => item.name)).toEqual([
      "banana",
      "Cherry",
      "Date",
    ]);
    const friendList = (await other.call(users.friend, "GET", "/v1/decks")).body.items;
    expect(friendList).toEqual([
      { deckId: friendOwn, name: "own", isOwner: true, collaborators: 0 },
      { deckId: a, name: "Date", isOwner: false, collaborators: 1 },
    ]);
    expect((await other.call(users.friend, "GET", "/v1/decks?search=app")).body.items).toEqual([]);
    const rows = (await itemsOf(other, a)).filter((item) => item.type === "access");
    expect(rows.map((row) => row.SK)).toEqual([`DECK#date#${a}`, `DECK#date#${a}`]);
  });

  it("answers 403 owner_only to a collaborator, 403 email_not_verified to an unverified one and 404 to a stranger", async () => {
    const deckId = await createDeck(t, users.owner, "Owner renames");
    await share(t, deckId, users.friend.email, users.owner);
    await share(t, deckId, users.unverified.email, users.owner);
    const body = { name: "Hijacked" };
    expectProblem(
      await t.call(users.friend, "PATCH", `/v1/decks/${deckId}`, body),
      403,
      "owner_only",
    );
    expectProblem(
      await t.call(users.unverified, "PATCH", `/v1/decks/${deckId}`, body),
      403,
      "email_not_verified",
    );
    expectProblem(
      await t.call(users.stranger, "PATCH", `/v1/decks/${deckId}`, body),
      404,
      "deck_not_found",
    );
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).body.name).toBe(
      "Owner renames",
    );
  });

  it("answers 422 for an empty body, a bad name or an extra field, and changes nothing", async () => {
    const deckId = await createDeck(t, users.owner, "Unchanged");
    for (const body of [
      {},
      { name: "" },
      { name: "x".repeat(121) },
      { name: "ok", ownerSub: "x" },
    ]) {
      expectProblem(
        await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, body),
        422,
        "validation_failed",
      );
    }
    const read = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(read.body.name).toBe("Unchanged");
    expect(read.body.ownerSub).toBe(users.owner.sub);
  });

  it("renames a deck shared with the maximum number of collaborators (one 100-action transaction: the rows and the change item)", async () => {
    const other = await createTestApp();
    const deckId = await createDeck(other, users.owner, "crowded");
    for (let i = 0; i < 48; i++) await share(other, deckId, `c${i}@example.com`, users.owner);
    other.store.counter.reset();
    const reply = await other.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "Busy" });
    expect(reply.status).toBe(200);
    expect(other.store.counter.calls).toEqual(["GetItem", "TransactWriteItems"]);
    const rows = (await itemsOf(other, deckId)).filter((item) => item.type === "access");
    expect(rows).toHaveLength(49);
    for (const row of rows) {
      expect(row.SK).toBe(`DECK#busy#${deckId}`);
      expect(row.name).toBe("Busy");
      expect(row.collaboratorCount).toBe(48);
    }
  }, 60_000); // 48 sequential shares: slow on a loaded machine
});

describe("DELETE /v1/decks/{deckId}", () => {
  it("answers 204 and removes the deck, its dos, its change feed and every access row", async () => {
    const deckId = await createDeck(t, users.owner, "Doomed");
    await share(t, deckId, users.friend.email, users.owner);
    await share(t, deckId, "other@example.com", users.owner);
    for (let i = 0; i < 31; i++) await createDo(t, users.friend, deckId, `do ${i}`);
    await t.call(
      users.friend,
      "DELETE",
      `/v1/decks/${deckId}/dos/${(await createDo(t, users.friend, deckId, "gone")).doId}`,
    );
    // The deck, 31 dos, 3 access rows, and a change item for each share and the deleted do.
    expect((await itemsOf(t, deckId)).length).toBe(1 + 31 + 3 + 3);

    const reply = await t.call(users.owner, "DELETE", `/v1/decks/${deckId}`);
    expect(reply.status).toBe(204);
    expect(reply.body).toBeUndefined();
    expect(await itemsOf(t, deckId)).toEqual([]);

    expectProblem(await t.call(users.owner, "GET", `/v1/decks/${deckId}`), 404, "deck_not_found");
    expectProblem(
      await t.call(users.friend, "GET", `/v1/decks/${deckId}/dos`),
      404,
      "deck_not_found",
    );
    for (const user of [users.owner, users.friend]) {
      const listed = await t.call(user, "GET", "/v1/decks");
      expect(listed.body.items.map((item: { deckId: string }) => item.deckId)).not.toContain(
        deckId,
      );
    }
    expectProblem(
      await t.call(users.owner, "DELETE", `/v1/decks/${deckId}`),
      404,
      "deck_not_found",
    );
  });

  it("answers 403 owner_only to a collaborator and 404 to a stranger, deleting nothing", async () => {
    const deckId = await createDeck(t, users.owner, "Kept");
    await share(t, deckId, users.friend.email, users.owner);
    await createDo(t, users.owner, deckId, "stay");
    const before = await itemsOf(t, deckId);
    expectProblem(await t.call(users.friend, "DELETE", `/v1/decks/${deckId}`), 403, "owner_only");
    expectProblem(
      await t.call(users.stranger, "DELETE", `/v1/decks/${deckId}`),
      404,
      "deck_not_found",
    );
    expect((await itemsOf(t, deckId)).length).toBe(before.length);
  });

  it("finishes an interrupted delete when the owner retries it, hiding the deck meanwhile", async () => {
    const other = await createTestApp();
    const deckId = await createDeck(other, users.owner, "Half gone");
    await share(other, deckId, users.friend.email, users.owner);
    await createDo(other, users.owner, deckId, "left behind");
    // The state after the delete's transaction and before its purge: deck marked, rows gone.
    const { UpdateCommand, DeleteCommand } = await import("@aws-sdk/lib-dynamodb");
    await other.store.client.send(
      new UpdateCommand({
        TableName: other.store.tableName,
        Key: { PK: `DECK#${deckId}`, SK: "DECK" },
        UpdateExpression: "SET deleting = :t",
        ExpressionAttributeValues: { ":t": true },
      }),
    );
    for (const row of (await itemsOf(other, deckId)).filter((item) => item.type === "access")) {
      await other.store.client.send(
        new DeleteCommand({ TableName: other.store.tableName, Key: { PK: row.PK, SK: row.SK } }),
      );
    }

    for (const user of [users.owner, users.friend]) {
      expectProblem(await other.call(user, "GET", `/v1/decks/${deckId}`), 404, "deck_not_found");
      expectProblem(
        await other.call(user, "GET", `/v1/decks/${deckId}/dos`),
        404,
        "deck_not_found",
      );
      expectProblem(
        await other.call(user, "POST", `/v1/decks/${deckId}/dos`, { text: "late" }),
        404,
        "deck_not_found",
      );
    }
    expectProblem(
      await other.call(users.friend, "DELETE", `/v1/decks/${deckId}`),
      404,
      "deck_not_found",
    );
    expect((await other.call(users.owner, "GET", "/v1/decks")).body.items).toEqual([]);

    const retried = await other.call(users.owner, "DELETE", `/v1/decks/${deckId}`);
    expect(retried.status).toBe(204);
    expect(await itemsOf(other, deckId)).toEqual([]);
  });
});
