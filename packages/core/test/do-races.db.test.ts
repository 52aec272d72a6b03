import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  beforeTransactions,
  createTestStore,
  getItem,
  keyOf,
  type TransactAction,
  transactionConflict,
} from "../../../test/support/dynamo.ts";
import { encodeCursor } from "../src/cursor.ts";
import {
  AppError,
  createDeckService,
  createDoService,
  type DeckService,
  type DoService,
  keys,
  type Store,
  versionOf,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

/**
 * A do write that loses a race, made to happen on cue: another writer's change lands between
 * the service's read and its transaction, or DynamoDB cancels the transaction for a conflict.
 */
const { owner } = callers;

let store: Store;
let decks: DeckService;
let dos: DoService;
/** Runs once, just before the next transaction that writes a do (another writer's change). */
let competitor: (() => Promise<void>) | undefined;
/** Transactions that write a do to cancel with TransactionConflict, from the next on. */
let conflictsLeft = 0;
let doTransactions = 0;

const writesDo = (action: TransactAction) =>
  action.ConditionCheck === undefined && String(keyOf(action)?.SK ?? "").startsWith(keys.doPrefix);

beforeAll(async () => {
  store = await createTestStore("races");
  beforeTransactions(store, async (actions) => {
    if (!actions.some(writesDo)) return;
    doTransactions++;
    if (conflictsLeft > 0) {
      conflictsLeft--;
      throw transactionConflict(actions, writesDo);
    }
    const change = competitor;
    competitor = undefined;
    await change?.();
  });
  decks = createDeckService({ store, policy: strictPolicy });
  dos = createDoService({ store, policy: strictPolicy });
});

beforeEach(() => {
  competitor = undefined;
  conflictsLeft = 0;
  doTransactions = 0;
});

async function deckWithDos(texts: string[]) {
  const { deckId } = await decks.create(owner, { name: "Races" });
  const created = [];
  for (const text of texts) created.push(await dos.create(owner, deckId, { text }));
  return { deckId, dos: created };
}

const stored = (deckId: string, doId: string) => getItem(store, keys.do(deckId, doId));

/** Another writer (another process) completes the do and bumps its version. */
const completedByAnother = (deckId: string, doId: string) => async () => {
  await store.client.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: keys.do(deckId, doId),
      UpdateExpression: "SET completed = :true, #version = if_not_exists(#version, :one) + :one",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":true": true, ":one": 1 },
    }),
  );
};

describe("a PATCH that loses a race with another writer of the do", () => {
  it("without If-Match, applies its fields on top of the other's change and answers the do as stored", async () => {
    const {
      deckId,
      dos: [milk],
    } = await deckWithDos(["milk"]);
    competitor = completedByAnother(deckId, milk!.doId);
    const updated = await dos.update(owner, deckId, milk!.doId, {
      text: "oat milk",
      dueAt: "2027-01-02T03:04:05+01:00",
    });
    // The other writer's `completed` stays; ours land; the version counts both writes.
    expect(updated).toMatchObject({
      text: "oat milk",
      completed: true,
      dueAt: "2027-01-02T02:04:05.000Z",
    });
    expect(versionOf(updated)).toBe(3);
    expect(await stored(deckId, milk!.doId)).toMatchObject({
      text: "oat milk",
      completed: true,
      dueAt: "2027-01-02T02:04:05.000Z",
      version: 3,
    });

    competitor = completedByAnother(deckId, milk!.doId);
    const cleared = await dos.update(owner, deckId, milk!.doId, { dueAt: null });
    expect(cleared).toMatchObject({ text: "oat milk", dueAt: null });
    expect(versionOf(cleared)).toBe(5);
    expect(await stored(deckId, milk!.doId)).not.toHaveProperty("dueAt");

    competitor = completedByAnother(deckId, milk!.doId);
    const reopened = await dos.update(owner, deckId, milk!.doId, { completed: false });
    expect(reopened).toMatchObject({ text: "oat milk", completed: false });
    expect(versionOf(reopened)).toBe(7);
    expect(await stored(deckId, milk!.doId)).toMatchObject({ completed: false, version: 7 });
  });

  it("with If-Match on the version it read, answers 412 and writes nothing of its own", async () => {
    const {
      deckId,
      dos: [milk],
    } = await deckWithDos(["milk"]);
    competitor = completedByAnother(deckId, milk!.doId);
    expect(
      await outcomeOf(dos.update(owner, deckId, milk!.doId, { text: "lost" }, { ifMatch: [1] })),
    ).toBe("precondition_failed");
    expect(await stored(deckId, milk!.doId)).toMatchObject({ text: "milk", version: 2 });
  });
});

