import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  beforeTransactions,
  createTestStore,
  scanAll,
  type TransactAction,
  transactionConflict,
} from "../../../test/support/dynamo.ts";
import {
  AppError,
  createDeckService,
  createDoService,
  type DeckService,
  keys,
  purgeDeck,
  type Store,
  sweepDeletions,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

const { owner } = callers;

let store: Store;
let decks: DeckService;
/** What the next purge-finishing transactions (deck item and entry, last step) fail with. */
let finishFaults: ((actions: TransactAction[]) => Error)[] = [];
let finishAttempts = 0;

/** The transaction that ends a purge: it deletes the deck item, guarded by the mark. */
const isFinish = (actions: TransactAction[]) =>
  actions[0]?.Delete?.ConditionExpression?.includes("deleting") === true;

/**
 * BatchWriteItems DynamoDB is to answer, from the next on, with every delete left unprocessed
 * (as a throttled table does), without applying any.
 */
let unprocessedBatches = 0;
let batchWrites = 0;

beforeAll(async () => {
  store = await createTestStore("deletion");
  beforeTransactions(store, (actions) => {
    if (!isFinish(actions)) return;
    finishAttempts++;
    const fault = finishFaults.shift();
    if (fault) throw fault(actions);
  });
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "BatchWriteItemCommand") return next(args);
      batchWrites++;
      if (unprocessedBatches <= 0) return next(args);
      unprocessedBatches--;
      const input = args.input as { RequestItems: Record<string, unknown[]> };
      return { output: { UnprocessedItems: input.RequestItems, $metadata: {} }, response: {} };
    },
    { step: "initialize", name: "deletionUnprocessed" },
  );
  decks = createDeckService({ store, policy: strictPolicy });
});

beforeEach(() => {
  finishFaults = [];
  finishAttempts = 0;
  unprocessedBatches = 0;
  batchWrites = 0;
});

/** Another purge of the same deck committing first: DynamoDB cancels this one on the deck item. */
const conflict = (actions: TransactAction[]) =>
  transactionConflict(actions, (_action, index) => index === 0);

const timeout = () => Object.assign(new Error("socket hang up"), { name: "TimeoutError" });

async function deckWithDos(count: number): Promise<string> {
  const { deckId } = await decks.create(owner, { name: `Doomed ${count}` });
  const dos = createDoService({ store, policy: strictPolicy });
  for (let i = 0; i < count; i++) await dos.create(owner, deckId, { text: `do ${i}` });
  return deckId;
}

const itemsOf = async (deckId: string) =>
  (await scanAll(store)).filter(
    (item) => item.PK === keys.deckPartition(deckId) || item.deckId === deckId,
  );

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("deleting a deck whose dos DynamoDB leaves unprocessed", () => {
  it("sends them again until they are gone", async () => {
    const deckId = await deckWithDos(3);
    unprocessedBatches = 3;
    expect(await outcomeOf(decks.remove(owner, deckId))).toBe("ok");
    // One batch of three dos, refused three times, then applied.
    expect(batchWrites).toBe(4);
    expect(await itemsOf(deckId)).toEqual([]);
  });

  it("gives up after eight tries with a 503 to retry, and the retry finishes the delete", async () => {
    const deckId = await deckWithDos(2);
    unprocessedBatches = 1000;
    const error = await rejection(decks.remove(owner, deckId));
    expect(error).toMatchObject({
      code: "service_unavailable",
      retryAfter: 1,
      detail: "The deck could not be fully deleted yet; retry the delete.",
    });
    expect(batchWrites).toBe(8);
    expect(await outcomeOf(decks.get(owner, deckId))).toBe("deck_not_found");
    unprocessedBatches = 0;
    expect(await outcomeOf(decks.remove(owner, deckId))).toBe("ok");
    expect(await itemsOf(deckId)).toEqual([]);
  });
});

describe("deleting a deck, when its last step meets contention or an outage", () => {
  it("retries a finish another purge conflicted with, and the delete succeeds", async () => {
    const deckId = await deckWithDos(3);
    finishFaults = [conflict, conflict, conflict];
    expect(await outcomeOf(decks.remove(owner, deckId))).toBe("ok");
    expect(finishAttempts).toBe(4);
    expect(await itemsOf(deckId)).toEqual([]);
  });

  it("gives up after eight conflicts with a 503 to retry, and the retry finishes the delete", async () => {
    const deckId = await deckWithDos(2);
    finishFaults = Array.from({ length: 50 }, () => conflict);
    const error = await rejection(decks.remove(owner, deckId));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: "service_unavailable",
      retryAfter: 1,
      detail: "The deck could not be fully deleted yet; retry the delete.",
    });
    expect((error as AppError).cause).toBeInstanceOf(TransactionCanceledException);
    expect(finishAttempts).toBe(8);
    // The deck is gone for the API, its dos already purged; the owner's retry ends it.
    expect(await outcomeOf(decks.get(owner, deckId))).toBe("deck_not_found");
    expect((await itemsOf(deckId)).map((item) => item.type).sort()).toEqual([
      "deck",
      "pendingDeletion",
    ]);
    finishFaults = [];
    expect(await outcomeOf(decks.remove(owner, deckId))).toBe("ok");
    expect(await itemsOf(deckId)).toEqual([]);
  });

  it("answers an outage during the finish with a 503 at once, and the sweeper ends the delete", async () => {
    const deckId = await deckWithDos(2);
    finishFaults = [timeout];
    const error = await rejection(decks.remove(owner, deckId));
    expect(error).toMatchObject({ code: "service_unavailable", retryAfter: 1 });
    expect((error as AppError).cause).toMatchObject({ name: "TimeoutError" });
    // Not retried in place: the table is not answering, and the client is told to come back.
    expect(finishAttempts).toBe(1);
    const later = () => new Date(Date.now() + 10 * 60_000);
    expect((await sweepDeletions(store, { now: later })).finished).toContain(deckId);
    expect(await itemsOf(deckId)).toEqual([]);
  });

  it("never deletes a deck that is not marked deleting, even when asked to purge it", async () => {
    const { deckId } = await decks.create(owner, { name: "Alive" });
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          ...keys.pendingDeletion(deckId),
          type: "pendingDeletion",
          deckId,
          markedAt: "2020-01-01T00:00:00.000Z",
        },
      }),
    );
    const error = await rejection(purgeDeck(store, deckId));
    expect(error).not.toBeInstanceOf(AppError);
    expect((error as Error).message).toBe(
      `deck ${deckId} has a pending-deletion entry but is not being deleted`,
    );
    expect(finishAttempts).toBe(1);
    expect(await decks.get(owner, deckId)).toMatchObject({ name: "Alive" });
  });
});
