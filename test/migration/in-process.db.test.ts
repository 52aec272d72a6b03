import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Store } from "@dodeck/core";
import {
  CopyRefused,
  copyTable,
  markCopied,
  migrateTable,
  scanTable,
  type ThrottleClock,
  verifyStoredTable,
  violationCount,
} from "@dodeck/core/migration";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestStore } from "../support/dynamo.ts";
import {
  generatedDeck,
  type LegacyDeck,
  legacyItems,
  pythonTimestamp,
  seeded,
  writeItems,
} from "../support/legacy-generator.ts";

/**
 * `migrateTable`, `copyTable` and their helpers called in-process against DynamoDB Local: what
 * `npm run migrate` prints comes from these reports, log lines and errors, and the tests that
 * run the command as a child process cannot tell a changed line of migration.ts from the
 * original (the child runs the file as committed).
 */

const alice = "auth0|alice";
const carol = "auth0|carol";

/**
 * A small legacy table: a shared deck with three dos and an owner row left under a former
 * name, and the rows and dos of a deck the old service deleted halfway (11 items).
 */
function smallLegacyTable(): { deck: LegacyDeck; gone: LegacyDeck; items: Item[] } {
  const random = seeded(16);
  const deck = generatedDeck(
    random,
    { ownerSub: alice, name: "Groceries", collaborators: ["bob@example.com"] },
    3,
  );
  const gone = generatedDeck(
    random,
    { ownerSub: carol, name: "Gone", collaborators: ["dan@example.com"] },
    2,
  );
  const items = legacyItems([deck], {
    staleOwnerNames: [{ deckId: deck.deckId, ownerSub: alice, formerName: "Shopping" }],
    deletedDecks: [gone],
  });
  return { deck, gone, items };
}

type Item = Record<string, unknown>;

type TestStore = Awaited<ReturnType<typeof createTestStore>>;

async function storeWith(items: Item[], prefix = "mig"): Promise<TestStore> {
  const store = await createTestStore(prefix);
  await writeItems(store, items);
  return store;
}

/** What round 1 plans for the small table (round 2 then writes alice's deck count). */
const smallPlan = {
  deckConverted: 1,
  rowWritten: 2,
  staleRowDeleted: 1,
  positionWritten: 3,
  orphanRowDeleted: 2,
  orphanDoDeleted: 2,
};

/** The same table, through a client that hands every TransactWriteItems to `intercept` first. */
function intercepted(
  store: Store,
  intercept: (sent: number, command: TransactWriteCommand) => Promise<void>,
): Store {
  let sent = 0;
  const client = {
    send: async (command: TransactWriteCommand) => {
      if (command instanceof TransactWriteCommand) await intercept(++sent, command);
      return store.client.send(command);
    },
  };
  return { tableName: store.tableName, client: client as unknown as Store["client"] };
}

/** A cancellation as DynamoDB reports it, one reason per action of the transaction. */
function cancelled(command: TransactWriteCommand, code: string): TransactionCanceledException {
  const actions = command.input.TransactItems ?? [];
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${code}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: actions.map((_, index) => ({
      Code: index === actions.length - 1 ? code : "None",
    })),
  });
}

const touchesDeck = (command: TransactWriteCommand, deckId: string) =>
  (command.input.TransactItems ?? []).some(
    (action) => action.Put?.Item?.PK === `DECK#${deckId}` && action.Put.Item.SK === "DECK",
  );

/** `work`'s result, or a failure once it has run `seconds` (the test goes on, `work` may not). */
/**
 * A clock for the write throttle that spends no real time: each sleep moves it on at once, so
 * what a rate costs is exact (and the test does not wait for it).
 */
function virtualClock(): ThrottleClock & { elapsedMs: () => number } {
  let now = 1_000_000;
  const start = now;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    elapsedMs: () => now - start,
  };
}