describe("a move that loses a race with another writer of the do", () => {
  it("without If-Match, moves on a fresh read and answers the do as stored", async () => {
    const {
      deckId,
      dos: [a, b, c],
    } = await deckWithDos(["a", "b", "c"]);
    competitor = completedByAnother(deckId, c!.doId);
    const moved = await dos.move(owner, deckId, c!.doId, null);
    expect(moved).toMatchObject({ doId: c!.doId, completed: true });
    expect(versionOf(moved)).toBe(3);
    expect(await stored(deckId, c!.doId)).toMatchObject({ position: moved.position, version: 3 });
    const order = (await dos.list(owner, deckId, { limit: 10 })).items.map((item) => item.doId);
    expect(order).toEqual([c!.doId, a!.doId, b!.doId]);
  });

  it("with If-Match on the version it read, answers 412 and leaves the order alone", async () => {
    const {
      deckId,
      dos: [a, b],
    } = await deckWithDos(["a", "b"]);
    competitor = completedByAnother(deckId, b!.doId);
    expect(await outcomeOf(dos.move(owner, deckId, b!.doId, null, { ifMatch: [1] }))).toBe(
      "precondition_failed",
    );
    const order = (await dos.list(owner, deckId, { limit: 10 })).items.map((item) => item.doId);
    expect(order).toEqual([a!.doId, b!.doId]);
  });
});

describe("a move whose anchor another writer moves meanwhile", () => {
  it("still lands right after it, from a fresh read", async () => {
    const {
      deckId,
      dos: [a, b, c],
    } = await deckWithDos(["a", "b", "c"]);
    // Between the read and the write, `a` goes last (after `c`).
    competitor = async () => {
      await store.client.send(
        new UpdateCommand({
          TableName: store.tableName,
          Key: keys.do(deckId, a!.doId),
          UpdateExpression: "SET #position = :last, #version = #version + :one",
          ExpressionAttributeNames: { "#position": "position", "#version": "version" },
          ExpressionAttributeValues: { ":last": "zzzzzzzz", ":one": 1 },
        }),
      );
    };
    await dos.move(owner, deckId, c!.doId, a!.doId);
    const order = (await dos.list(owner, deckId, { limit: 10 })).items.map((item) => item.doId);
    expect(order).toEqual([b!.doId, a!.doId, c!.doId]);
  });
});

describe("moving a do to the end", () => {
  it("rewrites only that do, and lands after a last do whose key came from a clock ahead", async () => {
    const {
      deckId,
      dos: [a, b, c, d],
    } = await deckWithDos(["a", "b", "c", "d"]);
    await dos.move(owner, deckId, a!.doId, d!.doId);
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          [a, b, c, d].map(async (item) => [
            item!.doId,
            (await stored(deckId, item!.doId))?.version,
          ]),
        ),
      );
    expect(await versions()).toEqual({
      [a!.doId]: 2,
      [b!.doId]: 1,
      [c!.doId]: 1,
      [d!.doId]: 1,
    });
    // `d` was given a key far past now (a server whose clock ran ahead).
    await store.client.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.do(deckId, d!.doId),
        UpdateExpression: "SET #position = :ahead",
        ExpressionAttributeNames: { "#position": "position" },
        ExpressionAttributeValues: { ":ahead": "zzzzzzzz" },
      }),
    );
    await dos.move(owner, deckId, b!.doId, d!.doId);
    const order = (await dos.list(owner, deckId, { limit: 10 })).items.map((item) => item.doId);
    expect(order).toEqual([c!.doId, a!.doId, d!.doId, b!.doId]);
  });
});

describe("a writer whose clock is behind the deck's change clock", () => {
  it("still writes, at a position past the deck's, even in a full deck", async () => {
    const quotas = { decksPerOwner: 100, dosPerDeck: 2 };
    const full = createDoService({ store, policy: strictPolicy, quotas });
    const { deckId } = await decks.create(owner, { name: "Ahead" });
    const [a] = [
      await full.create(owner, deckId, { text: "a" }),
      await full.create(owner, deckId, { text: "b" }),
    ];
    // Another server, its clock an hour ahead, changed the deck last.
    const ahead = (Date.now() + 3_600_000) * 1000;
    await store.client.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.deck(deckId),
        UpdateExpression: "SET lastChangeAt = :ahead",
        ExpressionAttributeValues: { ":ahead": ahead },
      }),
    );
    doTransactions = 0;
    const updated = await full.update(owner, deckId, a!.doId, { text: "a2" });
    expect(updated.text).toBe("a2");
    // One lost race: the refusal tells it the deck's position, and the retry goes past it.
    expect(doTransactions).toBe(2);
    const item = await stored(deckId, a!.doId);
    expect(item?.changedAt).toBeGreaterThan(ahead);
    expect(await outcomeOf(full.create(owner, deckId, { text: "c" }))).toBe("do_limit");
  });
});

