import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import type { TestUser } from "../../../test/support/issuer.ts";
import { counted, createDeck, createDo, expectProblem, share } from "./helpers.ts";

/**
 * The change feed (SPEC "Changes"): a client that takes a full sync and then follows
 * `nextSince` ends with exactly the deck and dos the API serves, whoever wrote what, however
 * writes interleave with its polls, and whatever the writers' clocks say.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

type Json = Record<string, unknown>;
type Copy = { deck: Json | undefined; dos: Map<string, Json>; since: string | undefined };

const emptyCopy = (): Copy => ({ deck: undefined, dos: new Map(), since: undefined });

/** One page of the feed; asserts the page's own promises (a do at most once). */
async function page(app: TestApp, user: TestUser, deckId: string, since?: string, limit?: number) {
  const query = new URLSearchParams();
  if (since !== undefined) query.set("since", since);
  if (limit !== undefined) query.set("limit", String(limit));
  const reply = await app.call(user, "GET", `/v1/decks/${deckId}/changes?${query}`);
  if (reply.status === 200) {
    const ids = reply.body.changes.map((change: Json) =>
      change.type === "deck.updated"
        ? "deck"
        : String(change.type === "do.upserted" ? (change.do as Json).doId : change.doId),
    );
    expect(new Set(ids).size, "an entity appears at most once per page").toBe(ids.length);
  }
  return reply;
}

function apply(copy: Copy, changes: Json[]): void {
  for (const change of changes) {
    if (change.type === "deck.updated") copy.deck = change.deck as Json;
    else if (change.type === "do.upserted") {
      const item = change.do as Json;
      copy.dos.set(String(item.doId), item);
    } else copy.dos.delete(String(change.doId));
  }
}

/** Follows the feed until it says nothing more is waiting; returns the pages read. */
async function sync(
  app: TestApp,
  user: TestUser,
  deckId: string,
  copy: Copy,
  limit?: number,
): Promise<number> {
  // A full sync starts with an empty copy: the feed only sends dos that exist.
  if (copy.since === undefined) copy.dos.clear();
  for (let pages = 1; pages <= 1_000; pages++) {
    const reply = await page(app, user, deckId, copy.since, limit);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    apply(copy, reply.body.changes);
    copy.since = reply.body.nextSince;
    if (!reply.body.hasMore) return pages;
  }
  throw new Error("the feed never said hasMore: false");
}

/** Polls the feed (at most 500 times) for as long as the writers run. */
async function pollWhile(writers: Promise<unknown>[], poll: () => Promise<unknown>) {
  let writing = true;
  const reader = (async () => {
    for (let polls = 0; writing && polls < 500; polls++) await poll();
  })();
  await Promise.all(writers);
  writing = false;
  await reader;
}