function finishedWithin<T>(seconds: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const byKey = (items: Item[]) =>
  [...items].sort((a, b) =>
    `${String(a.PK)} ${String(a.SK)}`.localeCompare(`${String(b.PK)} ${String(b.SK)}`),
  );

afterEach(() => {
  vi.restoreAllMocks();
});

describe("migrateTable", () => {
  it("converts a legacy table over two rounds and reports what it planned, applied and verified", async () => {
    const { deck, gone, items } = smallLegacyTable();
    const store = await storeWith(items);
    const lines: string[] = [];

    const report = await migrateTable(store, { log: (line) => lines.push(line) });

    const { verification, ...counts } = report;
    expect(counts).toEqual({
      dryRun: false,
      scanned: 11,
      planned: smallPlan,
      // Alice's deck count waits for the round after her rows changed.
      applied: { ...smallPlan, ownerCountWritten: 1 },
      transactions: 5,
      // Item writes only: the checks that the gone deck is still gone write nothing.
      writes: 12,
      raced: 0,
      rounds: 2,
    });
    expect(lines).toEqual([
      "scanned 11 items; 4 transactions planned",
      "round 1: 4 applied, 0 raced a live writer",
      "round 2: 1 applied, 0 raced a live writer",
    ]);
    expect(violationCount(verification)).toBe(0);
    expect(verification.counts).toMatchObject({
      deck: 1,
      do: 3,
      ownerRow: 1,
      collaboratorRow: 1,
      ownerCount: 1,
      other: 0,
    });
    expect(await verifyStoredTable(store)).toEqual(verification);

    const after = await scanTable(store);
    expect(after.filter((item) => JSON.stringify(item).includes(gone.deckId))).toEqual([]);
    expect(after.find((item) => item.PK === `DECK#${deck.deckId}` && item.SK === "DECK")).toEqual(
      expect.objectContaining({ type: "deck", version: 1, doCount: 3, name: "Groceries" }),
    );
    expect(after.find((item) => item.SK === "COUNT")).toMatchObject({
      PK: `ACCESS#USER#${alice}`,
      deckCount: 1,
    });
  });

  it("writes nothing on a migrated table: one scan, no rounds, one progress line", async () => {
    const store = await storeWith(smallLegacyTable().items);
    await migrateTable(store);
    const before = await scanTable(store);
    const lines: string[] = [];

    const report = await migrateTable(store, { log: (line) => lines.push(line) });

    expect(report).toMatchObject({
      scanned: before.length,
      planned: {},
      applied: {},
      transactions: 0,
      writes: 0,
      rounds: 0,
    });
    expect(lines).toEqual([`scanned ${before.length} items; 0 transactions planned`]);
    expect(violationCount(report.verification)).toBe(0);
    expect(await scanTable(store)).toEqual(before);
  });

  it("in a dry run, reports what it would change, writes nothing, and verifies the table as it is", async () => {
    const { deck, items } = smallLegacyTable();
    const store = await storeWith(items);
    const before = byKey(await scanTable(store));
    const lines: string[] = [];

    const report = await migrateTable(store, { dryRun: true, log: (line) => lines.push(line) });

    const { verification, ...counts } = report;
    expect(counts).toEqual({
      dryRun: true,
      scanned: 11,
      planned: smallPlan,
      applied: {},
      transactions: 0,
      writes: 0,
      raced: 0,
      rounds: 0,
    });
    expect(lines).toEqual(["scanned 11 items; 4 transactions planned"]);
    expect(verification.counts).toMatchObject({ deck: 1, do: 5, ownerRow: 3, collaboratorRow: 2 });
    const layout = verification.checks.find((check) => check.name.startsWith("deck items"));
    expect(layout?.violations).toEqual([
      `deck ${deck.deckId}: no type, no version, collaborators is not a non-empty string set`,
    ]);
    expect(byKey(await scanTable(store))).toEqual(before);
  });

  it("stops after maxRounds and verifies the table as those rounds left it", async () => {
    const store = await storeWith(smallLegacyTable().items);
    const lines: string[] = [];

    const report = await migrateTable(store, { maxRounds: 1, log: (line) => lines.push(line) });

    expect(report).toMatchObject({ applied: smallPlan, transactions: 4, writes: 11, rounds: 1 });
    expect(lines).toEqual([
      "scanned 11 items; 4 transactions planned",
      "round 1: 4 applied, 0 raced a live writer",
    ]);
    // The deck count alice's rows settled for is left to a next run, and the report says so.
    expect(report.verification.checks.flatMap((check) => check.violations)).toEqual([
      `owner ${alice}: deck count undefined, but 1 live decks`,
    ]);
    const resumed = await migrateTable(store);
    expect(resumed).toMatchObject({ applied: { ownerCountWritten: 1 }, writes: 1, rounds: 1 });
    expect(violationCount(resumed.verification)).toBe(0);
  });

  it("keeps a rename made while it runs: the refused change is planned again from a fresh scan", async () => {
    const { deck, items } = smallLegacyTable();
    const store = await storeWith(items);
    const renamedAt = pythonTimestamp(Date.UTC(2026, 0, 2, 9, 30), 250);
    // The old service renames the deck just before the migration's first change to it lands.
    const racing = intercepted(store, async (sent, command) => {
      if (sent !== 1 || !touchesDeck(command, deck.deckId)) return;
      await store.client.send(
        new UpdateCommand({
          TableName: store.tableName,
          Key: { PK: `DECK#${deck.deckId}`, SK: "DECK" },
          UpdateExpression: "SET #name = :name, nameLower = :lower, updatedAt = :at",
          ExpressionAttributeNames: { "#name": "name" },
          ExpressionAttributeValues: { ":name": "Food", ":lower": "food", ":at": renamedAt },
        }),
      );
    });
    const lines: string[] = [];

    const report = await migrateTable(racing, { log: (line) => lines.push(line) });

    const { verification, ...counts } = report;
    expect(counts).toEqual({
      dryRun: false,
      scanned: 11,
      planned: smallPlan,
      // Round 2 rebuilt the rows under the new name; the old-name rows went as stale.
      applied: { ...smallPlan, rowWritten: 2, staleRowDeleted: 3, ownerCountWritten: 1 },
      transactions: 5,
      writes: 14,
      raced: 1,
      rounds: 3,
    });
    expect(lines).toEqual([
      "scanned 11 items; 4 transactions planned",
      "round 1: 3 applied, 1 raced a live writer",
      "round 2: 1 applied, 0 raced a live writer",
      "round 3: 1 applied, 0 raced a live writer",
    ]);
    expect(violationCount(verification)).toBe(0);
    const stored = (await scanTable(store)).find(
      (item) => item.PK === `DECK#${deck.deckId}` && item.SK === "DECK",
    );
    expect(stored).toMatchObject({ name: "Food", nameLower: "food", type: "deck", version: 1 });
  });

  it("counts a change that met another transaction on its items (TransactionConflict) as raced, and applies it next round", async () => {
    const { deck, items } = smallLegacyTable();
    const store = await storeWith(items);
    const conflicted = intercepted(store, async (sent, command) => {
      if (sent === 1 && touchesDeck(command, deck.deckId))
        throw cancelled(command, "TransactionConflict");
    });

    const report = await migrateTable(conflicted);

    expect(report).toMatchObject({
      applied: { ...smallPlan, ownerCountWritten: 1 },
      transactions: 5,
      writes: 12,
      raced: 1,
      rounds: 3,
    });
    expect(violationCount(report.verification)).toBe(0);
  });

  it("stops with DynamoDB's error when a transaction is cancelled for another reason than a race", async () => {
    const store = await storeWith(smallLegacyTable().items);
    const before = byKey(await scanTable(store));
    let refusal: TransactionCanceledException | undefined;
    const refused = intercepted(store, async (_, command) => {
      refusal = cancelled(command, "ValidationError");
      throw refusal;
    });

    const error = await migrateTable(refused).catch((failure: unknown) => failure);
    expect(refusal).toBeInstanceOf(TransactionCanceledException);
    expect(error).toBe(refusal);
    expect(byKey(await scanTable(store))).toEqual(before);
  });

  it("stops with the error when the connection drops, writing nothing more", async () => {
    const store = await storeWith(smallLegacyTable().items);
    const dropped = intercepted(store, async (sent) => {
      if (sent === 2) throw new Error("connection lost");
    });

    await expect(migrateTable(dropped)).rejects.toThrow("connection lost");
    // The first change (the deck and its rows) landed; the rerun finishes the rest.
    const resumed = await migrateTable(store);
    expect(resumed.planned).toEqual({
      positionWritten: 3,
      orphanRowDeleted: 2,
      orphanDoDeleted: 2,
      ownerCountWritten: 1,
    });
    expect(violationCount(resumed.verification)).toBe(0);
  });

  it.each([0, -5, Number.NaN])(
    "refuses a write rate of %d before reading or writing anything",
    async (rate) => {
      const store = await storeWith(smallLegacyTable().items);
      store.counter.reset();
      await expect(migrateTable(store, { maxWritesPerSecond: rate })).rejects.toThrow(
        "the write rate must be a positive number",
      );
      await expect(copyTable(store, store, { maxWritesPerSecond: rate })).rejects.toThrow(
        "the write rate must be a positive number",
      );
      expect(store.counter.calls).toEqual([]);
    },
  );
});

describe("copyTable", () => {
  it("copies every item of the old table into an empty one and leaves the old table as it was", async () => {
    const { items } = smallLegacyTable();
    const source = await storeWith(items, "old");
    const target = await createTestStore("new");
    const before = byKey(await scanTable(source));

    const result = await copyTable(source, target);

    expect(result).toEqual({ scanned: 11, copied: 11, present: 0 });
    expect(byKey(await scanTable(target))).toEqual(before);
    expect(byKey(await scanTable(source))).toEqual(before);
  });

  it("keeps what the target already holds: a rerun counts those items as present and overwrites none", async () => {
    const { deck, items } = smallLegacyTable();
    const source = await storeWith(items, "old");
    const target = await createTestStore("new");
    await copyTable(source, target);
    // DoDeck converted the deck and its dos meanwhile, and removed the debris.
    await migrateTable(target);
    const converted = byKey(await scanTable(target));

    const result = await copyTable(source, target);

    // The deck, its two rows and three dos are kept; the debris comes back, nothing else.
    expect(result).toEqual({ scanned: 11, copied: 5, present: 6 });
    const after = byKey(await scanTable(target));
    const ofDeck = (list: Item[]) =>
      list.filter((item) => item.deckId === deck.deckId && item.PK === `DECK#${deck.deckId}`);
    expect(ofDeck(after)).toEqual(ofDeck(converted));
    expect(after).toHaveLength(converted.length + 5);
  });

  it("in a dry run, counts what it would copy and writes nothing", async () => {
    const source = await storeWith(smallLegacyTable().items, "old");
    const target = await createTestStore("new");

    expect(await copyTable(source, target, { dryRun: true })).toEqual({
      scanned: 11,
      copied: 0,
      present: 0,
    });
    expect(await scanTable(target)).toEqual([]);
  });

  it("refuses a second copy once markCopied recorded a verified one, naming both tables and when", async () => {
    const source = await storeWith(smallLegacyTable().items, "old");
    const target = await createTestStore("new");
    await copyTable(source, target);
    await migrateTable(target);
    await markCopied(target, source.tableName, "2026-12-01T10:00:00.000Z");
    const before = byKey(await scanTable(target));
    // Users delete a deck in DoDeck after the cutover: a second copy would bring it back.
    const refusal = copyTable(source, target);

    await expect(refusal).rejects.toBeInstanceOf(CopyRefused);
    await expect(refusal).rejects.toMatchObject({
      name: "CopyRefused",
      message: `${target.tableName} already holds a verified copy of ${source.tableName} (made 2026-12-01T10:00:00.000Z); copying again would bring back what users deleted since. Run without --from-table to check or finish the migration in place.`,
    });
    await expect(copyTable(source, target, { dryRun: true })).rejects.toBeInstanceOf(CopyRefused);
    expect(byKey(await scanTable(target))).toEqual(before);
    // The record is an item of its own kind, which verification counts and accepts.
    const verification = await verifyStoredTable(target);
    expect(verification.counts.marker).toBe(1);
    expect(violationCount(verification)).toBe(0);

    // Another old table is not refused.
    const other = await storeWith([], "other");
    expect(await copyTable(other, target)).toEqual({ scanned: 0, copied: 0, present: 0 });
  });

  it("stops with the error when a put fails, and a rerun copies the rest", async () => {
    const source = await storeWith(smallLegacyTable().items, "old");
    const target = await createTestStore("new");
    let puts = 0;
    const failing: Store = {
      tableName: target.tableName,
      client: {
        send: (command: PutCommand) => {
          if (command instanceof PutCommand && ++puts > 4)
            return Promise.reject(new Error("connection lost"));
          return target.client.send(command);
        },
      } as unknown as Store["client"],
    };

    await expect(copyTable(source, failing)).rejects.toThrow("connection lost");
    expect(await scanTable(target)).toHaveLength(4);
    expect(await copyTable(source, target)).toEqual({ scanned: 11, copied: 7, present: 4 });
  });
});

describe("reading the table", () => {
  it("verifies a table larger than one Scan page (1 MB), every page of it", async () => {
    const big = "x".repeat(350_000);
    const items = Array.from({ length: 4 }, (_, i) => ({ PK: `BULK#${i}`, SK: "BULK", big }));
    const store = await storeWith(items, "big");

    const verification = await verifyStoredTable(store);

    expect(verification.counts.other).toBe(4);
    const listed = verification.warnings.find((w) => w.name.startsWith("items neither"))?.items;
    expect(listed?.toSorted()).toEqual(items.map((item) => `${item.PK} / ${item.SK}`));
    expect(store.counter.calls.filter((call) => call === "Scan").length).toBeGreaterThan(1);
  });

  it("asks for strongly consistent reads (on AWS an eventually consistent one can miss a write made just before)", async () => {
    const source = await storeWith(smallLegacyTable().items, "old");
    const target = await createTestStore("new");
    const reads: { command: string; consistent: unknown }[] = [];
    for (const store of [source, target])
      store.client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { ConsistentRead?: unknown };
          const command = String(context.commandName).replace(/Command$/, "");
          reads.push({ command, consistent: input.ConsistentRead });
          return next(args);
        },
        { step: "initialize" },
      );

    await copyTable(source, target, { dryRun: true });
    await verifyStoredTable(source);

    expect(reads).toEqual([
      { command: "GetItem", consistent: true },
      { command: "Scan", consistent: true },
      { command: "Scan", consistent: true },
    ]);
  });
});

