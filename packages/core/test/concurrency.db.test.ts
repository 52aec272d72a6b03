import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, scanAll } from "../../../test/support/dynamo.ts";
import {
  type Caller,
  createDeckService,
  createDoService,
  type DeckService,
  type DoService,
  limits,
  type Store,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

const { owner, friend, stranger } = callers;
const policy = strictPolicy;

type Item = Record<string, unknown>;

let store: Store;
let decks: DeckService;
let dos: DoService;
/** Makes the n-th and later BatchWriteItem calls fail like a dropped connection, when set. */
let failBatchWritesFrom: number | undefined;
let batchWrites = 0;
/**
 * When set, the first BatchWriteItem that deletes dos processes all but one, returned as
 * unprocessed (as DynamoDB does under throttling), and every later one fails: a crash
 * mid-purge, at the worst moment for whatever else that batch carried.
 */
let partialBatchThenFail = false;
let partialBatchSent = false;
/** Every TransactWriteItems sent, to check that none touches one item twice. */
const transactions: Item[][] = [];

beforeAll(async () => {
  store = await createTestStore("race");
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TransactItems?: Item[] };
      if (context.commandName === "TransactWriteItemsCommand" && input.TransactItems) {
        transactions.push(input.TransactItems);
      }
      if (context.commandName === "BatchWriteItemCommand" && partialBatchThenFail) {
        if (partialBatchSent) {
          throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
        }
        const batch = args.input as { RequestItems: Record<string, Item[]> };
        const [table, requests] = Object.entries(batch.RequestItems)[0]!;
        const keyOfRequest = (request: Item) =>
          (request.DeleteRequest as { Key: Record<string, unknown> }).Key;
        const skipped = requests.find((request) =>
          attr(keyOfRequest(request).SK).startsWith("DO#"),
        );
        if (skipped) {
          partialBatchSent = true;
          batch.RequestItems[table] = requests.filter((request) => request !== skipped);
          const result = (await next(args)) as { output: { UnprocessedItems?: unknown } };
          result.output.UnprocessedItems = { [table]: [skipped] };
          return result as Awaited<ReturnType<typeof next>>;
        }
      }
      if (context.commandName === "BatchWriteItemCommand") {
        batchWrites++;
        if (failBatchWritesFrom !== undefined && batchWrites >= failBatchWritesFrom) {
          throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
        }
      }
      return next(args);
    },
    { step: "initialize", name: "raceTestFaults" },
  );
  decks = createDeckService({ store, policy });
  dos = createDoService({ store, policy });
});