describe("a do write that keeps losing to conflicting transactions", () => {
  const gaveUp = async (write: Promise<unknown>) => {
    try {
      await write;
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: "service_unavailable",
        retryAfter: 1,
        detail: "The deck is changing concurrently; try again.",
      });
      return;
    }
    throw new Error("expected the write to give up");
  };

  it("creating retries, then gives up with 503 and Retry-After after eight attempts, writing nothing", async () => {
    const { deckId } = await deckWithDos([]);
    conflictsLeft = 3;
    const made = await dos.create(owner, deckId, { text: "after three conflicts" });
    expect(doTransactions).toBe(4);
    expect(await stored(deckId, made.doId)).toMatchObject({ text: "after three conflicts" });

    conflictsLeft = 100;
    doTransactions = 0;
    await gaveUp(dos.create(owner, deckId, { text: "never" }));
    expect(doTransactions).toBe(8);
    const listed = await dos.list(owner, deckId, { limit: 10 });
    expect(listed.items.map((item) => item.text)).toEqual(["after three conflicts"]);
  });

  it("a PATCH, a move and a delete give up the same way, and the do is as it was", async () => {
    const {
      deckId,
      dos: [a, b],
    } = await deckWithDos(["a", "b"]);
    const before = await stored(deckId, b!.doId);
    conflictsLeft = 100;
    doTransactions = 0;
    await gaveUp(dos.update(owner, deckId, b!.doId, { text: "never" }, { ifMatch: [1] }));
    expect(doTransactions).toBe(8);
    doTransactions = 0;
    await gaveUp(dos.update(owner, deckId, b!.doId, { text: "never" }));
    doTransactions = 0;
    await gaveUp(dos.move(owner, deckId, b!.doId, null));
    expect(doTransactions).toBe(8);
    doTransactions = 0;
    await gaveUp(dos.remove(owner, deckId, b!.doId));
    expect(doTransactions).toBe(8);
    conflictsLeft = 0;
    expect(await stored(deckId, b!.doId)).toEqual(before);
    const order = (await dos.list(owner, deckId, { limit: 10 })).items.map((item) => item.doId);
    expect(order).toEqual([a!.doId, b!.doId]);
  });
});

describe("a generated do id that already exists", () => {
  it("is never written over: the create fails as a server error and the first do stays", async () => {
    const { deckId } = await decks.create(owner, { name: "Clash" });
    const sameId = "01JCLASH00000000000000000A";
    const clashing = createDoService({ store, policy: strictPolicy, newId: () => sameId });
    await clashing.create(owner, deckId, { text: "first" });
    const error = await clashing.create(owner, deckId, { text: "second" }).catch((e) => e);
    expect(error).toMatchObject({
      code: "internal_error",
      detail: "Generated a do id that already exists.",
    });
    expect(await stored(deckId, sameId)).toMatchObject({ text: "first" });
  });
});

describe("requests core refuses before any write", () => {
  it("a do moved after itself, a due date that is no date, a cursor of this list with a bad key", async () => {
    const {
      deckId,
      dos: [a],
    } = await deckWithDos(["a"]);
    const reason = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);
    expect(await reason(dos.move(owner, deckId, a!.doId, a!.doId))).toMatchObject({
      code: "validation_failed",
      detail: "A do cannot be moved after itself.",
      errors: [{ path: "after", message: "Must not be the moved do itself" }],
    });
    expect(await reason(dos.create(owner, deckId, { text: "x", dueAt: "someday" }))).toMatchObject({
      code: "validation_failed",
      errors: [{ path: "dueAt", message: "Not a valid date-time" }],
    });
    // Well-formed cursors of this very list whose key is not `DO#<position> <doId>`.
    for (const sortKey of ["DO#onlyone", "DO#a b c", "DO# b", "DO#a "]) {
      const cursor = encodeCursor({
        list: `dos-by-position|${deckId}`,
        key: { PK: keys.deckPartition(deckId), SK: sortKey },
      });
      expect(await reason(dos.list(owner, deckId, { limit: 10, cursor })), sortKey).toMatchObject({
        code: "validation_failed",
        detail: "The cursor is not valid for this list.",
        errors: [{ path: "cursor", message: "Invalid cursor" }],
      });
    }
  });
});
