import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { counted, createDeck, createDo, share } from "./helpers.ts";

/**
 * DynamoDB round trips per route, as observed. A change in any of these is a deliberate
 * decision (cost and latency per request), so it must show up here first.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

async function callsFor(...args: Parameters<TestApp["call"]>) {
  const { reply, calls } = await counted(t, () => t.call(...args));
  return { status: reply.status, calls };
}

describe("DynamoDB calls per route", () => {
  it("POST /v1/decks: one TransactWriteItems (deck + owner access row)", async () => {
    expect(await callsFor(users.owner, "POST", "/v1/decks", { name: "Counted" })).toEqual({
      status: 201,
      calls: ["TransactWriteItems"],
    });
  });

  it("GET /v1/decks: one Query per partition read (mine, shared) and two for all", async () => {
    const me = { sub: "auth0|calls-lister", email: "lister@example.com" };
    await createDeck(t, me, "own");
    expect(await callsFor(me, "GET", "/v1/decks?visibility=mine")).toEqual({
      status: 200,
      calls: ["Query"],
    });
    expect(await callsFor(me, "GET", "/v1/decks?visibility=shared")).toEqual({
      status: 200,
      calls: ["Query"],
    });
    expect(await callsFor(me, "GET", "/v1/decks")).toEqual({
      status: 200,
      calls: ["Query", "Query"],
    });
    // Owned decks exactly filling the page: one more Query probes the shared partition to
    // decide whether a next page exists.
    expect(await callsFor(me, "GET", "/v1/decks?limit=1&visibility=all")).toEqual({
      status: 200,
      calls: ["Query", "Query"],
    });
    await createDeck(t, me, "own 2");
    // More owned decks than the page holds: the shared partition is not read.
    expect(await callsFor(me, "GET", "/v1/decks?limit=1")).toEqual({
      status: 200,
      calls: ["Query"],
    });
    // Without a usable email only the owner partition is read.
    expect(await callsFor(users.noEmail, "GET", "/v1/decks")).toEqual({
      status: 200,
      calls: ["Query"],
    });
    expect(await callsFor(users.unverified, "GET", "/v1/decks")).toEqual({
      status: 200,
      calls: ["Query"],
    });
  });

  it("GET /v1/decks/{deckId}: one GetItem, also when refused", async () => {
    const deckId = await createDeck(t, users.owner, "Read");
    expect(await callsFor(users.owner, "GET", `/v1/decks/${deckId}`)).toEqual({
      status: 200,
      calls: ["GetItem"],
    });
    expect(await callsFor(users.stranger, "GET", `/v1/decks/${deckId}`)).toEqual({
      status: 404,
      calls: ["GetItem"],
    });
    // An id that cannot be a deck id is refused without a read.
    expect(await callsFor(users.owner, "GET", "/v1/decks/nope")).toEqual({
      status: 404,
      calls: [],
    });
  });

  it("PATCH /v1/decks/{deckId}: GetItem then one TransactWriteItems", async () => {
    const deckId = await createDeck(t, users.owner, "Rename");
    await share(t, deckId, users.friend.email, users.owner);
    expect(await callsFor(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "Other" })).toEqual({
      status: 200,
      calls: ["GetItem", "TransactWriteItems"],
    });
    expect(await callsFor(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "OTHER" })).toEqual({
      status: 200,
      calls: ["GetItem", "TransactWriteItems"],
    });
    expect(await callsFor(users.friend, "PATCH", `/v1/decks/${deckId}`, { name: "x" })).toEqual({
      status: 403,
      calls: ["GetItem"],
    });
  });

  it("POST and DELETE collaborators: GetItem then one TransactWriteItems", async () => {
    const deckId = await createDeck(t, users.owner, "Share");
    const path = `/v1/decks/${deckId}/collaborators`;
    expect(await callsFor(users.owner, "POST", path, { email: "a@example.com" })).toEqual({
      status: 201,
      calls: ["GetItem", "TransactWriteItems"],
    });
    // Refusals decided from the deck as read cost the read only.
    expect(await callsFor(users.owner, "POST", path, { email: "a@example.com" })).toEqual({
      status: 409,
      calls: ["GetItem"],
    });
    expect(await callsFor(users.owner, "DELETE", `${path}/A@example.com`)).toEqual({
      status: 204,
      calls: ["GetItem", "TransactWriteItems"],
    });
    expect(await callsFor(users.owner, "DELETE", `${path}/A@example.com`)).toEqual({
      status: 404,
      calls: ["GetItem"],
    });
  });

  it("DELETE /v1/decks/{deckId}: GetItem, TransactWriteItems, Query, TransactWriteItems", async () => {
    // One read serves both the check for an interrupted delete and the first write attempt.
    const empty = await createDeck(t, users.owner, "Empty");
    expect(await callsFor(users.owner, "DELETE", `/v1/decks/${empty}`)).toEqual({
      status: 204,
      calls: ["GetItem", "TransactWriteItems", "Query", "TransactWriteItems"],
    });
    const full = await createDeck(t, users.owner, "Full");
    await share(t, full, users.friend.email, users.owner);
    for (let i = 0; i < 30; i++) await createDo(t, users.owner, full, `do ${i}`);
    // 30 dos and 1 change item (the share; dos carry their own change stamps): two batches of
    // at most 25 deletes, then the deck item with its pending-deletion entry in a transaction
    // of their own (see purgeDeck()).
    expect(await callsFor(users.owner, "DELETE", `/v1/decks/${full}`)).toEqual({
      status: 204,
      calls: [
        "GetItem",
        "TransactWriteItems",
        "Query",
        "BatchWriteItem",
        "BatchWriteItem",
        "TransactWriteItems",
      ],
    });
    expect(await callsFor(users.owner, "DELETE", `/v1/decks/${full}`)).toEqual({
      status: 404,
      calls: ["GetItem"],
    });
  });

  it("GET dos: one Query of the deck's partition per page (the deck and its dos together)", async () => {
    const deckId = await createDeck(t, users.owner, "Dos");
    for (let i = 0; i < 3; i++) await createDo(t, users.owner, deckId, `do ${i}`);
    expect(await callsFor(users.owner, "GET", `/v1/decks/${deckId}/dos`)).toEqual({
      status: 200,
      calls: ["Query"],
    });
    const first = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos?limit=1`);
    expect(
      await callsFor(
        users.owner,
        "GET",
        `/v1/decks/${deckId}/dos?limit=1&cursor=${first.body.nextCursor}`,
      ),
    ).toEqual({ status: 200, calls: ["Query"] });
    expect(await callsFor(users.stranger, "GET", `/v1/decks/${deckId}/dos`)).toEqual({
      status: 404,
      calls: ["Query"],
    });
  });

  it("move a do: one Query (deck and dos) then one TransactWriteItems (access check and the moved do)", async () => {
    const deckId = await createDeck(t, users.owner, "Move");
    const [a, b] = [
      await createDo(t, users.owner, deckId, "a"),
      await createDo(t, users.owner, deckId, "b"),
    ];
    const path = `/v1/decks/${deckId}/dos/${a.doId}/move`;
    expect(await callsFor(users.owner, "POST", path, { after: b.doId })).toEqual({
      status: 200,
      calls: ["Query", "TransactWriteItems"],
    });
    // Refusals decided from the partition as read cost the read only.
    for (const [user, body, status] of [
      [users.stranger, { after: null }, 404],
      [users.owner, { after: "01HZZZZZZZZZZZZZZZZZZZZZZZ" }, 404],
    ] as const) {
      expect(await callsFor(user, "POST", path, body)).toEqual({ status, calls: ["Query"] });
    }
    expect(await callsFor(users.owner, "POST", path, { after: a.doId })).toEqual({
      status: 422,
      calls: [],
    });
  });

  it("POST a do: one TransactWriteItems (access check and put together), also when refused", async () => {
    const deckId = await createDeck(t, users.owner, "Add");
    await share(t, deckId, users.friend.email, users.owner);
    await share(t, deckId, users.unverified.email, users.owner);
    const path = `/v1/decks/${deckId}/dos`;
    for (const [user, status] of [
      [users.owner, 201],
      [users.friend, 201],
      [users.unverified, 403],
      [users.stranger, 404],
    ] as const) {
      expect(await callsFor(user, "POST", path, { text: "x" }), user.sub).toEqual({
        status,
        calls: ["TransactWriteItems"],
      });
    }
  });

  it("PATCH a do: GetItem (the do) then one TransactWriteItems (access check and update together)", async () => {
    const deckId = await createDeck(t, users.owner, "Update");
    const item = await createDo(t, users.owner, deckId, "x");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    expect(await callsFor(users.owner, "PATCH", path, { completed: true })).toEqual({
      status: 200,
      calls: ["GetItem", "TransactWriteItems"],
    });
    // A missing do: the same admitted check tells 404 do_not_found from deck_not_found.
    expect(
      await callsFor(users.owner, "PATCH", `/v1/decks/${deckId}/dos/01HZZZZZZZZZZZZZZZZZZZZZZZ`, {
        completed: true,
      }),
    ).toEqual({ status: 404, calls: ["GetItem", "TransactWriteItems"] });
    // A stranger is refused by the transaction's access check: nothing is written.
    expect(await callsFor(users.stranger, "PATCH", path, { completed: true })).toEqual({
      status: 404,
      calls: ["GetItem", "TransactWriteItems"],
    });
    expect(await callsFor(users.owner, "PATCH", path, {})).toEqual({ status: 400, calls: [] });
  });

  it("GET a do: one BatchGetItem (deck and do together), also when refused or missing", async () => {
    const deckId = await createDeck(t, users.owner, "Read one");
    const item = await createDo(t, users.owner, deckId, "x");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    for (const [user, at, status] of [
      [users.owner, path, 200],
      [users.stranger, path, 404],
      [users.owner, `/v1/decks/${deckId}/dos/01HZZZZZZZZZZZZZZZZZZZZZZZ`, 404],
    ] as const) {
      expect(await callsFor(user, "GET", at)).toEqual({ status, calls: ["BatchGetItem"] });
    }
    expect(await callsFor(users.owner, "GET", `/v1/decks/${deckId}/dos/nope`)).toEqual({
      status: 404,
      calls: [],
    });
  });

  it("Idempotency-Key: the record rides in the write's transaction; a replay costs the cancelled transaction, or a GetItem after a refusal", async () => {
    const deckId = await createDeck(t, users.owner, "Keyed");
    const key = { "idempotency-key": "calls-1" };
    const path = `/v1/decks/${deckId}/dos`;
    for (const status of [201, 201]) {
      expect(await callsFor(users.owner, "POST", path, { text: "k" }, key)).toEqual({
        status,
        calls: ["TransactWriteItems"],
      });
    }
    const share = { "idempotency-key": "calls-2" };
    const collaborators = `/v1/decks/${deckId}/collaborators`;
    expect(
      await callsFor(users.owner, "POST", collaborators, { email: "k@example.com" }, share),
    ).toEqual({
      status: 201,
      calls: ["GetItem", "TransactWriteItems"],
    });
    // The retry's plan is refused (409 collaborator_exists): the key's record answers instead.
    expect(
      await callsFor(users.owner, "POST", collaborators, { email: "k@example.com" }, share),
    ).toEqual({
      status: 201,
      calls: ["GetItem", "GetItem"],
    });
  });

  it("DELETE a do: one TransactWriteItems (access check and delete together)", async () => {
    const deckId = await createDeck(t, users.owner, "Remove");
    const item = await createDo(t, users.owner, deckId, "x");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    expect(await callsFor(users.owner, "DELETE", path)).toEqual({
      status: 204,
      calls: ["TransactWriteItems"],
    });
    expect(await callsFor(users.owner, "DELETE", path)).toEqual({
      status: 404,
      calls: ["TransactWriteItems"],
    });
  });

  it("GET changes: full sync one Query (deck and dos); a delta GetItem then two Queries in parallel (change items, the dos), or GetItem alone when nothing changed", async () => {
    const deckId = await createDeck(t, users.owner, "Feed");
    for (let i = 0; i < 3; i++) await createDo(t, users.owner, deckId, `do ${i}`);
    const path = `/v1/decks/${deckId}/changes`;
    const full = await counted(t, () => t.call(users.owner, "GET", path));
    expect({ status: full.reply.status, calls: full.calls }).toEqual({
      status: 200,
      calls: ["Query"],
    });
    const since = full.reply.body.nextSince;
    expect(await callsFor(users.owner, "GET", `${path}?since=${since}`)).toEqual({
      status: 200,
      calls: ["GetItem"],
    });
    await createDo(t, users.owner, deckId, "one more");
    expect(await callsFor(users.owner, "GET", `${path}?since=${since}`)).toEqual({
      status: 200,
      calls: ["GetItem", "Query", "Query"],
    });
    // A full sync's later pages read the deck and the next dos in parallel.
    const first = await t.call(users.owner, "GET", `${path}?limit=2`);
    const next = await callsFor(
      users.owner,
      "GET",
      `${path}?limit=2&since=${first.body.nextSince}`,
    );
    expect({ ...next, calls: next.calls.sort() }).toEqual({
      status: 200,
      calls: ["GetItem", "Query"],
    });
    expect(await callsFor(users.stranger, "GET", path)).toEqual({ status: 404, calls: ["Query"] });
  });

  it("health and documents: /healthz and /openapi.json read nothing, /readyz one GetItem", async () => {
    expect(await callsFor(null, "GET", "/healthz")).toEqual({ status: 200, calls: [] });
    expect(await callsFor(null, "GET", "/openapi.json")).toEqual({ status: 200, calls: [] });
    expect(await callsFor(null, "GET", "/readyz")).toEqual({ status: 200, calls: ["GetItem"] });
  });

  it("refusals before the handler read nothing: 401, 415, 400 invalid_json, 413, 422, 404, 405", async () => {
    const deckId = await createDeck(t, users.owner, "Refuse");
    const json = { "content-type": "application/json" };
    const cases: Parameters<TestApp["call"]>[] = [
      [null, "GET", "/v1/decks"],
      [users.owner, "POST", "/v1/decks", "{}", { "content-type": "text/plain" }],
      [users.owner, "POST", "/v1/decks", "{", json],
      [users.owner, "POST", "/v1/decks", JSON.stringify({ name: "x".repeat(20_000) }), json],
      [users.owner, "POST", "/v1/decks", { name: "" }],
      [users.owner, "GET", "/v1/decks?limit=0"],
      [users.owner, "GET", "/v1/decks?cursor=garbage"],
      [users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "x", ownerSub: "y" }],
      [users.owner, "GET", "/v1/nope"],
      [users.owner, "PUT", `/v1/decks/${deckId}`],
    ];
    for (const args of cases) {
      const { status, calls } = await callsFor(...args);
      expect({ request: `${args[1]} ${args[2]}`, calls }).toEqual({
        request: `${args[1]} ${args[2]}`,
        calls: [],
      });
      expect(status).toBeGreaterThanOrEqual(400);
    }
  });
});
