import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { counted, createDeck, createDo, expectProblem, share } from "./helpers.ts";

type Item = Record<string, unknown>;

let t: TestApp;
let deckId: string;
/**
 * How many of the next BatchGetItem calls leave the do's key unprocessed, as DynamoDB does on a
 * throttled table. Each call still goes to DynamoDB Local with every key; the do's item is then
 * taken out of its answer and reported unprocessed instead.
 */
let holdBackDo = 0;

/** A key attribute, whether the middleware sees it marshalled ({S: "…"}) or not. */
const attr = (value: unknown): string =>
  typeof value === "object" && value !== null
    ? String((value as { S?: unknown }).S)
    : String(value);

beforeAll(async () => {
  t = await createTestApp();
  t.store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchGetItemCommand" || holdBackDo === 0) return next(args);
      holdBackDo--;
      const input = args.input as { RequestItems: Record<string, { Keys: Item[] }> };
      const [table, request] = Object.entries(input.RequestItems)[0]!;
      const isDo = (key: Item) => attr(key.SK).startsWith("DO#");
      const result = (await next(args)) as {
        output: {
          Responses?: Record<string, Item[]>;
          UnprocessedKeys?: Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
        };
      };
      const { output } = result;
      output.Responses = { [table]: (output.Responses?.[table] ?? []).filter((i) => !isDo(i)) };
      output.UnprocessedKeys = {
        [table]: { Keys: request.Keys.filter(isDo), ConsistentRead: true },
      };
      return result as Awaited<ReturnType<typeof next>>;
    },
    { step: "initialize", name: "holdBackDoKey" },
  );
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

  it("refuses a collaborator right after they are removed: the access check reads the deck strongly consistent", async () => {
    const item = await createDo(t, users.owner, deckId, "shared, then not");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    const other = await createDeck(t, users.owner, "Unshared");
    await share(t, other, users.friend.email, users.owner);
    const made = await createDo(t, users.owner, other, "soon hidden");
    const hidden = `/v1/decks/${other}/dos/${made.doId}`;
    expect((await t.call(users.friend, "GET", hidden)).status).toBe(200);
    const removed = await t.call(
      users.owner,
      "DELETE",
      `/v1/decks/${other}/collaborators/${users.friend.email}`,
    );
    expect(removed.status).toBe(204);
    expectProblem(await t.call(users.friend, "GET", hidden), 404, "deck_not_found");
    // Shared again: readable again at once.
    await share(t, other, users.friend.email, users.owner);
    expect((await t.call(users.friend, "GET", hidden)).body).toEqual(made);
    // Other decks shared with them are unaffected.
    expect((await t.call(users.friend, "GET", path)).status).toBe(200);
  });
});

describe("GET /v1/decks/{deckId}/dos/{doId} when DynamoDB leaves keys unprocessed", () => {
  afterEach(() => {
    holdBackDo = 0;
  });

  it("reads the unprocessed key again and answers exactly as without throttling (body, ETag)", async () => {
    const item = await createDo(t, users.owner, deckId, "throttled");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    const plain = await t.call(users.owner, "GET", path);
    expect(plain.status).toBe(200);
    holdBackDo = 2;
    const { reply, calls } = await counted(t, () => t.call(users.owner, "GET", path));
    expect(holdBackDo).toBe(0);
    expect(calls).toEqual(["BatchGetItem", "BatchGetItem", "BatchGetItem"]);
    expect({ status: reply.status, body: reply.body, etag: reply.headers.get("etag") }).toEqual({
      status: 200,
      body: item,
      etag: plain.headers.get("etag"),
    });
  });

  it("keeps refusals as they are when the do's key comes back on a retry: 404 deck_not_found, 404 do_not_found", async () => {
    const item = await createDo(t, users.owner, deckId, "throttled refusal");
    holdBackDo = 1;
    expectProblem(
      await t.call(users.stranger, "GET", `/v1/decks/${deckId}/dos/${item.doId}`),
      404,
      "deck_not_found",
    );
    holdBackDo = 1;
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/01HZZZZZZZZZZZZZZZZZZZZZZX`),
      404,
      "do_not_found",
    );
  });

  it("answers 503 service_unavailable with Retry-After when the key stays unprocessed after 4 calls", async () => {
    const item = await createDo(t, users.owner, deckId, "always throttled");
    holdBackDo = 100;
    const { reply, calls } = await counted(t, () =>
      t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${item.doId}`),
    );
    expectProblem(reply, 503, "service_unavailable");
    expect(reply.headers.get("retry-after")).toBe("1");
    expect(calls).toEqual(["BatchGetItem", "BatchGetItem", "BatchGetItem", "BatchGetItem"]);
  });
});