afterEach(() => {
  partialBatchThenFail = false;
  partialBatchSent = false;
  failBatchWritesFrom = undefined;
  batchWrites = 0;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const itemsOf = (items: Item[], deckId: string) =>
  items.filter(
    (item) =>
      item.deckId === deckId ||
      item.PK === `DECK#${deckId}` ||
      String(item.SK).endsWith(`#${deckId}`),
  );

/**
 * The table invariant: every deck that is not being deleted has exactly its owner row and one
 * row per collaborator, each keyed and labelled with the deck's current name and carrying the
 * current collaborator count; no access row or do exists without its deck.
 */
async function expectConsistent(deckIds: string[]) {
  const items = await scanAll(store);
  for (const deckId of deckIds) {
    const mine = itemsOf(items, deckId);
    const deck = mine.find((item) => item.type === "deck");
    const rows = mine.filter((item) => item.type === "access");
    const doItems = mine.filter((item) => item.type === "do");
    if (deck === undefined) {
      expect({ deckId, rows, doItems }).toEqual({ deckId, rows: [], doItems: [] });
      continue;
    }
    expect(deck.deleting).toBeUndefined();
    const name = String(deck.name);
    expect(deck.nameLower).toBe(name.toLowerCase());
    const collaborators = deck.collaborators instanceof Set ? [...deck.collaborators] : [];
    const sortKey = `DECK#${name.toLowerCase()}#${deckId}`;
    const expected = [
      `ACCESS#USER#${deck.ownerSub}`,
      ...collaborators.map((email) => `ACCESS#EMAIL#${email}`),
    ].sort();
    expect(rows.map((row) => String(row.PK)).sort()).toEqual(expected);
    for (const row of rows) {
      expect(row).toMatchObject({
        SK: sortKey,
        name,
        deckId,
        collaboratorCount: collaborators.length,
      });
    }
  }
}

/** A key attribute, whether the middleware saw it marshalled ({S: "…"}) or not. */
const attr = (value: unknown): string =>
  typeof value === "object" && value !== null && "S" in value ? String(value.S) : String(value);

function expectNoTransactionTouchesAnItemTwice() {
  for (const items of transactions) {
    const keys = items.map((item) => {
      const action = Object.values(item)[0] as { Key?: Item; Item?: Item };
      const key = action.Key ?? action.Item ?? {};
      return `${attr(key.PK)}|${attr(key.SK)}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
  }
}

describe("concurrent writes to one deck", () => {
  it("keeps every access row in agreement with the deck through parallel shares, unshares and renames", async () => {
    const deckIds: string[] = [];
    for (let round = 0; round < 4; round++) {
      const deck = await decks.create(owner, { name: `Round ${round}` });
      deckIds.push(deck.deckId);
      await decks.share(owner, deck.deckId, { email: `keep${round}@example.com` });
      await decks.share(owner, deck.deckId, { email: `drop${round}@example.com` });
      const shares = Array.from({ length: 10 }, (_, i) => `c${i}.r${round}@example.com`);
      // A case-only rename among them: it keeps the row keys, the others move every row.
      const names = [`Alpha ${round}`, `ALPHA ${round}`, `Beta ${round}`];
      const ops: { kind: string; value: string; run: Promise<unknown> }[] = [
        ...shares.map((email) => ({
          kind: "share",
          value: email,
          run: decks.share(owner, deck.deckId, { email }),
        })),
        ...names.map((name) => ({
          kind: "rename",
          value: name,
          run: decks.rename(owner, deck.deckId, { name }),
        })),
        {
          kind: "unshare",
          value: `drop${round}@example.com`,
          run: decks.unshare(owner, deck.deckId, `DROP${round}@example.com`),
        },
      ];
      const results = await Promise.all(ops.map((op) => outcomeOf(op.run)));
      // Contention may exhaust the optimistic retries (503, retryable); nothing else.
      for (const result of results) expect(["ok", "service_unavailable"]).toContain(result);
      expect(results.filter((result) => result === "ok").length).toBeGreaterThan(0);

      const final = await decks.get(owner, deck.deckId);
      const sharedOk = ops.filter((op, i) => op.kind === "share" && results[i] === "ok");
      const unshared = results[ops.length - 1] === "ok";
      expect(final.collaborators).toEqual(
        [
          `keep${round}@example.com`,
          ...(unshared ? [] : [`drop${round}@example.com`]),
          ...sharedOk.map((op) => op.value),
        ].sort(),
      );
      const renamedOk = ops.filter((op, i) => op.kind === "rename" && results[i] === "ok");
      expect([`Round ${round}`, ...renamedOk.map((op) => op.value)]).toContain(final.name);
      if (renamedOk.length === 0) expect(final.name).toBe(`Round ${round}`);
      await expectConsistent([deck.deckId]);
    }
    expectNoTransactionTouchesAnItemTwice();
  }, 45_000); // 4 rounds of 14 contended writers: seconds each on a loaded machine

  it("lets exactly one of many parallel shares of one email win, whatever its case", async () => {
    for (let round = 0; round < 3; round++) {
      const deck = await decks.create(owner, { name: `Dup ${round}` });
      const variants = [
        "pat@example.com",
        "Pat@example.com",
        "PAT@EXAMPLE.COM",
        "pat@Example.com",
        "pat@example.com",
        "pAt@example.com",
        "pat@example.COM",
        "PAT@example.com",
      ];
      const results = await Promise.all(
        variants.map((email) => outcomeOf(decks.share(owner, deck.deckId, { email }))),
      );
      expect(results.filter((result) => result === "ok")).toHaveLength(1);
      expect(results.filter((result) => result === "collaborator_exists")).toHaveLength(
        variants.length - 1,
      );
      expect((await decks.get(owner, deck.deckId)).collaborators).toEqual(["pat@example.com"]);
      await expectConsistent([deck.deckId]);
    }
    expectNoTransactionTouchesAnItemTwice();
  });

  it("renames case-only and to the same name without touching an item twice", async () => {
    const deck = await decks.create(owner, { name: "Groceries" });
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      await decks.share(owner, deck.deckId, { email });
    }
    transactions.length = 0;
    for (const name of ["GROCERIES", "GROCERIES", "groceries", "Groceries", "Groceries"]) {
      const renamed = await decks.rename(owner, deck.deckId, { name });
      expect(renamed.name).toBe(name);
      await expectConsistent([deck.deckId]);
    }
    // Case-only renames in parallel, too.
    const results = await Promise.all(
      ["GrOcErIeS", "gROCERIES", "Groceries"].map((name) =>
        outcomeOf(decks.rename(owner, deck.deckId, { name })),
      ),
    );
    for (const result of results) expect(["ok", "service_unavailable"]).toContain(result);
    await expectConsistent([deck.deckId]);
    expect(transactions.length).toBeGreaterThanOrEqual(5);
    expectNoTransactionTouchesAnItemTwice();
    const summary = (
      await decks.list(friendOf("a@example.com"), { visibility: "shared", limit: 10 })
    ).items;
    expect(summary).toContainEqual(
      expect.objectContaining({ deckId: deck.deckId, collaborators: 3 }),
    );
  });
});

describe("the largest deck", () => {
  it("renames, case-only renames and deletes a deck at the collaborator limit in one transaction each", async () => {
    const deck = await decks.create(owner, { name: "Crowded" });
    for (let i = 0; i < limits.maxCollaborators; i++) {
      await decks.share(owner, deck.deckId, { email: `m${i}@example.com` });
    }
    expect(
      await outcomeOf(decks.share(owner, deck.deckId, { email: "one-more@example.com" })),
    ).toBe("collaborator_limit");
    transactions.length = 0;
    await decks.rename(owner, deck.deckId, { name: "Packed" });
    await decks.rename(owner, deck.deckId, { name: "PACKED" });
    await expectConsistent([deck.deckId]);
    expect(transactions).toHaveLength(2);
    expect(transactions[0]!.length).toBeLessThanOrEqual(limits.maxTransactionActions);
    expectNoTransactionTouchesAnItemTwice();
    await decks.remove(owner, deck.deckId);
    expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
  }, 45_000); // 48 sequential shares: slow on a loaded machine
});

function friendOf(email: string): Caller {
  return { sub: `auth0|${email}`, email, emailVerified: true };
}

describe("deleting a deck", () => {
  it("leaves no orphan do and no access row when a delete races creates of dos", async () => {
    const deckIds: string[] = [];
    for (let round = 0; round < 8; round++) {
      const deck = await decks.create(owner, { name: `Race ${round}` });
      deckIds.push(deck.deckId);
      await decks.share(owner, deck.deckId, { email: friend.email! });
      await Promise.all([0, 1, 2].map((i) => dos.create(owner, deck.deckId, { text: `pre ${i}` })));
      const creates = Array.from({ length: 12 }, async (_, i) => {
        await pause(i % 4);
        return outcomeOf(dos.create(i % 2 ? friend : owner, deck.deckId, { text: `racing ${i}` }));
      });
      const removal = (async () => {
        await pause(round % 3);
        return outcomeOf(decks.remove(owner, deck.deckId));
      })();
      const [removed, ...created] = await Promise.all([removal, ...creates]);
      expect(removed).toBe("ok");
      for (const result of created) expect(["ok", "deck_not_found"]).toContain(result);
      expect(await outcomeOf(decks.get(owner, deck.deckId))).toBe("deck_not_found");
    }
    const items = await scanAll(store);
    for (const deckId of deckIds) expect(itemsOf(items, deckId)).toEqual([]);
  });

  it("leaves nothing when a delete races updates and deletes of its dos", async () => {
    for (let round = 0; round < 5; round++) {
      const deck = await decks.create(owner, { name: `Upd ${round}` });
      const made = await Promise.all(
        Array.from({ length: 6 }, (_, i) => dos.create(owner, deck.deckId, { text: `d${i}` })),
      );
      const results = await Promise.all([
        outcomeOf(decks.remove(owner, deck.deckId)),
        ...made.map((item, i) =>
          i % 2
            ? outcomeOf(
                dos.update(owner, deck.deckId, item.doId, { completed: true, text: "late" }),
              )
            : outcomeOf(dos.remove(owner, deck.deckId, item.doId)),
        ),
      ]);
      expect(results[0]).toBe("ok");
      for (const result of results.slice(1))
        expect(["ok", "deck_not_found", "do_not_found"]).toContain(result);
      expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
    }
  });

  it("leaves no access row behind when a delete races shares, unshares and renames", async () => {
    for (let round = 0; round < 5; round++) {
      const deck = await decks.create(owner, { name: `Doomed ${round}` });
      await decks.share(owner, deck.deckId, { email: `stay${round}@example.com` });
      const results = await Promise.all([
        outcomeOf(decks.remove(owner, deck.deckId)),
        ...Array.from({ length: 4 }, (_, i) =>
          outcomeOf(decks.share(owner, deck.deckId, { email: `late${i}.r${round}@example.com` })),
        ),
        outcomeOf(decks.rename(owner, deck.deckId, { name: `Renamed ${round}` })),
        outcomeOf(decks.rename(owner, deck.deckId, { name: `DOOMED ${round}` })),
        outcomeOf(decks.unshare(owner, deck.deckId, `stay${round}@example.com`)),
      ]);
      // The delete may itself lose the optimistic race often enough to ask for a retry.
      expect(["ok", "service_unavailable"]).toContain(results[0]);
      for (const result of results.slice(1)) {
        expect(["ok", "deck_not_found", "service_unavailable"]).toContain(result);
      }
      if (results[0] !== "ok") {
        expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("ok");
      }
      expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
    }
  });

  it("hides a delete interrupted midway and finishes it when the owner retries", async () => {
    const deck = await decks.create(owner, { name: "Interrupted" });
    await decks.share(owner, deck.deckId, { email: friend.email! });
    for (let i = 0; i < 60; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          dos.create(owner, deck.deckId, { text: `do ${i + j}` }),
        ),
      );
    }
    // The mark transaction commits; the second purge batch "loses its connection".
    failBatchWritesFrom = 2;
    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("service_unavailable");
    failBatchWritesFrom = undefined;

    const halfway = itemsOf(await scanAll(store), deck.deckId);
    expect(halfway.filter((item) => item.type === "access")).toEqual([]);
    expect(halfway.filter((item) => item.type === "do").length).toBeGreaterThan(0);
    expect(halfway.find((item) => item.type === "deck")).toMatchObject({ deleting: true });

    // Nothing of the half-deleted deck is visible or writable through the services.
    expect(await outcomeOf(decks.get(owner, deck.deckId))).toBe("deck_not_found");
    expect(await outcomeOf(decks.get(friend, deck.deckId))).toBe("deck_not_found");
    const listed = await decks.list(owner, { visibility: "all", limit: 100 });
    expect(listed.items.map((item) => item.deckId)).not.toContain(deck.deckId);
    const shared = await decks.list(friend, { visibility: "shared", limit: 100 });
    expect(shared.items.map((item) => item.deckId)).not.toContain(deck.deckId);
    expect(await outcomeOf(dos.list(owner, deck.deckId, { limit: 10 }))).toBe("deck_not_found");
    expect(await outcomeOf(dos.create(owner, deck.deckId, { text: "x" }))).toBe("deck_not_found");
    expect(await outcomeOf(decks.rename(owner, deck.deckId, { name: "Back" }))).toBe(
      "deck_not_found",
    );
    expect(await outcomeOf(decks.share(owner, deck.deckId, { email: "x@example.com" }))).toBe(
      "deck_not_found",
    );
    const leftDo = halfway.find((item) => item.type === "do");
    expect(
      await outcomeOf(dos.update(owner, deck.deckId, String(leftDo?.doId), { completed: true })),
    ).toBe("deck_not_found");
    // Only the owner's retry resumes the purge.
    expect(await outcomeOf(decks.remove(friend, deck.deckId))).toBe("deck_not_found");
    expect(await outcomeOf(decks.remove(stranger, deck.deckId))).toBe("deck_not_found");
    expect(itemsOf(await scanAll(store), deck.deckId).length).toBe(halfway.length);

    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("ok");
    expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("deck_not_found");
  });

  it("removes the deck item only after its dos, so a purge cut short after a partial batch can be retried", async () => {
    const deck = await decks.create(owner, { name: "Partial" });
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => dos.create(owner, deck.deckId, { text: `d${i}` })),
    );
    partialBatchThenFail = true;
    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("service_unavailable");
    expect(partialBatchSent).toBe(true);
    partialBatchThenFail = false;
    const left = itemsOf(await scanAll(store), deck.deckId);
    expect(left.filter((item) => item.type === "do").length).toBeGreaterThan(0);
    // The owner's retry must still find the deck to finish the purge.
    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("ok");
    expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
  });

  it("finishes when two interrupted-delete retries run at once", async () => {
    const deck = await decks.create(owner, { name: "Twice" });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => dos.create(owner, deck.deckId, { text: `d${i}` })),
    );
    failBatchWritesFrom = 1;
    expect(await outcomeOf(decks.remove(owner, deck.deckId))).toBe("service_unavailable");
    failBatchWritesFrom = undefined;
    const results = await Promise.all([
      outcomeOf(decks.remove(owner, deck.deckId)),
      outcomeOf(decks.remove(owner, deck.deckId)),
    ]);
    expect(results).toContain("ok");
    for (const result of results) expect(["ok", "deck_not_found"]).toContain(result);
    expect(itemsOf(await scanAll(store), deck.deckId)).toEqual([]);
  });
});

describe("updating a do", () => {
  it("never recreates a deleted do", async () => {
    const deck = await decks.create(owner, { name: "Upserts" });
    const made = await dos.create(owner, deck.deckId, { text: "gone soon" });
    await dos.remove(owner, deck.deckId, made.doId);
    expect(await outcomeOf(dos.update(owner, deck.deckId, made.doId, { completed: true }))).toBe(
      "do_not_found",
    );
    const doIds = () =>
      scanAll(store).then((items) =>
        items.filter((item) => item.type === "do" || item.SK === `DO#${made.doId}`),
      );
    expect((await doIds()).filter((item) => item.SK === `DO#${made.doId}`)).toEqual([]);

    // Racing: each round an update and a delete of the same do; the do ends absent.
    for (let round = 0; round < 10; round++) {
      const item = await dos.create(owner, deck.deckId, { text: `r${round}` });
      const [updated, removed] = await Promise.all([
        outcomeOf(dos.update(owner, deck.deckId, item.doId, { text: "edited" })),
        outcomeOf(dos.remove(owner, deck.deckId, item.doId)),
      ]);
      expect(["ok", "do_not_found"]).toContain(updated);
      expect(removed).toBe("ok");
      expect((await doIds()).filter((row) => row.SK === `DO#${item.doId}`)).toEqual([]);
    }
  });
});