/** The deck and every do as the API serves them now. */
async function served(app: TestApp, user: TestUser, deckId: string) {
  const deck = await app.call(user, "GET", `/v1/decks/${deckId}`);
  expect(deck.status).toBe(200);
  const dos = new Map<string, Json>();
  let cursor: string | null = null;
  do {
    const reply: Awaited<ReturnType<TestApp["call"]>> = await app.call(
      user,
      "GET",
      `/v1/decks/${deckId}/dos?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(reply.status).toBe(200);
    for (const item of reply.body.items) dos.set(item.doId, item);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return { deck: deck.body as Json, dos };
}

async function expectCopyCurrent(app: TestApp, user: TestUser, deckId: string, copy: Copy) {
  const now = await served(app, user, deckId);
  expect(copy.deck).toEqual(now.deck);
  expect(Object.fromEntries([...copy.dos].sort())).toEqual(Object.fromEntries([...now.dos].sort()));
}

/** Small seeded generator (mulberry32), so a failing interleaving can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]! };
}

const alice = { sub: "auth0|feed-alice", email: "alice@example.com" } satisfies TestUser;
const bob = { sub: "auth0|feed-bob", email: "bob@example.com" } satisfies TestUser;

/** A deck shared with friend, alice and bob, with a few dos. */
async function sharedDeck(app: TestApp, name: string, dos = 3): Promise<string> {
  const deckId = await createDeck(app, users.owner, name);
  for (const user of [users.friend, alice, bob]) await share(app, deckId, user.email, users.owner);
  for (let i = 0; i < dos; i++) await createDo(app, users.owner, deckId, `seed ${i}`);
  return deckId;
}

/**
 * One random write by one of the deck's users: create, edit, complete, set or clear a due date,
 * move or delete a do; or (the owner) rename the deck or share and unshare a passer-by. Refusals that a
 * race explains (a do deleted by someone else meanwhile) are fine; anything else is not.
 */
/**
 * The writers of the random-write tests, as a client would send: a 503 with Retry-After (a
 * write that lost its retries to a busy deck, which writes nothing) is sent again after a
 * short pause. Writers on separate servers contend on the deck item with no group commit
 * between them, and on a loaded machine some run out of retries; what these tests check is
 * that the feed loses no write, not that none is ever asked to come back.
 */
function asAClient(app: TestApp): TestApp["call"] {
  return async (...args) => {
    for (let attempt = 1; ; attempt++) {
      const reply = await app.call(...args);
      const busy = reply.status === 503 && reply.headers.get("retry-after") !== null;
      if (!busy || attempt === 5) return reply;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
    }
  };
}

async function randomWrite(
  app: TestApp,
  deckId: string,
  rng: ReturnType<typeof random>,
  known: string[],
  step: string,
) {
  const user = rng.pick([users.owner, users.friend, alice, bob]);
  const call = asAClient(app);
  const roll = rng.next();
  const doId = known.length > 0 ? rng.pick(known) : undefined;
  const path = `/v1/decks/${deckId}`;
  let reply: Awaited<ReturnType<TestApp["call"]>>;
  if (roll < 0.3 || doId === undefined) {
    reply = await call(user, "POST", `${path}/dos`, { text: `do ${step}` });
    if (reply.status === 201) known.push(reply.body.doId);
    expect(reply.status).toBe(201);
    return;
  }
  if (roll < 0.45) reply = await call(user, "PATCH", `${path}/dos/${doId}`, { text: step });
  else if (roll < 0.6)
    reply = await call(user, "PATCH", `${path}/dos/${doId}`, { completed: rng.next() < 0.7 });
  else if (roll < 0.7)
    reply = await call(user, "PATCH", `${path}/dos/${doId}`, {
      dueAt: rng.next() < 0.5 ? null : "2027-01-02T03:04:05+02:00",
    });
  else if (roll < 0.78) {
    // A move: to the top, or after another do (which may be gone by now: 404 do_not_found).
    const others = known.filter((id) => id !== doId);
    const after = others.length === 0 || rng.next() < 0.2 ? null : rng.pick(others);
    reply = await call(user, "POST", `${path}/dos/${doId}/move`, { after });
  } else if (roll < 0.87) {
    reply = await call(user, "DELETE", `${path}/dos/${doId}`);
    if (reply.status === 204) known.splice(known.indexOf(doId), 1);
  } else if (roll < 0.93) reply = await call(users.owner, "PATCH", path, { name: `Deck ${step}` });
  else {
    const passerBy = "passer@example.com";
    reply = await call(users.owner, "POST", `${path}/collaborators`, { email: passerBy });
    if (reply.status === 409)
      reply = await call(users.owner, "DELETE", `${path}/collaborators/${passerBy}`);
  }
  // Refusals another stream's write explains (a do deleted, the passer-by shared or unshared
  // meanwhile) are fine; everything else succeeds.
  if (reply.status === 404 || reply.status === 409)
    expect(["do_not_found", "collaborator_not_found", "collaborator_exists"]).toContain(
      reply.body.code,
    );
  else expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
}

describe("GET /v1/decks/{deckId}/changes: full sync", () => {
  it("answers the deck and every do as upserts, and nothing more from its token until a change", async () => {
    const deckId = await sharedDeck(t, "Full", 4);
    const reply = await page(t, users.friend, deckId);
    expect(reply.status).toBe(200);
    expect(reply.body.hasMore).toBe(false);
    const deck = await t.call(users.friend, "GET", `/v1/decks/${deckId}`);
    expect(reply.body.changes[0]).toEqual({ type: "deck.updated", deck: deck.body });
    const dos = await t.call(users.friend, "GET", `/v1/decks/${deckId}/dos`);
    expect(reply.body.changes.slice(1)).toEqual(
      dos.body.items.map((item: Json) => ({ type: "do.upserted", do: item })),
    );
    const again = await page(t, users.friend, deckId, reply.body.nextSince);
    expect({
      status: again.status,
      changes: again.body.changes,
      hasMore: again.body.hasMore,
    }).toEqual({ status: 200, changes: [], hasMore: false });
  });

  it("pages a large deck with hasMore, the deck first, each do once", async () => {
    const deckId = await sharedDeck(t, "Paged full", 7);
    const copy = emptyCopy();
    // 1 deck + 7 dos at 3 a page (the deck takes the first page's first place).
    expect(await sync(t, users.owner, deckId, copy, 3)).toBe(3);
    await expectCopyCurrent(t, users.owner, deckId, copy);
  });

  it("keeps a full sync paged across writes consistent: what changed meanwhile comes as deltas", async () => {
    const deckId = await sharedDeck(t, "Full under writes", 6);
    const first = await page(t, users.owner, deckId, undefined, 3);
    expect(first.body.hasMore).toBe(true);
    const copy = emptyCopy();
    apply(copy, first.body.changes);
    copy.since = first.body.nextSince;
    const dos = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`);
    const [a, b] = dos.body.items;
    await t.call(users.friend, "PATCH", `/v1/decks/${deckId}/dos/${a.doId}`, { text: "edited" });
    await t.call(users.friend, "DELETE", `/v1/decks/${deckId}/dos/${b.doId}`);
    await createDo(t, alice, deckId, "added during the sync");
    await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "Renamed meanwhile" });
    await sync(t, users.owner, deckId, copy, 3);
    await expectCopyCurrent(t, users.owner, deckId, copy);
  });
});

