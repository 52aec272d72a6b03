import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { Store } from "@dodeck/core";
import {
  applyChange,
  migrateTable,
  planMigration,
  scanTable,
  snapshotOf,
  verifyStoredTable,
  violationCount,
} from "@dodeck/core/migration";
import { describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { loadWireItems, readLegacyFixture, tokenUser } from "../support/legacy.ts";
import { expectAnswer, expectedAnswer, getAll } from "./support.ts";

const fixture = readLegacyFixture();

/** The same table, through a client that dies after `transactions` TransactWriteItems. */
function interruptedAfter(store: Store, transactions: number): Store {
  let sent = 0;
  const client = {
    send: (command: unknown) => {
      if (command instanceof TransactWriteCommand && ++sent > transactions)
        return Promise.reject(new Error("connection lost"));
      return store.client.send(command as TransactWriteCommand);
    },
  };
  return { tableName: store.tableName, client: client as unknown as Store["client"] };
}

async function legacyApp(): Promise<TestApp> {
  const app = await createTestApp();
  await loadWireItems(app.store.tableName, fixture.items);
  return app;
}

/** Every recorded deck read answers as after a full migration, or (not converted yet) 404. */
async function expectNoHalfConvertedDeck(app: TestApp, { done }: { done: boolean }) {
  for (const [name, user] of Object.entries(fixture.users)) {
    for (const deck of user.decks) {
      for (const recorded of [deck.detail, deck.dos]) {
        const reply = await getAll(app, tokenUser(user), recorded.request.replace(/^GET /, ""));
        if (!done && reply.status === 404) continue;
        expectAnswer(reply, expectedAnswer(recorded), `${name} ${recorded.request}`);
      }
    }
  }
}

describe("an interrupted migration", () => {
  it.each([0, 1, 5, 11])(
    "leaves no deck half-converted after %i transactions, and a rerun finishes it",
    async (transactions) => {
      const app = await legacyApp();
      await expect(migrateTable(interruptedAfter(app.store, transactions))).rejects.toThrow(
        "connection lost",
      );
      await expectNoHalfConvertedDeck(app, { done: false });

      const resumed = await migrateTable(app.store);
      expect(violationCount(resumed.verification)).toBe(0);
      expect(resumed.planned.deckConverted ?? 0).toBe(
        fixture.items.filter((item) => item.SK?.S === "DECK").length - transactions,
      );
      await expectNoHalfConvertedDeck(app, { done: true });
      expect((await migrateTable(app.store)).writes).toBe(0);
    },
    60_000,
  );
});

describe("a migration racing live DoDeck writes", () => {
  it("loses no user write: a change planned before a rename is refused and planned again", async () => {
    const app = await legacyApp();
    await migrateTable(app.store);
    const alice = fixture.users.alice ?? Object.values(fixture.users)[0]!;
    const deck = alice.decks.find((d) => d.role === "owner")!;
    // Debris the migration will want to remove: a stray row under an old name.
    const [row] = (await scanTable(app.store)).filter(
      (item) => String(item.PK).startsWith("ACCESS#USER#") && item.deckId === deck.deckId,
    );
    const stray = { ...row!, SK: `DECK#a former name#${deck.deckId}` };
    await app.store.client.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: app.store.tableName, Item: stray } }],
      }),
    );
    const planned = planMigration(snapshotOf(await scanTable(app.store)), app.store.tableName);
    expect(planned).toHaveLength(1);

    const renamed = await app.call(tokenUser(alice), "PATCH", `/v1/decks/${deck.deckId}`, {
      name: "Renamed while migrating",
    });
    expect(renamed.status).toBe(200);
    expect(await applyChange(app.store, planned[0]!)).toBe(false);

    const report = await migrateTable(app.store);
    expect(report.applied.staleRowDeleted).toBe(1);
    expect(violationCount(report.verification)).toBe(0);
    const after = await app.call(tokenUser(alice), "GET", `/v1/decks/${deck.deckId}`);
    expect(after.body.name).toBe("Renamed while migrating");
    expect(violationCount(await verifyStoredTable(app.store))).toBe(0);
  });
});
