import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/dynamo.ts";
import {
  type ChangePage,
  createChangeService,
  createDeckService,
  createDoService,
  type Store,
} from "../src/index.ts";
import { callers, strictPolicy } from "./fixtures.ts";

/** Paging the change feed at its edges: pages of several entries, and a last page exactly full. */
const { owner } = callers;

let store: Store;
beforeAll(async () => {
  store = await createTestStore("feed");
});

async function deckWithDos(count: number) {
  const services = { store, policy: strictPolicy };
  const decks = createDeckService(services);
  const dos = createDoService(services);
  const changes = createChangeService(services);
  const { deckId } = await decks.create(owner, { name: `Feed ${count}` });
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await dos.create(owner, deckId, { text: `do ${i}` })).doId);
  return { deckId, ids, dos, changes };
}

/** Every page from `since` on, until one says there is no more. */
async function pages(
  changes: ReturnType<typeof createChangeService>,
  deckId: string,
  limit: number,
  since?: string,
): Promise<ChangePage[]> {
  const all: ChangePage[] = [];
  let token = since;
  for (let i = 0; i < 20; i++) {
    const page = await changes.list(owner, deckId, { limit, ...(token ? { since: token } : {}) });
    all.push(page);
    token = page.nextSince;
    if (!page.hasMore) return all;
  }
  throw new Error("the feed never said it was done");
}

const upserted = (page: ChangePage) =>
  page.changes.flatMap((change) => (change.type === "do.upserted" ? [change.do.doId] : []));

describe("the change feed, paged", () => {
  it("a full sync sends every do once, in order, across pages of several", async () => {
    const { deckId, ids, changes } = await deckWithDos(12);
    const full = await pages(changes, deckId, 5);
    // The deck takes a place on the first page.
    expect(full.map((page) => page.changes.length)).toEqual([5, 5, 3]);
    expect(full.map((page) => page.hasMore)).toEqual([true, true, false]);
    expect(full.flatMap(upserted)).toEqual(ids);
  });

  it("a full sync whose last page is exactly full says it is done there", async () => {
    const { deckId, ids, changes } = await deckWithDos(9);
    const full = await pages(changes, deckId, 5);
    expect(full.map((page) => page.changes.length)).toEqual([5, 5]);
    expect(full.flatMap(upserted)).toEqual(ids);
    // And the token it ends with is current: nothing comes after it.
    const after = await changes.list(owner, deckId, { limit: 5, since: full.at(-1)!.nextSince });
    expect(after).toMatchObject({ changes: [], hasMore: false });
  });

  it("deltas send each changed do once, oldest first, across pages of several", async () => {
    const { deckId, ids, dos, changes } = await deckWithDos(10);
    const synced = (await pages(changes, deckId, 50)).at(-1)!.nextSince;
    const touched = ids.slice(0, 7);
    for (const doId of touched) await dos.update(owner, deckId, doId, { completed: true });
    const deltas = await pages(changes, deckId, 3, synced);
    expect(deltas.map((page) => page.changes.length)).toEqual([3, 3, 1]);
    expect(deltas.flatMap(upserted)).toEqual(touched);

    const exact = ids.slice(7, 10);
    const again = deltas.at(-1)!.nextSince;
    for (const doId of exact) await dos.update(owner, deckId, doId, { text: "changed" });
    const last = await pages(changes, deckId, 3, again);
    expect(last.map((page) => page.changes.length)).toEqual([3]);
    expect(last.flatMap(upserted)).toEqual(exact);
  });

  it("deltas of deletions only page through every one, never ending a page early", async () => {
    const { deckId, ids, dos, changes } = await deckWithDos(5);
    const synced = (await pages(changes, deckId, 50)).at(-1)!.nextSince;
    for (const doId of ids) await dos.remove(owner, deckId, doId);
    const deltas = await pages(changes, deckId, 2, synced);
    expect(deltas.map((page) => page.changes.length)).toEqual([2, 2, 1]);
    expect(deltas.map((page) => page.hasMore)).toEqual([true, true, false]);
    expect(
      deltas.flatMap((page) =>
        page.changes.flatMap((change) => (change.type === "do.deleted" ? [change.doId] : [])),
      ),
    ).toEqual(ids);
  });

  it("deltas that mix deletions and edits keep their order across pages", async () => {
    const { deckId, ids, dos, changes } = await deckWithDos(6);
    const synced = (await pages(changes, deckId, 50)).at(-1)!.nextSince;
    const expected: string[] = [];
    for (const [i, doId] of ids.entries()) {
      if (i % 2 === 0) {
        await dos.remove(owner, deckId, doId);
        expected.push(`deleted ${doId}`);
      } else {
        await dos.update(owner, deckId, doId, { completed: true });
        expected.push(`upserted ${doId}`);
      }
    }
    for (const limit of [1, 2, 4]) {
      const deltas = await pages(changes, deckId, limit, synced);
      expect(
        deltas.flatMap((page) =>
          page.changes.map((change) =>
            change.type === "do.deleted"
              ? `deleted ${change.doId}`
              : change.type === "do.upserted"
                ? `upserted ${change.do.doId}`
                : "deck",
          ),
        ),
        String(limit),
      ).toEqual(expected);
      expect(
        deltas.slice(0, -1).every((page) => page.changes.length === limit),
        String(limit),
      ).toBe(true);
    }
  });
});

describe("a sync token past the feed's retention", () => {
  it("is refused from the very microsecond its changes may be gone, with what to do instead", async () => {
    let at = Date.parse("2026-12-01T10:00:00.000Z");
    const services = {
      store,
      policy: strictPolicy,
      now: () => new Date(at),
      changeRetentionSeconds: 60,
    };
    const decks = createDeckService(services);
    const changes = createChangeService(services);
    const { deckId } = await decks.create(owner, { name: "Old token" });
    const { nextSince } = await changes.list(owner, deckId, { limit: 10 });
    at += 60_000 - 1;
    expect((await changes.list(owner, deckId, { limit: 10, since: nextSince })).hasMore).toBe(
      false,
    );
    at += 1;
    const error = await changes
      .list(owner, deckId, { limit: 10, since: nextSince })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "sync_token_expired",
      detail:
        "Changes are kept 60 seconds; this token is older. Start again with a full sync (no since).",
    });
  });
});