describe("GET /v1/decks/{deckId}/changes: deltas", () => {
  it("reproduces the deck exactly after random writes by the owner and collaborators", async () => {
    for (const seed of [1, 2, 3]) {
      const rng = random(seed);
      const deckId = await sharedDeck(t, `Random ${seed}`);
      const known = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items.map(
        (item: Json) => String(item.doId),
      );
      const copies = new Map([users.owner, users.friend, alice].map((user) => [user, emptyCopy()]));
      for (let step = 0; step < 40; step++) {
        await randomWrite(t, deckId, rng, known, `${seed}.${step}`);
        // Each reader polls at its own random moments, with its own page size.
        for (const [user, copy] of copies)
          if (rng.next() < 0.3) await sync(t, user, deckId, copy, rng.pick([1, 2, 5, 50]));
      }
      for (const [user, copy] of copies) {
        await sync(t, user, deckId, copy);
        await expectCopyCurrent(t, user, deckId, copy);
      }
    }
  }, 120_000);

  it("sends each do once per page with its latest state, oldest change first", async () => {
    const deckId = await sharedDeck(t, "Latest", 0);
    const copy = emptyCopy();
    await sync(t, users.owner, deckId, copy);
    const a = await createDo(t, users.owner, deckId, "a");
    const b = await createDo(t, users.friend, deckId, "b");
    for (const text of ["a1", "a2", "a3"])
      await t.call(users.friend, "PATCH", `/v1/decks/${deckId}/dos/${a.doId}`, { text });
    await t.call(users.owner, "DELETE", `/v1/decks/${deckId}/dos/${b.doId}`);
    const c = await createDo(t, alice, deckId, "c");
    const reply = await page(t, users.owner, deckId, copy.since);
    expect(reply.body.hasMore).toBe(false);
    const current = (id: string) => t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${id}`);
    // Each entity at the place of its latest change: a's last edit came before b's delete.
    expect(reply.body.changes).toEqual([
      { type: "do.upserted", do: (await current(a.doId)).body },
      { type: "do.deleted", doId: b.doId },
      { type: "do.upserted", do: (await current(c.doId)).body },
    ]);

    // With a page of 2 changes, a longer history takes several pages, a do once in each; a
    // do's superseded edits are not sent again (a do carries only its latest change).
    const paged = emptyCopy();
    await sync(t, users.owner, deckId, paged);
    for (const text of ["x", "y", "z", "w"])
      await t.call(users.friend, "PATCH", `/v1/decks/${deckId}/dos/${a.doId}`, { text });
    await t.call(users.friend, "PATCH", `/v1/decks/${deckId}/dos/${c.doId}`, { completed: true });
    for (const text of ["d", "e", "f"]) await createDo(t, bob, deckId, text);
    expect(await sync(t, users.owner, deckId, paged, 2)).toBe(3);
    await expectCopyCurrent(t, users.owner, deckId, paged);
  });

  it("reports deck changes: renames, shares and unshares, as each reader sees the deck", async () => {
    const deckId = await createDeck(t, users.owner, "Deck news");
    await share(t, deckId, users.friend.email, users.owner);
    const copy = emptyCopy();
    await sync(t, users.friend, deckId, copy);
    await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "Deck news 2" });
    await share(t, deckId, alice.email, users.owner);
    await t.call(users.owner, "DELETE", `/v1/decks/${deckId}/collaborators/${alice.email}`);
    const reply = await page(t, users.friend, deckId, copy.since);
    const deck = await t.call(users.friend, "GET", `/v1/decks/${deckId}`);
    expect(reply.body.changes).toEqual([{ type: "deck.updated", deck: deck.body }]);
    expect(deck.body.isOwner).toBe(false);
  });

  it("costs one GetItem when nothing changed, and never moves the token backwards", async () => {
    const deckId = await sharedDeck(t, "Idle", 1);
    const copy = emptyCopy();
    await sync(t, users.owner, deckId, copy);
    t.store.counter.reset();
    const idle = await page(t, users.owner, deckId, copy.since);
    expect(t.store.counter.calls).toEqual(["GetItem"]);
    expect(idle.body).toEqual({ changes: [], nextSince: expect.any(String), hasMore: false });
  });
});

describe("GET /v1/decks/{deckId}/changes: moves", () => {
  it("reports a move, and every do a rebalance re-keyed, so the copy keeps the served order", async () => {
    const deckId = await createDeck(t, users.owner, "Rebalanced");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await createDo(t, users.owner, deckId, `do ${i}`)).doId);
    // Two neighbours with no room left between them (as after ~700 moves into that gap), set
    // directly in the table; a full sync then sees them as they are.
    const deep = "V".repeat(127);
    for (const [doId, position] of [
      [ids[1]!, `${deep}1`],
      [ids[2]!, `${deep}2`],
    ] as const)
      await t.store.client.send(
        new UpdateCommand({
          TableName: t.store.tableName,
          Key: { PK: `DECK#${deckId}`, SK: `DO#${doId}` },
          UpdateExpression: "SET #p = :p",
          ExpressionAttributeNames: { "#p": "position" },
          ExpressionAttributeValues: { ":p": position },
        }),
      );
    const copy = emptyCopy();
    await sync(t, users.owner, deckId, copy);
    await expectCopyCurrent(t, users.owner, deckId, copy);
    // Moving do 5 between them rebalances the deck (six dos fit one window).
    const moved = await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos/${ids[5]}/move`, {
      after: ids[1],
    });
    expect(moved.status).toBe(200);
    // The rebalance stamps every do it re-keys with one position: a page never splits them,
    // even one of a single change, or a client would resume past the rest.
    const narrow = await page(t, users.owner, deckId, copy.since, 1);
    expect(narrow.status).toBe(200);
    expect(narrow.body.changes.length).toBeGreaterThan(1);
    const reply = await page(t, users.owner, deckId, copy.since);
    expect(reply.status).toBe(200);
    expect(reply.body.hasMore).toBe(false);
    const upserted = reply.body.changes
      .filter((change: Json) => change.type === "do.upserted")
      .map((change: Json) => (change.do as Json).doId);
    apply(copy, reply.body.changes);
    copy.since = reply.body.nextSince;
    expect(upserted).toContain(ids[5]);
    expect(upserted).toEqual(expect.arrayContaining([ids[1], ids[2]]));
    await expectCopyCurrent(t, users.owner, deckId, copy);
    const order = [...copy.dos.values()]
      .sort((a, b) => (String(a.position) < String(b.position) ? -1 : 1))
      .map((item) => item.doId);
    expect(order).toEqual([ids[0], ids[3], ids[4], ids[1], ids[5], ids[2]]);
  });
});

describe("GET /v1/decks/{deckId}/changes: concurrent writers and a polling reader", () => {
  it("ends with the reader's copy equal to the table, for every interleaving tried", async () => {
    for (const seed of [11, 12, 13, 14]) {
      const deckId = await sharedDeck(t, `Race ${seed}`, 4);
      const known = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items.map(
        (item: Json) => String(item.doId),
      );
      const copy = emptyCopy();
      await sync(t, users.friend, deckId, copy, 5);
      const writers = Array.from({ length: 4 }, async (_, stream) => {
        const rng = random(seed * 100 + stream);
        for (let step = 0; step < 12; step++)
          await randomWrite(t, deckId, rng, known, `${seed}.${stream}.${step}`);
      });
      const rng = random(seed);
      await pollWhile(writers, () => sync(t, users.friend, deckId, copy, rng.pick([1, 3, 50])));
      await sync(t, users.friend, deckId, copy);
      await expectCopyCurrent(t, users.friend, deckId, copy);
    }
  }, 180_000);

  it("never loses a change to a writer whose clock runs behind, even far behind", async () => {
    const skewed = (ms: number) => () => new Date(Date.now() + ms);
    const behind = await createTestApp({}, { sharing: t, now: skewed(-30_000) });
    const farBehind = await createTestApp({}, { sharing: t, now: skewed(-3_600_000) });
    const ahead = await createTestApp({}, { sharing: t, now: skewed(5_000) });
    const apps = [t, behind, farBehind, ahead];
    for (const seed of [21, 22, 23]) {
      const deckId = await sharedDeck(t, `Skew ${seed}`, 4);
      const known = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items.map(
        (item: Json) => String(item.doId),
      );
      const copy = emptyCopy();
      await sync(t, users.friend, deckId, copy);
      // A change by a server 5 s ahead, then one by a server an hour behind: the second still
      // comes after the first in the feed, and the reader gets both.
      const first = await createDo(ahead, alice, deckId, "from the future");
      const second = await createDo(farBehind, bob, deckId, "from the past");
      const reply = await page(t, users.friend, deckId, copy.since);
      expect(reply.body.changes.map((change: Json) => (change.do as Json).doId)).toEqual([
        first.doId,
        second.doId,
      ]);
      const writers = apps.map(async (app, stream) => {
        const rng = random(seed * 100 + stream);
        for (let step = 0; step < 10; step++)
          await randomWrite(app, deckId, rng, known, `${seed}.${stream}.${step}`);
      });
      await pollWhile(writers, () => sync(behind, users.friend, deckId, copy, 4));
      await sync(t, users.friend, deckId, copy);
      await expectCopyCurrent(t, users.friend, deckId, copy);
    }
  }, 180_000);

  it("answers 201 to 32 concurrent POSTs of dos to one deck (they serialise on the deck item)", async () => {
    const deckId = await createDeck(t, users.owner, "Thirty-two");
    const copy = emptyCopy();
    await sync(t, users.owner, deckId, copy);
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: `parallel ${i}` }),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(32).fill(201));
    await sync(t, users.owner, deckId, copy);
    expect(copy.dos.size).toBe(32);
    await expectCopyCurrent(t, users.owner, deckId, copy);
  }, 60_000);

  it("commits 32 concurrent PATCHes of one deck's dos in a few shared transactions, each applied once", async () => {
    const deckId = await createDeck(t, users.owner, "Hot deck");
    const doIds: string[] = [];
    for (let i = 0; i < 32; i++)
      doIds.push((await createDo(t, users.owner, deckId, `do ${i}`)).doId);
    const copy = emptyCopy();
    await sync(t, users.owner, deckId, copy);
    const { reply, calls } = await counted(t, async () => {
      const replies = await Promise.all(
        doIds.map((doId) =>
          t.call(users.owner, "PATCH", `/v1/decks/${deckId}/dos/${doId}`, { completed: true }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(32).fill(200));
      expect(replies.map((r) => r.headers.get("etag"))).toEqual(Array(32).fill('"2"'));
      return replies[0]!;
    });
    expect(reply.status).toBe(200);
    // Sent together they overtook each other on the deck item and the change clock refused most
    // of them (about 80 transactions); sent one at a time they ran at one transaction's latency.
    // Those that queue while one is in flight now share the next transaction.
    const transactions = calls.filter((call) => call === "TransactWriteItems").length;
    expect(transactions).toBeGreaterThanOrEqual(2);
    expect(transactions).toBeLessThan(32);
    expect(calls.filter((call) => call === "GetItem")).toHaveLength(32);
    const listed = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos?limit=100`)).body;
    expect(listed.items.map((item: Json) => item.completed)).toEqual(Array(32).fill(true));
    await sync(t, users.owner, deckId, copy);
    await expectCopyCurrent(t, users.owner, deckId, copy);
  }, 60_000);

  it("gives each of many concurrent writes to one deck its own answer when some of them must be refused", async () => {
    const deckId = await sharedDeck(t, "Mixed crowd", 24);
    const dos = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos?limit=100`)).body
      .items as Json[];
    const copy = emptyCopy();
    await sync(t, users.friend, deckId, copy);
    // Every kind of write that shares a transaction, from several callers, with refusals mixed
    // in: a stale If-Match, a stranger, a do that does not exist, a delete and a create.
    const writes: { expected: number; send: () => ReturnType<TestApp["call"]> }[] = dos.map(
      (item, i) => {
        const path = `/v1/decks/${deckId}/dos/${item.doId}`;
        const editor = [users.owner, users.friend, alice, bob][i % 4]!;
        if (i % 6 === 1)
          return {
            expected: 412,
            send: () =>
              t.call(editor, "PATCH", path, { text: `stale ${i}` }, { "if-match": '"9"' }),
          };
        if (i % 6 === 2)
          return {
            expected: 404,
            send: () => t.call(users.stranger, "PATCH", path, { completed: true }),
          };
        if (i % 6 === 3) return { expected: 204, send: () => t.call(editor, "DELETE", path) };
        return {
          expected: 200,
          send: () => t.call(editor, "PATCH", path, { text: `edited ${i}` }, { "if-match": '"1"' }),
        };
      },
    );
    writes.push(
      {
        expected: 404,
        send: () =>
          t.call(users.owner, "PATCH", `/v1/decks/${deckId}/dos/01ARZ3NDEKTSV4RRFFQ69G5FAV`, {
            completed: true,
          }),
      },
      ...Array.from({ length: 4 }, (_, i) => ({
        expected: 201,
        send: () => t.call(alice, "POST", `/v1/decks/${deckId}/dos`, { text: `new ${i}` }),
      })),
    );
    const replies = await Promise.all(writes.map((write) => write.send()));
    expect(replies.map((reply) => reply.status)).toEqual(writes.map((write) => write.expected));
    for (const [i, reply] of replies.entries()) {
      if (reply.status === 412) expect(reply.body.code).toBe("precondition_failed");
      if (reply.status === 404) expect(reply.body.code).toMatch(/^(deck|do)_not_found$/);
      if (reply.status === 200) expect(reply.body.text).toBe(`edited ${i}`);
    }
    const listed = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos?limit=100`)).body
      .items as Json[];
    // 24 seeded, 4 deleted, 4 created; the refused ones left their do as it was.
    expect(listed).toHaveLength(24);
    for (const [i, item] of dos.entries()) {
      const now = listed.find((entry) => entry.doId === item.doId);
      if (i % 6 === 3) expect(now).toBeUndefined();
      else if (i % 6 === 1 || i % 6 === 2)
        expect(now).toMatchObject({ text: item.text, completed: false });
      else expect(now?.text).toBe(`edited ${i}`);
    }
    // The quota's counter moved once per create and delete, whichever transaction carried them.
    const [deck] = (await scanAll(t.store)).filter(
      (item) => item.PK === `DECK#${deckId}` && item.SK === "DECK",
    );
    expect(deck?.doCount).toBe(24);
    await sync(t, users.friend, deckId, copy);
    await expectCopyCurrent(t, users.friend, deckId, copy);
  }, 60_000);
});