describe("the write rate", () => {
  it("holds a migration to maxWritesPerSecond, a transaction larger than that borrowing from the next second", async () => {
    // 2 writes (row, deck) + one transaction of 11 positions (more than 10) + 10 orphan rows
    // (each deleted under a check that writes nothing) + 1 deck count in round 2: 24 writes.
    const random = seeded(7);
    const deck = generatedDeck(random, { ownerSub: alice, name: "Busy", collaborators: [] }, 11);
    const gone = Array.from({ length: 10 }, (_, i) =>
      generatedDeck(random, { ownerSub: carol, name: `Gone ${i}`, collaborators: [] }, 0),
    );
    const store = await storeWith(legacyItems([deck], { deletedDecks: gone }));

    const clock = virtualClock();
    const report = await migrateTable(store, { maxWritesPerSecond: 10, clock });

    expect(report).toMatchObject({ writes: 24, transactions: 13, rounds: 2 });
    expect(violationCount(report.verification)).toBe(0);
    // The bucket starts full (10); the last write waits until 24 - 10 = 14 more were earned,
    // 1.4 s. Counting the checks as writes would cost a second more.
    expect(clock.elapsedMs()).toBeCloseTo(1_400, 0);
  });

  it("does not bound a migration at maxWritesPerSecond Infinity, even when writes share a millisecond", async () => {
    const store = await storeWith(smallLegacyTable().items);
    // A clock that does not move between writes: on a fast table, writes share a millisecond.
    vi.spyOn(Date, "now").mockReturnValue(Date.now());

    const report = await finishedWithin(5, migrateTable(store, { maxWritesPerSecond: Infinity }));

    expect(report).toMatchObject({ writes: 12, rounds: 2 });
    expect(violationCount(report.verification)).toBe(0);
  });

  it("holds a copy to maxWritesPerSecond", async () => {
    const source = await storeWith(smallLegacyTable().items, "old");
    const target = await createTestStore("new");

    const clock = virtualClock();
    const result = await copyTable(source, target, { maxWritesPerSecond: 8, clock });

    expect(result.copied).toBe(11);
    // 8 at once, then 3 more at 8 per second.
    expect(clock.elapsedMs()).toBeCloseTo(375, 0);
  });
});
