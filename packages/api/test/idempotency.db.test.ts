import { DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { ensureTable } from "@dodeck/core";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDynamoClient, scanAll } from "../../../test/support/dynamo.ts";
import { createDeck, expectProblem, itemsOf, share } from "./helpers.ts";

/** Idempotency-Key on POST /v1/decks, POST …/dos and POST …/collaborators. */
let t: TestApp;
/** When set, the next TransactWriteItems commits and then "times out": a 503 after the write. */
let loseNextTransactReply = false;

beforeAll(async () => {
  t = await createTestApp();
  t.store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (loseNextTransactReply && context.commandName === "TransactWriteItemsCommand") {
        loseNextTransactReply = false;
        throw Object.assign(new Error("socket hang up after the write"), { name: "TimeoutError" });
      }
      return out;
    },
    { step: "initialize", name: "lostReply" },
  );
});

const key = (value: string) => ({ "idempotency-key": value });
let n = 0;
const fresh = (label: string) => `${label}-${Date.now()}-${n++}`;

describe("Idempotency-Key", () => {
  it("creates exactly one do from 16 concurrent retries of one key; all get the same status and body", async () => {
    const deckId = await createDeck(t, users.owner, "Sixteen");
    const k = fresh("do");
    const replies = await Promise.all(
      Array.from({ length: 16 }, () =>
        t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: "once" }, key(k)),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(16).fill(201));
    const bodies = new Set(replies.map((reply) => JSON.stringify(reply.body)));
    expect(bodies.size).toBe(1);
    const tags = new Set(replies.map((reply) => reply.headers.get("etag")));
    expect(tags.size).toBe(1);
    expect(
      replies.filter((reply) => reply.headers.get("idempotent-replayed") === "true"),
    ).toHaveLength(15);
    const dos = (await itemsOf(t, deckId)).filter((item) => String(item.SK).startsWith("DO#"));
    expect(dos).toHaveLength(1);
  });

  it("creates exactly one deck from 16 concurrent retries of one key", async () => {
    const k = fresh("deck");
    const name = fresh("Once");
    const replies = await Promise.all(
      Array.from({ length: 16 }, () => t.call(users.friend, "POST", "/v1/decks", { name }, key(k))),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(16).fill(201));
    expect(new Set(replies.map((reply) => JSON.stringify(reply.body))).size).toBe(1);
    const decks = (await scanAll(t.store)).filter(
      (item) => item.SK === "DECK" && item.name === name,
    );
    expect(decks).toHaveLength(1);
  });

  it("does not duplicate when retried after a 503 whose write had committed", async () => {
    const deckId = await createDeck(t, users.owner, "Lost reply");
    const path = `/v1/decks/${deckId}/dos`;
    const k = fresh("lost");
    loseNextTransactReply = true;
    const lost = await t.call(users.owner, "POST", path, { text: "stored anyway" }, key(k));
    expectProblem(lost, 503, "service_unavailable");
    expect(lost.headers.get("retry-after")).toBeTruthy();
    const retried = await t.call(users.owner, "POST", path, { text: "stored anyway" }, key(k));
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    const listed = (await t.call(users.owner, "GET", path)).body.items;
    expect(listed).toEqual([retried.body]);

    // A share, likewise: the retry replays 201 instead of 409 collaborator_exists.
    const shareKey = fresh("share");
    loseNextTransactReply = true;
    const lostShare = await t.call(
      users.owner,
      "POST",
      `/v1/decks/${deckId}/collaborators`,
      { email: "late@example.com" },
      key(shareKey),
    );
    expect(lostShare.status).toBe(503);
    const again = await t.call(
      users.owner,
      "POST",
      `/v1/decks/${deckId}/collaborators`,
      { email: "late@example.com" },
      key(shareKey),
    );
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.collaborators).toEqual(["late@example.com"]);
    // Without the key the same retry is refused: the collaborator is already there.
    expectProblem(
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
        email: "late@example.com",
      }),
      409,
      "collaborator_exists",
    );
  });

  it("answers 422 idempotency_key_reused for the same key with another payload or route, and scopes keys to the caller", async () => {
    const deckId = await createDeck(t, users.owner, "Reuse");
    await share(t, deckId, users.friend.email, users.owner);
    const k = fresh("reuse");
    const first = await t.call(
      users.owner,
      "POST",
      `/v1/decks/${deckId}/dos`,
      { text: "a" },
      key(k),
    );
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const before = await itemsOf(t, deckId);
    for (const [path, body] of [
      [`/v1/decks/${deckId}/dos`, { text: "b" }],
      [`/v1/decks/${deckId}/dos`, { text: "a", dueAt: "2027-01-01T00:00:00Z" }],
      ["/v1/decks", { name: "a" }],
    ] as const) {
      const reply = await t.call(users.owner, "POST", path, body, key(k));
      expect({ status: reply.status, code: reply.body.code }).toEqual({
        status: 422,
        code: "idempotency_key_reused",
      });
      expect(reply.headers.get("content-type")).toBe("application/problem+json");
    }
    expect(await itemsOf(t, deckId)).toEqual(before);
    // The same payload with surrounding whitespace is the same request (the validated input counts).
    const same = await t.call(
      users.owner,
      "POST",
      `/v1/decks/${deckId}/dos`,
      { text: " a " },
      key(k),
    );
    expect({ status: same.status, body: same.body }).toEqual({ status: 201, body: first.body });
    // Another user's identical key is theirs: it creates.
    const theirs = await t.call(
      users.friend,
      "POST",
      `/v1/decks/${deckId}/dos`,
      { text: "a" },
      key(k),
    );
    expect(theirs.status).toBe(201);
    expect(theirs.body.doId).not.toBe(first.body.doId);
  });

  it("answers 422 validation_failed for a key that is not 1–255 visible ASCII characters, writing nothing", async () => {
    for (const bad of ["", "with space", "x".repeat(256), "caf\u00e9"]) {
      const reply = await t.call(users.owner, "POST", "/v1/decks", { name: "Bad key" }, key(bad));
      expectProblem(reply, 422, "validation_failed");
    }
    expect(
      (await t.call(users.owner, "POST", "/v1/decks", { name: "Ok" }, key("x".repeat(255)))).status,
    ).toBe(201);
  });

  it("stores the key's record in the deck's write transaction, with a 24 h expiresAt", async () => {
    const k = fresh("stored");
    const created = await t.call(users.noEmail, "POST", "/v1/decks", { name: "Recorded" }, key(k));
    const records = (await scanAll(t.store)).filter(
      (item) => item.PK === `IDEMPOTENCY#${users.noEmail.sub}` && item.SK === `KEY#${k}`,
    );
    expect(records).toHaveLength(1);
    // Like every item, it names its kind for whoever reads the table (docs/data-model.md).
    expect(records[0]!.type).toBe("idempotency");
    const ttl = Number(records[0]!.expiresAt) - Date.parse(created.body.createdAt) / 1000;
    expect(ttl).toBeGreaterThan(86_400 - 5);
    expect(ttl).toBeLessThanOrEqual(86_400);
    expect(JSON.parse(String(records[0]!.result))).toEqual(created.body);
  });

  it("has TTL on expiresAt enabled by the table setup, which stays safe to run again", async () => {
    const client = createDynamoClient();
    expect(await ensureTable(client, t.store.tableName)).toBe(false);
    const out = await client.send(new DescribeTimeToLiveCommand({ TableName: t.store.tableName }));
    expect(out.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: "ENABLED",
      AttributeName: "expiresAt",
    });
  });
});
