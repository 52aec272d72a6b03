import { BatchWriteCommand, DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore, scanAll } from "../../../test/support/dynamo.ts";
import {
  createDeckService,
  createDoService,
  type DeckService,
  keys,
  type Store,
  sweepDeletions,
} from "../src/index.ts";
import { migrateTable } from "../src/migration.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

const { owner, friend } = callers;
type Item = Record<string, unknown>;

let store: Store;
let decks: DeckService;
/** Makes every BatchWriteItem from the n-th on fail like a dropped connection, when set. */
let failBatchWritesFrom: number | undefined;
let batchWrites = 0;

beforeAll(async () => {
  store = await createTestStore("sweep");
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "BatchWriteItemCommand" && failBatchWritesFrom !== undefined) {
        if (++batchWrites >= failBatchWritesFrom)
          throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      }
      return next(args);
    },
    { step: "initialize", name: "sweepTestFaults" },
  );
  decks = createDeckService({ store, policy: strictPolicy });
});

const later = (minutes: number) => () => new Date(Date.now() + minutes * 60_000);

const itemsOf = (items: Item[], deckId: string) =>
  items.filter((item) => item.deckId === deckId || String(item.PK) === `DECK#${deckId}`);

/** A shared deck with `count` dos whose delete died after its mark and `batches` batches. */
async function interruptedDelete(count: number, batches = 2): Promise<string> {
  const { deckId } = await decks.create(owner, { name: `Doomed ${count}` });
  await decks.share(owner, deckId, { email: friend.email });
  const dos = createDoService({ store, policy: strictPolicy });
  await dos.create(owner, deckId, { text: "first" });
  const at = new Date().toISOString();
  for (let i = 1; i < count; i += 25) {
    const ids = Array.from(
      { length: Math.min(25, count - i) },
      (_, j) => `01J${String(i + j).padStart(23, "0")}`,
    );
    await store.client.send(
      new BatchWriteCommand({
        RequestItems: {
          [store.tableName]: ids.map((doId) => ({
            PutRequest: {
              Item: {
                ...keys.do(deckId, doId),
                type: "do",
                doId,
                deckId,
                text: "x",
                completed: false,
                createdAt: at,
                updatedAt: at,
              },
            },
          })),
        },
      }),
    );
  }
  batchWrites = 0;
  failBatchWritesFrom = batches + 1;
  expect(await outcomeOf(decks.remove(owner, deckId))).toBe("service_unavailable");
  failBatchWritesFrom = undefined;
  const left = itemsOf(await scanAll(store), deckId);
  expect(left.some((item) => item.type === "do")).toBe(true);
  expect(left.some((item) => item.type === "pendingDeletion")).toBe(true);
  return deckId;
}

describe("the sweeper", () => {
  it("leaves a delete younger than the sweep age to the request that is running it", async () => {
    const deckId = await interruptedDelete(60);
    const report = await sweepDeletions(store);
    expect(report.finished).not.toContain(deckId);
    expect(itemsOf(await scanAll(store), deckId).length).toBeGreaterThan(0);
    // Cleans up for the next test.
    await sweepDeletions(store, { now: later(10) });
  });

  it("finishes every old interrupted delete, leaves live decks alone, and then finds nothing", async () => {
    const live = await decks.create(owner, { name: "Live" });
    const doomed = [await interruptedDelete(120), await interruptedDelete(30, 0)];
    const lines: string[] = [];
    const report = await sweepDeletions(store, {
      now: later(10),
      stopAt: Date.now() + 60_000,
      log: (line) => lines.push(line),
    });
    expect(report.failed).toEqual([]);
    expect(report.deferred).toEqual([]);
    expect(report.found).toBe(2);
    expect(report.finished.sort()).toEqual([...doomed].sort());
    expect(lines.sort()).toEqual(doomed.map((deckId) => `finished deleting deck ${deckId}`).sort());
    const items = await scanAll(store);
    for (const deckId of doomed) expect(itemsOf(items, deckId)).toEqual([]);
    expect(items.filter((item) => item.PK === keys.pendingDeletionPartition)).toEqual([]);
    expect(
      itemsOf(items, live.deckId)
        .map((item) => item.type)
        .sort(),
    ).toEqual(["access", "deck"]);
    // Idempotent: a second run has nothing to do.
    expect(await sweepDeletions(store, { now: later(10) })).toEqual({
      found: 0,
      finished: [],
      deferred: [],
      failed: [],
    });
  });

  it("finishes a delete while the owner retries it at the same time, both succeeding", async () => {
    for (let run = 0; run < 5; run++) {
      const deckId = await interruptedDelete(300);
      const [swept, retried] = await Promise.all([
        sweepDeletions(store, { now: later(10) }),
        outcomeOf(decks.remove(owner, deckId)),
      ]);
      expect(swept.failed).toEqual([]);
      expect(retried).toBe("ok");
      expect(itemsOf(await scanAll(store), deckId)).toEqual([]);
    }
  });

  it("reports, and never deletes, a live deck an entry points at", async () => {
    const live = await decks.create(owner, { name: "Not doomed" });
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          ...keys.pendingDeletion(live.deckId),
          type: "pendingDeletion",
          deckId: live.deckId,
          markedAt: "2020-01-01T00:00:00.000Z",
        },
      }),
    );
    const lines: string[] = [];
    const report = await sweepDeletions(store, { log: (line) => lines.push(line) });
    const error = "Error: the deck is not marked deleting; left alone";
    expect(report.failed).toEqual([{ deckId: live.deckId, error }]);
    expect(lines).toContain(`could not finish deleting deck ${live.deckId}: ${error}`);
    expect(await decks.get(owner, live.deckId)).toMatchObject({ name: "Not doomed" });
  });

  it("defers decks it has no time left for to the next run", async () => {
    const deckId = await interruptedDelete(10, 0);
    const report = await sweepDeletions(store, { now: later(10), stopAt: Date.now() - 1 });
    expect(report.deferred).toContain(deckId);
    expect(itemsOf(await scanAll(store), deckId).length).toBeGreaterThan(0);
  });

  it("finds a deck marked deleting before it existed once the migration has listed it", async () => {
    const deckId = await interruptedDelete(40, 0);
    // As DoDeck left it before this change: marked, with no pending-deletion entry.
    await store.client.send(
      new DeleteCommand({ TableName: store.tableName, Key: keys.pendingDeletion(deckId) }),
    );
    expect((await sweepDeletions(store, { now: later(10) })).finished).not.toContain(deckId);
    const report = await migrateTable(store);
    expect(report.applied.pendingDeletionListed).toBe(1);
    expect(report.verification.checks.flatMap((check) => check.violations)).toEqual([]);
    const swept = await sweepDeletions(store, { now: later(10) });
    expect(swept.finished).toContain(deckId);
    expect(itemsOf(await scanAll(store), deckId)).toEqual([]);
  });
});
