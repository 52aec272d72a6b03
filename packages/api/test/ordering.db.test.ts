import { encodeCursor } from "@dodeck/core";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import type { TestUser } from "../../../test/support/issuer.ts";
import { pythonTimestamp, seeded, writeItems } from "../../../test/support/legacy-generator.ts";
import { createDeck, createDo, expectProblem, itemsOf, share } from "./helpers.ts";

/** Dos in order: position, new dos last, move (SPEC "Dos: order, due dates, one do"). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const POSITION = /^[0-9A-Za-z]{1,128}$/;
const MAX_POSITION = 128;
type Listed = { doId: string; position: string };

const movePath = (deckId: string, doId: string) => `/v1/decks/${deckId}/dos/${doId}/move`;

async function move(
  user: TestUser,
  deckId: string,
  doId: string,
  after: string | null,
  headers: Record<string, string> = {},
) {
  return t.call(user, "POST", movePath(deckId, doId), { after }, headers);
}

/** Every do of the deck, following nextCursor page by page (bounded, so a loop cannot hang). */
async function listAll(user: TestUser, deckId: string, limit = 100): Promise<Listed[]> {
  const items: Listed[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const query: string = cursor === null ? "" : `&cursor=${cursor}`;
    const reply = await t.call(user, "GET", `/v1/decks/${deckId}/dos?limit=${limit}${query}`);
    expect(reply.status).toBe(200);
    expect(reply.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...reply.body.items);
    cursor = reply.body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error("more pages than a deck of this test can have");
}

/** The deck's stored do items. */
const dosOf = async (deckId: string) =>
  (await itemsOf(t, deckId)).filter((item) => String(item.SK).startsWith("DO#"));

const idsOf = (items: Listed[]) => items.map((item) => item.doId);

/** The reference model: an array of ids, and what a move does to it. */
function moved(model: string[], doId: string, after: string | null): string[] {
  const rest = model.filter((id) => id !== doId);
  const at = after === null ? 0 : rest.indexOf(after) + 1;
  return [...rest.slice(0, at), doId, ...rest.slice(at)];
}

async function deckWithDos(name: string, count: number, collaborator?: TestUser) {
  const deckId = await createDeck(t, users.owner, name);
  if (collaborator?.email) await share(t, deckId, collaborator.email, users.owner);
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await createDo(t, users.owner, deckId, `do ${i}`)).doId);
  return { deckId, ids };
}