describe("GET /v1/decks/{deckId}/changes: a do edited by many at once", () => {
  it("ends with the do as the API serves it, when PATCHes lost races and applied on top", async () => {
    const deckId = await sharedDeck(t, "Hot do", 1);
    const [hot] = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).body.items;
    const copy = emptyCopy();
    await sync(t, users.friend, deckId, copy);
    const editors = [users.owner, users.friend, alice, bob];
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        t.call(editors[i % 4]!, "PATCH", `/v1/decks/${deckId}/dos/${hot.doId}`, {
          text: `edit ${i}`,
          completed: i % 2 === 0,
        }),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(16).fill(200));
    await sync(t, users.friend, deckId, copy, 3);
    await expectCopyCurrent(t, users.friend, deckId, copy);
  }, 60_000);
});

describe("GET /v1/decks/{deckId}/changes: refusals", () => {
  it("answers 422 to a malformed token, a token of another deck and a token ahead of the deck", async () => {
    const deckId = await sharedDeck(t, "Tokens", 1);
    const other = await createDeck(t, users.owner, "Other");
    const otherToken = (await page(t, users.owner, other)).body.nextSince;
    const forged = Buffer.from(
      JSON.stringify({ v: 1, d: deckId, p: Date.now() * 1000 + 60_000_000, h: Date.now() * 1000 }),
    ).toString("base64url");
    for (const since of ["garbage!", "e30", "x".repeat(513), otherToken, forged]) {
      const reply = await t.call(
        users.owner,
        "GET",
        `/v1/decks/${deckId}/changes?since=${encodeURIComponent(since)}`,
      );
      expectProblem(reply, 422, "validation_failed");
    }
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks/${deckId}/changes?limit=0`),
      422,
      "validation_failed",
    );
  });

  it("answers 404 to a stranger, a removed collaborator and on a deleted deck; 403 to an unverified collaborator", async () => {
    const deckId = await sharedDeck(t, "Gone", 2);
    await share(t, deckId, users.unverified.email, users.owner);
    const friendCopy = emptyCopy();
    await sync(t, users.friend, deckId, friendCopy);
    const ownerCopy = emptyCopy();
    await sync(t, users.owner, deckId, ownerCopy);
    const path = `/v1/decks/${deckId}/changes`;
    expectProblem(await t.call(users.stranger, "GET", path), 404, "deck_not_found");
    expectProblem(await t.call(users.unverified, "GET", path), 403, "email_not_verified");
    const stolen = `${path}?since=${friendCopy.since}`;
    expectProblem(await t.call(users.stranger, "GET", stolen), 404, "deck_not_found");

    await t.call(users.owner, "DELETE", `/v1/decks/${deckId}/collaborators/${users.friend.email}`);
    expectProblem(await t.call(users.friend, "GET", stolen), 404, "deck_not_found");
    expectProblem(await t.call(users.friend, "GET", path), 404, "deck_not_found");

    expect((await t.call(users.owner, "DELETE", `/v1/decks/${deckId}`)).status).toBe(204);
    expectProblem(
      await t.call(users.owner, "GET", `${path}?since=${ownerCopy.since}`),
      404,
      "deck_not_found",
    );
    expectProblem(await t.call(users.owner, "GET", path), 404, "deck_not_found");
    expectProblem(
      await t.call(users.owner, "GET", "/v1/decks/not-a-deck/changes"),
      404,
      "deck_not_found",
    );
  });
});

describe("GET /v1/decks/{deckId}/changes: retention", () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await createTestApp({ CHANGE_RETENTION_SECONDS: "2" });
  });
  it("answers 410 sync_token_expired to a token older than the retention; a full sync starts over", async () => {
    const deckId = await sharedDeck(short, "Short memory", 2);
    const copy = emptyCopy();
    await sync(short, users.owner, deckId, copy);
    await createDo(short, users.friend, deckId, "missed");
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expectProblem(
      await short.call(users.owner, "GET", `/v1/decks/${deckId}/changes?since=${copy.since}`),
      410,
      "sync_token_expired",
    );
    copy.since = undefined;
    await sync(short, users.owner, deckId, copy);
    await expectCopyCurrent(short, users.owner, deckId, copy);
  });

  it("answers 410, never a silent gap, when a deletion from a writer whose clock is behind is already past its retention", async () => {
    // A server 10 s behind, with the same 2 s retention: on a deck with no change yet, its
    // deletion's change item takes its own clock's position, already past retention for an
    // honest reader (TTL may delete it any moment). An upsert is carried by the do itself, so
    // it is never lost that way: the feed still answers 200 for one.
    const behind = await createTestApp(
      { CHANGE_RETENTION_SECONDS: "2" },
      { sharing: short, now: () => new Date(Date.now() - 10_000) },
    );
    const deckId = await createDeck(short, users.owner, "Skewed and forgetful");
    const copy = emptyCopy();
    await sync(short, users.owner, deckId, copy);
    const gone = await createDo(behind, users.owner, deckId, "deleted in the past");
    await createDo(behind, users.owner, deckId, "written in the past");
    const upserted = await short.call(
      users.owner,
      "GET",
      `/v1/decks/${deckId}/changes?since=${copy.since}`,
    );
    expect(upserted.status).toBe(200);
    expect(upserted.body.changes).toHaveLength(2);
    expect(
      (await behind.call(users.owner, "DELETE", `/v1/decks/${deckId}/dos/${gone.doId}`)).status,
    ).toBe(204);
    expectProblem(
      await short.call(users.owner, "GET", `/v1/decks/${deckId}/changes?since=${copy.since}`),
      410,
      "sync_token_expired",
    );
  });

  it("never expires the token of a client that polls more often than the retention, even on an idle deck", async () => {
    const deckId = await sharedDeck(short, "Polled", 1);
    const copy = emptyCopy();
    await sync(short, users.owner, deckId, copy);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await sync(short, users.owner, deckId, copy);
    }
    await createDo(short, users.friend, deckId, "after a long quiet");
    await sync(short, users.owner, deckId, copy);
    await expectCopyCurrent(short, users.owner, deckId, copy);
  });
});
