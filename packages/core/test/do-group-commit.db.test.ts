import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  beforeTransactions,
  createTestStore,
  getItem,
  keyOf,
} from "../../../test/support/dynamo.ts";
import { settle } from "../src/group-commit.ts";
import {
  createDeckService,
  createDoService,
  type DeckService,
  keys,
  limits,
  type Store,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

/**
 * One process's concurrent writes of one deck share transactions (group commit): the
 * throughput a hot deck gets from one Lambda or container. What may not share one still
 * commits, in a transaction of its own.
 */
const { owner, friend, stranger } = callers;

let store: Store;
let decks: DeckService;
let doTransactions = 0;
/** Runs once, just before the second transaction that writes dos (the first group's). */
let beforeSecond: (() => Promise<unknown>) | undefined;

beforeAll(async () => {
  store = await createTestStore("group");
  beforeTransactions(store, (actions) => {
    const writesDo = actions.some(
      (action) =>
        (action.Put ?? action.Update) !== undefined &&
        String(keyOf(action)?.SK ?? "").startsWith(keys.doPrefix),
    );
    if (!writesDo) return;
    doTransactions++;
    if (doTransactions !== 2) return;
    const change = beforeSecond;
    beforeSecond = undefined;
    return change?.();
  });
  decks = createDeckService({ store, policy: strictPolicy });
});

beforeEach(() => {
  doTransactions = 0;
  beforeSecond = undefined;
});

/** The deck's `doCount`, which the do quota is checked against. */
const doCount = async (deckId: string) => (await getItem(store, keys.deck(deckId)))?.doCount;

async function sharedDeck(): Promise<string> {
  const { deckId } = await decks.create(owner, { name: "Busy" });
  await decks.share(owner, deckId, { email: friend.email });
  doTransactions = 0;
  return deckId;
}

describe("concurrent do writes of one deck, in one process", () => {
  it("by the owner and a collaborator, commit in two transactions: the first alone, the rest together", async () => {
    const deckId = await sharedDeck();
    const dos = createDoService({ store, policy: strictPolicy });
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        dos.create(i % 2 === 0 ? owner : friend, deckId, { text: `do ${i}` }),
      ),
    );
    expect(doTransactions).toBe(2);
    const listed = await dos.list(owner, deckId, { limit: 50 });
    expect(listed.items.map((item) => item.doId)).toEqual(created.map((item) => item.doId));
    expect(await doCount(deckId)).toBe(20);
  });

  it("admit each caller as themself: one unshared meanwhile is refused, the other in the group still writes", async () => {
    const deckId = await sharedDeck();
    await decks.share(owner, deckId, { email: stranger.email });
    const dos = createDoService({ store, policy: strictPolicy });
    beforeSecond = () => decks.unshare(owner, deckId, friend.email);
    const outcomes = await Promise.all([
      outcomeOf(dos.create(owner, deckId, { text: "first, alone" })),
      outcomeOf(dos.create(friend, deckId, { text: "by one unshared meanwhile" })),
      outcomeOf(dos.create(stranger, deckId, { text: "by one still sharing" })),
    ]);
    expect(outcomes).toEqual(["ok", "deck_not_found", "ok"]);
    const listed = await dos.list(owner, deckId, { limit: 50 });
    expect(listed.items.map((item) => item.text)).toEqual(["first, alone", "by one still sharing"]);
    expect(await doCount(deckId)).toBe(2);
  });

  it("split where a transaction would pass DynamoDB's 100 actions, and all commit", async () => {
    const deckId = await sharedDeck();
    const dos = createDoService({ store, policy: strictPolicy });
    const count = 150;
    const created = await Promise.all(
      Array.from({ length: count }, (_, i) => dos.create(owner, deckId, { text: `do ${i}` })),
    );
    // The first alone, then the deck item and 99 dos, then the rest.
    expect(limits.maxTransactionActions).toBe(100);
    expect(doTransactions).toBe(3);
    expect(new Set(created.map((item) => item.doId)).size).toBe(count);
    expect(await doCount(deckId)).toBe(count);
  });

  it("of the same do never share a transaction (DynamoDB refuses two actions on one item)", async () => {
    const deckId = await sharedDeck();
    const dos = createDoService({ store, policy: strictPolicy });
    const [target] = await Promise.all([dos.create(owner, deckId, { text: "hot" })]);
    const outcomes = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) =>
        settle(dos.update(friend, deckId, target!.doId, { text: `edit ${i}` })),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        settle(dos.create(owner, deckId, { text: `new ${i}` })),
      ),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(8).fill("fulfilled"));
    const hot = await dos.get(owner, deckId, target!.doId);
    expect(hot.text).toMatch(/^edit [0-3]$/);
    expect(await doCount(deckId)).toBe(5);
  });

  it("admit no more creates than the deck has room for, one transaction or many", async () => {
    const deckId = await sharedDeck();
    const quotas = { decksPerOwner: 10, dosPerDeck: 6 };
    const dos = createDoService({ store, policy: strictPolicy, quotas });
    await dos.create(owner, deckId, { text: "first" });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        settle(dos.create(i % 2 === 0 ? owner : friend, deckId, { text: `more ${i}` })),
      ),
    );
    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(outcomes.length - refused.length).toBe(5);
    for (const outcome of refused)
      expect(outcome).toMatchObject({
        reason: { code: "do_limit", detail: "A deck holds at most 6 dos; delete some first." },
      });
    expect(await doCount(deckId)).toBe(6);
    expect((await dos.list(owner, deckId, { limit: 50 })).items).toHaveLength(6);
  });
});