describe("position and new dos", () => {
  it("returns a position on every do response, keeps it across a PATCH, and lists new dos last, also after moves to the bottom and the top", async () => {
    const { deckId, ids } = await deckWithDos("Positions", 3);
    const [a, b, c] = ids as [string, string, string];
    const doPath = `/v1/decks/${deckId}/dos/${a}`;
    const one = await t.call(users.owner, "GET", doPath);
    expect(one.body.position).toMatch(POSITION);
    const patched = await t.call(users.owner, "PATCH", doPath, {
      text: "renamed",
      completed: true,
    });
    expect(patched.body.position).toBe(one.body.position);
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([a, b, c]);

    // To the bottom, then a new do: the new one goes after it.
    const bottom = await move(users.owner, deckId, a, c);
    expect(bottom.status).toBe(200);
    expect(bottom.body.position).toMatch(POSITION);
    const d = (await createDo(t, users.owner, deckId, "d")).doId;
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([b, c, a, d]);

    // To the top, then a new do: still last.
    const top = await move(users.owner, deckId, d, null);
    expect(top.body.position < (await listAll(users.owner, deckId))[1]!.position).toBe(true);
    const e = (await createDo(t, users.owner, deckId, "e")).doId;
    const listed = await listAll(users.owner, deckId);
    expect(idsOf(listed)).toEqual([d, b, c, a, e]);
    for (const item of listed) expect(item.position).toMatch(POSITION);
    // Every response shape carries the position it lists with.
    const got = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${d}`);
    expect(got.body.position).toBe(listed[0]!.position);
    expect(top.body.position).toBe(listed[0]!.position);
  });
});

describe("POST /v1/decks/{deckId}/dos/{doId}/move", () => {
  it("moves to the top with null, after the last, and directly after any do, bumping the ETag and updatedAt", async () => {
    const { deckId, ids } = await deckWithDos("Moves", 4);
    const [a, b, c, d] = ids as [string, string, string, string];
    const before = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${c}`);
    const top = await move(users.owner, deckId, c, null);
    expect(top.status).toBe(200);
    expect(top.body).toEqual({
      ...before.body,
      position: top.body.position,
      updatedAt: expect.any(String),
    });
    expect(top.body.updatedAt >= before.body.updatedAt).toBe(true);
    expect(top.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(top.headers.get("etag")).not.toBe(before.headers.get("etag"));
    expect(
      (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${c}`)).headers.get("etag"),
    ).toBe(top.headers.get("etag"));
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([c, a, b, d]);
    expect((await move(users.owner, deckId, a, d)).status).toBe(200);
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([c, b, d, a]);
    expect((await move(users.owner, deckId, a, c)).status).toBe(200);
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([c, a, b, d]);
    // Where it already is: still a write (a new ETag), same order.
    const again = await move(users.owner, deckId, a, c);
    expect(again.headers.get("etag")).not.toBe(top.headers.get("etag"));
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([c, a, b, d]);
  });

  it("writes only the moved do (and the deck's change clock, for the feed)", async () => {
    const { deckId, ids } = await deckWithDos("Only one", 5);
    const before = await itemsOf(t, deckId);
    const reply = await move(users.owner, deckId, ids[4]!, ids[0]!);
    expect(reply.status).toBe(200);
    const after = await itemsOf(t, deckId);
    const changed = after.filter(
      (item) => JSON.stringify(item) !== JSON.stringify(before.find((b) => b.SK === item.SK)),
    );
    expect(changed.map((item) => String(item.SK))).toEqual(["DECK", `DO#${ids[4]}`]);
    // The deck item moved only its change clock.
    const { lastChangeAt: _clockAfter, ...deckAfter } = changed[0]!;
    const { lastChangeAt: _clockBefore, ...deckBefore } = before.find((b) => b.SK === "DECK")!;
    expect(deckAfter).toEqual(deckBefore);
  });

  it("answers 422 for after = the moved do itself, and for a body without after, of the wrong type or with unknown fields", async () => {
    const { deckId, ids } = await deckWithDos("Invalid", 2);
    const path = movePath(deckId, ids[0]!);
    const before = await itemsOf(t, deckId);
    const self = await t.call(users.owner, "POST", path, { after: ids[0] });
    expectProblem(self, 422, "validation_failed");
    expect(self.body.errors).toEqual([{ path: "after", message: expect.any(String) }]);
    for (const body of [{}, { after: 7 }, { after: [ids[1]] }, { after: null, position: "0" }])
      expectProblem(await t.call(users.owner, "POST", path, body), 422, "validation_failed");
    expectProblem(
      await t.call(users.owner, "POST", path, "{}", { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    expect(await itemsOf(t, deckId)).toEqual(before);
  });

  it("answers 404 do_not_found for an unknown do or anchor, and 404 deck_not_found to strangers and revoked collaborators, writing nothing", async () => {
    const { deckId, ids } = await deckWithDos("Missing", 2, users.friend);
    const [a, b] = ids as [string, string];
    const unknown = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
    const before = await dosOf(deckId);
    expectProblem(await move(users.owner, deckId, unknown, a), 404, "do_not_found");
    expectProblem(await move(users.owner, deckId, a, unknown), 404, "do_not_found");
    expectProblem(await move(users.owner, deckId, a, "not-an-id"), 404, "do_not_found");
    expectProblem(await move(users.owner, deckId, "nope", a), 404, "do_not_found");
    // A do of another deck is no anchor here.
    const other = await deckWithDos("Other", 1);
    expectProblem(await move(users.owner, deckId, a, other.ids[0]!), 404, "do_not_found");
    expectProblem(await move(users.stranger, deckId, a, b), 404, "deck_not_found");
    expectProblem(await move(users.stranger, deckId, unknown, b), 404, "deck_not_found");
    expect(await dosOf(deckId)).toEqual(before);
    expect((await move(users.friend, deckId, a, b)).status).toBe(200);
    const shared = await dosOf(deckId);
    const removed = await t.call(
      users.owner,
      "DELETE",
      `/v1/decks/${deckId}/collaborators/${users.friend.email}`,
    );
    expect(removed.status).toBe(204);
    expectProblem(await move(users.friend, deckId, a, null), 404, "deck_not_found");
    expect(await dosOf(deckId)).toEqual(shared);
  });

  it("takes If-Match: 412 precondition_failed and nothing written when stale, 200 with a new ETag when current", async () => {
    const { deckId, ids } = await deckWithDos("Guarded moves", 3);
    const [a, b, c] = ids as [string, string, string];
    const tag = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${a}`)).headers.get(
      "etag",
    )!;
    await t.call(users.owner, "PATCH", `/v1/decks/${deckId}/dos/${a}`, { completed: true });
    const before = await itemsOf(t, deckId);
    for (const header of [tag, '"999"', "garbage", `W/${tag}`])
      expectProblem(
        await move(users.owner, deckId, a, c, { "if-match": header }),
        412,
        "precondition_failed",
      );
    expect(await itemsOf(t, deckId)).toEqual(before);
    // Access is checked first: a stranger with a stale tag gets 404, not 412.
    expectProblem(
      await move(users.stranger, deckId, a, c, { "if-match": tag }),
      404,
      "deck_not_found",
    );
    const current = (await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${a}`)).headers.get(
      "etag",
    )!;
    const ok = await move(users.owner, deckId, a, c, { "if-match": current });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).not.toBe(current);
    expect((await move(users.owner, deckId, a, null, { "if-match": "*" })).status).toBe(200);
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([a, b, c]);
  });

  it("moves dos the old service wrote (UUID ids, no position) as mover and anchor, in their creation order", async () => {
    const deckId = await createDeck(t, users.owner, "Legacy dos");
    const base = Date.parse("2026-11-30T15:54:19Z");
    const legacy = [
      ["b0000000-0000-4000-8000-000000000002", pythonTimestamp(base, 5)],
      ["a0000000-0000-4000-8000-000000000001", pythonTimestamp(base, 6)],
      ["c0000000-0000-4000-8000-000000000003", pythonTimestamp(base + 1000)],
    ] as const;
    await writeItems(
      t.store,
      legacy.map(([doId, createdAt]) => ({
        PK: `DECK#${deckId}`,
        SK: `DO#${doId}`,
        doId,
        deckId,
        text: doId.slice(0, 1),
        completed: false,
        createdAt,
        updatedAt: createdAt,
      })),
    );
    const made = (await createDo(t, users.owner, deckId, "new")).doId;
    const [l1, l2, l3] = legacy.map(([doId]) => doId) as [string, string, string];
    expect(idsOf(await listAll(users.owner, deckId))).toEqual([l1, l2, l3, made]);
    expect(idsOf(await listAll(users.owner, deckId, 1))).toEqual([l1, l2, l3, made]);
    const listedBefore = await listAll(users.owner, deckId);
    // Unmoved legacy dos keep the position reads derive for them.
    const moved1 = await move(users.owner, deckId, l1, l3);
    expect(moved1.status).toBe(200);
    expect(moved1.body.position).toMatch(POSITION);
    expect(moved1.headers.get("etag")).toBe('"2"');
    expect((await move(users.owner, deckId, made, l2)).status).toBe(200);
    const listed = await listAll(users.owner, deckId);
    expect(idsOf(listed)).toEqual([l2, made, l3, l1]);
    expect(listed.find((item) => item.doId === l3)!.position).toBe(
      listedBefore.find((item) => item.doId === l3)!.position,
    );
  });

  it("keeps every do exactly once, in the reference model's order, through 200 random moves by owner and collaborator", async () => {
    const random = seeded(1130);
    const { deckId, ids } = await deckWithDos("Random moves", 30, users.friend);
    let model = [...ids];
    for (let i = 1; i <= 200; i++) {
      const user = i % 2 === 0 ? users.owner : users.friend;
      const doId = model[Math.floor(random() * model.length)]!;
      const others = model.filter((id) => id !== doId);
      const after = random() < 0.15 ? null : others[Math.floor(random() * others.length)]!;
      const reply = await move(user, deckId, doId, after);
      expect(reply.status, `move ${i}`).toBe(200);
      model = moved(model, doId, after);
      expect(idsOf(await listAll(users.owner, deckId)), `after move ${i}`).toEqual(model);
      if (i % 25 === 0) {
        const limit = 3 + Math.floor(random() * 5);
        expect(idsOf(await listAll(users.friend, deckId, limit)), `limit ${limit}`).toEqual(model);
      }
    }
    for (const limit of [3, 4, 5, 6, 7])
      expect(idsOf(await listAll(users.owner, deckId, limit))).toEqual(model);
  });

  it("orders concurrent moves into the same gap deterministically, each do once", async () => {
    const { deckId, ids } = await deckWithDos("Same gap", 12);
    const [anchor, ...rest] = ids as [string, ...string[]];
    const movers = rest.slice(2, 10);
    const replies = await Promise.all(
      movers.map((doId) => move(users.owner, deckId, doId, anchor)),
    );
    for (const reply of replies) expect(reply.status).toBe(200);
    const listed = idsOf(await listAll(users.owner, deckId));
    expect([...listed].sort()).toEqual([...ids].sort());
    // The moved dos are directly after the anchor, in some order; the others keep theirs.
    expect(listed[0]).toBe(anchor);
    expect(new Set(listed.slice(1, 1 + movers.length))).toEqual(new Set(movers));
    expect(listed.slice(1 + movers.length)).toEqual(rest.filter((id) => !movers.includes(id)));
    expect(idsOf(await listAll(users.owner, deckId, 3))).toEqual(listed);
  });
});

describe("contention", () => {
  it("answers 32 concurrent moves of one do with 200 (the last move wins), leaving it where one of them put it", async () => {
    const { deckId, ids } = await deckWithDos("Hot do", 12);
    const hot = ids[3]!;
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) => move(users.owner, deckId, hot, i % 2 ? null : ids[9]!)),
    );
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
    const listed = idsOf(await listAll(users.owner, deckId));
    const rest = ids.filter((id) => id !== hot);
    expect([moved(rest, hot, null), moved(rest, hot, ids[9]!)]).toContainEqual(listed);
    // The do's ETag is the one the last of them answered with.
    const current = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${hot}`);
    expect(replies.map((reply) => reply.headers.get("etag"))).toContain(
      current.headers.get("etag"),
    );
    // With If-Match, exactly the moves holding the current tag can win; the others get 412.
    const tag = current.headers.get("etag")!;
    const guarded = await Promise.all(
      Array.from({ length: 8 }, () => move(users.owner, deckId, hot, null, { "if-match": tag })),
    );
    const statuses = guarded.map((reply) => reply.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200)).toEqual(Array(7).fill(412));
  });
});

describe("pagination under moves", () => {
  it("neither skips nor repeats a do that was not moved while paging", async () => {
    const random = seeded(42);
    for (const limit of [3, 5]) {
      const { deckId, ids } = await deckWithDos(`Paging ${limit}`, 24);
      let model = [...ids];
      const movedIds = new Set<string>();
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50; page++) {
        const query: string = cursor === null ? "" : `&cursor=${cursor}`;
        const reply = await t.call(
          users.owner,
          "GET",
          `/v1/decks/${deckId}/dos?limit=${limit}${query}`,
        );
        expect(reply.status).toBe(200);
        seen.push(...idsOf(reply.body.items));
        cursor = reply.body.nextCursor;
        if (cursor === null) break;
        // Between two pages, two dos move anywhere (before or after the page boundary).
        for (let m = 0; m < 2; m++) {
          const doId = model[Math.floor(random() * model.length)]!;
          const others = model.filter((id) => id !== doId);
          const after = random() < 0.2 ? null : others[Math.floor(random() * others.length)]!;
          expect((await move(users.owner, deckId, doId, after)).status).toBe(200);
          model = moved(model, doId, after);
          movedIds.add(doId);
        }
      }
      expect(cursor).toBeNull();
      const unmoved = ids.filter((id) => !movedIds.has(id));
      expect(unmoved.length).toBeGreaterThan(0);
      for (const id of unmoved)
        expect(
          seen.filter((s) => s === id),
          id,
        ).toHaveLength(1);
      // And in their relative order.
      expect(seen.filter((id) => unmoved.includes(id))).toEqual(
        model.filter((id) => unmoved.includes(id)),
      );
    }
  });
});

describe("cursors", () => {
  it("refuses with 422 a cursor of the key-ordered list (before v1.1) or one whose place was edited into garbage", async () => {
    const { deckId, ids } = await deckWithDos("Old cursors", 3);
    const partition = `DECK#${deckId}`;
    for (const cursor of [
      encodeCursor({ list: `dos|${deckId}`, key: { PK: partition, SK: `DO#${ids[0]}` } }),
      encodeCursor({
        list: `dos-by-position|${deckId}`,
        key: { PK: partition, SK: `DO#${ids[0]}` },
      }),
      encodeCursor({ list: `dos-by-position|${deckId}`, key: { PK: partition, SK: "DO#a b c" } }),
      encodeCursor({ list: `dos-by-position|${deckId}`, key: { PK: "DECK#other", SK: "DO#1 x" } }),
    ]) {
      const reply = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos?cursor=${cursor}`);
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors).toEqual([{ path: "cursor", message: "Invalid cursor" }]);
    }
  });
});

describe("long keys", () => {
  it("keeps every position within the cap and the reference order through 1,000 moves into the same gap, rebalancing around it", async () => {
    const { deckId, ids } = await deckWithDos("Hot gap", 6);
    const [first, x, y] = ids as [string, string, string];
    let model = [...ids];
    const positionsBefore = new Map(
      (await listAll(users.owner, deckId)).map((item) => [item.doId, item.position]),
    );
    let longest = 0;
    for (let i = 0; i < 1000; i++) {
      // Alternately x and y go directly after `first`: each new key lies between `first` and
      // the previous one, so the gap halves on every move.
      const doId = i % 2 === 0 ? x : y;
      const reply = await move(users.owner, deckId, doId, first);
      expect(reply.status, `move ${i}`).toBe(200);
      expect(reply.body.position.length).toBeLessThanOrEqual(MAX_POSITION);
      longest = Math.max(longest, reply.body.position.length);
      model = moved(model, doId, first);
      if (i % 100 === 99) expect(idsOf(await listAll(users.owner, deckId))).toEqual(model);
    }
    const listed = await listAll(users.owner, deckId);
    expect(idsOf(listed)).toEqual(model);
    expect(idsOf(await listAll(users.owner, deckId, 4))).toEqual(model);
    for (const item of listed) expect(item.position).toMatch(POSITION);
    // Keys did grow long, and a rebalance rewrote dos that were never moved.
    expect(longest).toBeGreaterThan(MAX_POSITION - 10);
    expect(
      listed.some(
        (item) =>
          item.doId !== x && item.doId !== y && positionsBefore.get(item.doId) !== item.position,
      ),
    ).toBe(true);
    // New dos still go last.
    const made = (await createDo(t, users.owner, deckId, "after the storm")).doId;
    expect(idsOf(await listAll(users.owner, deckId)).at(-1)).toBe(made);
  }, 120_000);

  it("rebalances only a window around the gap in a deck larger than one transaction, also under concurrent moves into that gap", async () => {
    const { deckId, ids } = await deckWithDos("Big hot gap", 110);
    const first = ids[55]!;
    const movers = [ids[56]!, ids[57]!, ids[20]!, ids[90]!];
    let model = [...ids];
    const positionsBefore = new Map(
      (await listAll(users.owner, deckId)).map((item) => [item.doId, item.position]),
    );
    // Sequentially until the gap's keys are close to the cap.
    let longest = 0;
    for (let i = 0; longest < MAX_POSITION - 12; i++) {
      expect(i).toBeLessThan(1000);
      const doId = movers[i % 2]!;
      const reply = await move(users.owner, deckId, doId, first);
      expect(reply.status, `move ${i}`).toBe(200);
      longest = Math.max(longest, reply.body.position.length);
      model = moved(model, doId, first);
    }
    expect(idsOf(await listAll(users.owner, deckId))).toEqual(model);
    // Then rounds of four concurrent moves into the same gap, until one of them has rebalanced
    // (`first` lies in every window around this gap) and a few rounds more: the others race it.
    let roundsAfterRebalance = 0;
    for (let round = 0; roundsAfterRebalance < 5; round++) {
      expect(round).toBeLessThan(300);
      const replies = await Promise.all(
        movers.map((doId) => move(users.owner, deckId, doId, first)),
      );
      for (const reply of replies) expect(reply.status, `round ${round}`).toBe(200);
      for (const reply of replies)
        expect(reply.body.position.length).toBeLessThanOrEqual(MAX_POSITION);
      const listed = idsOf(await listAll(users.owner, deckId));
      const rest = model.filter((id) => !movers.includes(id));
      const at = rest.indexOf(first) + 1;
      // The movers are directly after `first`, in some order; everything else keeps its order.
      expect(new Set(listed.slice(at, at + movers.length)), `round ${round}`).toEqual(
        new Set(movers),
      );
      expect(listed.filter((id) => !movers.includes(id))).toEqual(rest);
      model = listed;
      const now = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${first}`);
      if (roundsAfterRebalance > 0 || now.body.position !== positionsBefore.get(first))
        roundsAfterRebalance++;
    }
    const listed = await listAll(users.owner, deckId);
    expect(idsOf(await listAll(users.owner, deckId, 7))).toEqual(idsOf(listed));
    for (const item of listed) expect(item.position).toMatch(POSITION);
    // A rebalance happened, and rewrote only dos near the gap (at most one window's worth).
    const rewritten = listed.filter(
      (item) => !movers.includes(item.doId) && positionsBefore.get(item.doId) !== item.position,
    );
    expect(rewritten.length).toBeGreaterThan(0);
    expect(rewritten.length).toBeLessThan(98);
    for (const end of [ids[0]!, ids[109]!])
      expect(listed.find((item) => item.doId === end)!.position).toBe(positionsBefore.get(end));
  }, 180_000);
});
