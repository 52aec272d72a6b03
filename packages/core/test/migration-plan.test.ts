import { describe, expect, it } from "vitest";
import { limits } from "../src/limits.ts";
import {
  type Change,
  planMigration,
  snapshotOf,
  verifyTable,
  violationCount,
} from "../src/migration-plan.ts";
import { comparePlaces, positionOfItem } from "../src/positions.ts";

/** The items a plan puts, as the table would hold them afterwards (debris aside). */
const writtenItems = (changes: Change[]) =>
  changes.flatMap((change) =>
    change.actions.flatMap((action) => (action.Put?.Item ? [action.Put.Item] : [])),
  );

/**
 * The table after `migrateTable`'s rounds: each round's plan applied (puts and deletes) until
 * one plans nothing. An owner's deck count waits for the round after their rows change.
 */
function converged(items: Record<string, unknown>[]): Record<string, unknown>[] {
  const table = new Map(items.map((item) => [`${item.PK}|${item.SK}`, item]));
  for (let round = 1; round <= 5; round++) {
    const changes = planMigration(snapshotOf([...table.values()]), T);
    if (changes.length === 0) return [...table.values()];
    for (const action of changes.flatMap((change) => change.actions)) {
      if (action.Put?.Item)
        table.set(`${action.Put.Item.PK}|${action.Put.Item.SK}`, action.Put.Item);
      if (action.Delete?.Key) table.delete(`${action.Delete.Key.PK}|${action.Delete.Key.SK}`);
    }
  }
  throw new Error("the migration did not converge in 5 rounds");
}

const T = "DoDeck";
const D1 = "507c7963-1c48-4437-8174-71eb0c4bb5c4";
const D9 = "56d2dab5-1ba9-46da-a6f5-d6a78506d03f";
const legacyDeck = {
  PK: `DECK#${D1}`,
  SK: "DECK",
  deckId: D1,
  name: "Groceries",
  nameLower: "groceries",
  ownerSub: "auth0|alice",
  collaborators: { "bob@example.com": { addedAt: "2026-11-30T15:54:19.105114+00:00" } },
  createdAt: "2026-11-30T15:54:18.513289+00:00",
  updatedAt: "2026-11-30T15:54:19.105114+00:00",
};
const legacyRow = (pk: string, access: string) => ({
  PK: pk,
  SK: `DECK#groceries#${D1}`,
  access,
  deckId: D1,
  name: "Groceries",
  nameLower: "groceries",
  ownerSub: "auth0|alice",
});
const ownerRow = legacyRow("ACCESS#USER#auth0|alice", "owner");
const bobRow = legacyRow("ACCESS#EMAIL#bob@example.com", "collaborator");

describe("planMigration", () => {
  it("rewrites a legacy deck's rows under a check of the deck as read, then the deck itself", () => {
    const changes = planMigration(snapshotOf([legacyDeck, ownerRow, bobRow]), T);
    const unchanged = {
      ConditionExpression:
        "attribute_not_exists(#version) AND #updatedAt = :seenUpdatedAt AND attribute_not_exists(#lastChangeAt)",
      ExpressionAttributeNames: {
        "#version": "version",
        "#lastChangeAt": "lastChangeAt",
        "#updatedAt": "updatedAt",
      },
      ExpressionAttributeValues: { ":seenUpdatedAt": legacyDeck.updatedAt },
    };
    const row = (PK: string) => ({
      PK,
      SK: `DECK#groceries#${D1}`,
      type: "access",
      deckId: D1,
      name: "Groceries",
      collaboratorCount: 1,
    });
    expect(changes).toEqual([
      {
        deckId: D1,
        actions: [
          { Put: { TableName: T, Item: row("ACCESS#USER#auth0|alice") } },
          { Put: { TableName: T, Item: row("ACCESS#EMAIL#bob@example.com") } },
          {
            Put: {
              TableName: T,
              Item: {
                PK: `DECK#${D1}`,
                SK: "DECK",
                type: "deck",
                deckId: D1,
                name: "Groceries",
                nameLower: "groceries",
                ownerSub: "auth0|alice",
                collaborators: new Set(["bob@example.com"]),
                createdAt: "2026-11-30T15:54:18.513Z",
                updatedAt: "2026-11-30T15:54:19.105Z",
                version: 1,
                // The number of its dos as scanned (none here).
                doCount: 0,
              },
              ...unchanged,
            },
          },
        ],
        tally: { rowWritten: 2, deckConverted: 1 },
      },
    ]);
  });

  it("plans nothing for its own result, once the owner's count follows the rewritten rows", () => {
    const changes = planMigration(snapshotOf([legacyDeck, ownerRow, bobRow]), T);
    const written = writtenItems(changes);
    // The deck now counts its dos; the owner's deck count waits for the next round.
    expect(written.find((item) => item.SK === "DECK")?.doCount).toBe(0);
    const next = planMigration(snapshotOf(written), T);
    expect(next.map((change) => change.tally)).toEqual([{ ownerCountWritten: 1 }]);
    const done = converged([legacyDeck, ownerRow, bobRow]);
    expect(done.find((item) => item.SK === "COUNT")).toEqual({
      PK: "ACCESS#USER#auth0|alice",
      SK: "COUNT",
      type: "ownerCount",
      ownerSub: "auth0|alice",
      deckCount: 1,
    });
    expect(planMigration(snapshotOf(done), T)).toEqual([]);
    expect(violationCount(verifyTable(snapshotOf(done)))).toBe(0);
  });

  it("deletes a stale row of a live deck under the deck's check, and debris under an absence check", () => {
    const current = writtenItems(planMigration(snapshotOf([legacyDeck, ownerRow, bobRow]), T));
    const stale = { ...ownerRow, SK: `DECK#old name#${D1}` };
    const orphanRow = { ...bobRow, SK: `DECK#gone#${D9}`, deckId: D9 };
    const orphanDo = { PK: `DECK#${D9}`, SK: "DO#x1", doId: "x1", deckId: D9 };
    const changes = planMigration(snapshotOf([...current, stale, orphanRow, orphanDo]), T);
    expect(changes).toEqual([
      {
        deckId: D1,
        actions: [
          { Delete: { TableName: T, Key: { PK: stale.PK, SK: stale.SK } } },
          {
            ConditionCheck: {
              TableName: T,
              Key: { PK: `DECK#${D1}`, SK: "DECK" },
              ConditionExpression:
                "#version = :seenVersion AND attribute_not_exists(#lastChangeAt)",
              ExpressionAttributeNames: { "#version": "version", "#lastChangeAt": "lastChangeAt" },
              ExpressionAttributeValues: { ":seenVersion": 1 },
            },
          },
        ],
        tally: { staleRowDeleted: 1 },
      },
      {
        deckId: D9,
        actions: [
          { Delete: { TableName: T, Key: { PK: orphanRow.PK, SK: orphanRow.SK } } },
          {
            ConditionCheck: {
              TableName: T,
              Key: { PK: `DECK#${D9}`, SK: "DECK" },
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
        ],
        tally: { orphanRowDeleted: 1 },
      },
      {
        deckId: D9,
        actions: [
          { Delete: { TableName: T, Key: { PK: orphanDo.PK, SK: orphanDo.SK } } },
          {
            ConditionCheck: {
              TableName: T,
              Key: { PK: `DECK#${D9}`, SK: "DECK" },
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
        ],
        tally: { orphanDoDeleted: 1 },
      },
    ]);
  });

  it("lists a deck marked deleting before the sweeper existed, and drops entries pointing at nothing or a live deck", () => {
    const current = converged([legacyDeck, ownerRow, bobRow]);
    const live = current.find((item) => item.SK === "DECK") as Record<string, unknown>;
    const D2 = "0f0e3d6a-9d8c-4b0a-8c1e-3a5b7c9d1e2f";
    const marked = { ...live, PK: `DECK#${D2}`, deckId: D2, deleting: true, version: 4 };
    const onLive = {
      PK: "DELETING",
      SK: `DECK#${D1}`,
      type: "pendingDeletion",
      deckId: D1,
      markedAt: "x",
    };
    const onNothing = { ...onLive, SK: `DECK#${D9}`, deckId: D9 };
    const before = snapshotOf([...current, marked, onLive, onNothing]);
    expect(verifyTable(before).checks.at(-1)!.violations).toEqual([
      `deck ${D2}: deleting but not listed for the sweeper`,
      `DELETING / DECK#${D1}: points at a live deck`,
      `DELETING / DECK#${D9}: points at a deck that does not exist`,
    ]);
    const changes = planMigration(before, T);
    expect(changes).toEqual([
      {
        deckId: D1,
        actions: [
          { Delete: { TableName: T, Key: { PK: "DELETING", SK: `DECK#${D1}` } } },
          expect.objectContaining({
            ConditionCheck: expect.objectContaining({ Key: { PK: `DECK#${D1}`, SK: "DECK" } }),
          }),
        ],
        tally: { pendingDeletionDeleted: 1 },
      },
      {
        deckId: D2,
        actions: [
          {
            Put: {
              TableName: T,
              Item: {
                PK: "DELETING",
                SK: `DECK#${D2}`,
                type: "pendingDeletion",
                deckId: D2,
                markedAt: live.updatedAt,
              },
            },
          },
          {
            ConditionCheck: {
              TableName: T,
              Key: { PK: `DECK#${D2}`, SK: "DECK" },
              ConditionExpression:
                "#version = :seenVersion AND attribute_not_exists(#lastChangeAt)",
              ExpressionAttributeNames: { "#version": "version", "#lastChangeAt": "lastChangeAt" },
              ExpressionAttributeValues: { ":seenVersion": 4 },
            },
          },
        ],
        tally: { pendingDeletionListed: 1 },
      },
      {
        deckId: D9,
        actions: [
          { Delete: { TableName: T, Key: { PK: "DELETING", SK: `DECK#${D9}` } } },
          {
            ConditionCheck: {
              TableName: T,
              Key: { PK: `DECK#${D9}`, SK: "DECK" },
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
        ],
        tally: { pendingDeletionDeleted: 1 },
      },
    ]);
    const after = snapshotOf([...current, marked, ...writtenItems(changes)]);
    expect(violationCount(verifyTable(after))).toBe(0);
    expect(planMigration(after, T)).toEqual([]);
  });

  it("splits a deck shared beyond one transaction into row batches and puts the deck last", () => {
    const emails = Array.from({ length: 150 }, (_, i) => `guest${i}@example.com`);
    const crowded = {
      ...legacyDeck,
      collaborators: Object.fromEntries(emails.map((email) => [email, { addedAt: "x" }])),
    };
    const changes = planMigration(snapshotOf([crowded]), T);
    expect(changes.map((change) => change.actions.length)).toEqual([100, 53]);
    for (const change of changes)
      expect(change.actions.length).toBeLessThanOrEqual(limits.maxTransactionActions);
    expect(changes[0]!.actions.at(-1)!.ConditionCheck).toBeDefined();
    expect(changes[1]!.actions.at(-1)!.Put?.Item?.SK).toBe("DECK");
    const verification = verifyTable(snapshotOf(converged([crowded])));
    expect(violationCount(verification)).toBe(0);
    expect(verification.warnings[0]!.items).toEqual([`${D1} (150 collaborators)`]);
  });
});

describe("verifyTable: do versions", () => {
  it("accepts dos without a version (version 1) or with a positive integer one, flags any other, and counts Idempotency-Key records apart from unknown items", () => {
    const deck = {
      PK: "DECK#01HZZZZZZZZZZZZZZZZZZZZZZZ",
      SK: "DECK",
      type: "deck",
      deckId: "01HZZZZZZZZZZZZZZZZZZZZZZZ",
      name: "V",
      nameLower: "v",
      ownerSub: "auth0|alice",
      createdAt: "2026-11-30T15:54:18.513Z",
      updatedAt: "2026-11-30T15:54:18.513Z",
      version: 1,
    };
    const doOf = (doId: string, version?: unknown) => ({
      PK: deck.PK,
      SK: `DO#${doId}`,
      doId,
      deckId: deck.deckId,
      text: "t",
      completed: false,
      createdAt: deck.createdAt,
      updatedAt: deck.updatedAt,
      position: "1",
      ...(version === undefined ? {} : { version }),
    });
    const ownerAccess = {
      PK: "ACCESS#USER#auth0|alice",
      SK: `DECK#v#${deck.deckId}`,
      type: "access",
      deckId: deck.deckId,
      name: "V",
      collaboratorCount: 0,
    };
    const record = {
      PK: "IDEMPOTENCY#auth0|alice",
      SK: "KEY#k1",
      type: "idempotency",
      fingerprint: "f",
      result: "{}",
      version: 1,
      expiresAt: 1,
    };
    const snapshot = snapshotOf([record]);
    expect({ counts: snapshot.counts.idempotency, other: snapshot.other }).toEqual({
      counts: 1,
      other: [],
    });
    const verification = verifyTable(
      snapshotOf([
        { ...deck, doCount: 5 },
        record,
        ownerAccess,
        {
          PK: ownerAccess.PK,
          SK: "COUNT",
          type: "ownerCount",
          ownerSub: "auth0|alice",
          deckCount: 1,
        },
        doOf("01HZZZZZZZZZZZZZZZZZZZZZZ0"),
        doOf("01HZZZZZZZZZZZZZZZZZZZZZZ1", 1),
        doOf("01HZZZZZZZZZZZZZZZZZZZZZZ2", 7),
        doOf("01HZZZZZZZZZZZZZZZZZZZZZZ3", 0),
        doOf("01HZZZZZZZZZZZZZZZZZZZZZZ4", "2"),
      ]),
    );
    const dos = verification.checks.find((check) => check.name.startsWith("do items"))!;
    expect(dos.violations).toEqual([
      `do ${deck.PK} / DO#01HZZZZZZZZZZZZZZZZZZZZZZ3: version is not a positive integer`,
      `do ${deck.PK} / DO#01HZZZZZZZZZZZZZZZZZZZZZZ4: version is not a positive integer`,
    ]);
    expect(violationCount(verification)).toBe(2);
  });
});

describe("planMigration: do positions", () => {
  const deckItem = writtenItems(planMigration(snapshotOf([legacyDeck, ownerRow, bobRow]), T));
  const legacyDo = (doId: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
    PK: `DECK#${D1}`,
    SK: `DO#${doId}`,
    doId,
    deckId: D1,
    text: doId,
    completed: false,
    createdAt,
    updatedAt: createdAt,
    ...extra,
  });
  /** The table after the plan's position updates, as DynamoDB would apply them. */
  const applyPositions = (items: Record<string, unknown>[], changes: Change[]) => {
    const positions = new Map<string, unknown>();
    for (const change of changes)
      for (const action of change.actions)
        if (action.Update)
          positions.set(
            `${action.Update.Key?.PK} ${action.Update.Key?.SK}`,
            action.Update.ExpressionAttributeValues?.[":position"],
          );
    return items.map((item) => {
      const position = positions.get(`${item.PK} ${item.SK}`);
      return position === undefined ? item : { ...item, position };
    });
  };
  // The old service's order: by instant to the microsecond, ties in key order.
  const dos = [
    legacyDo("c3f9a0b1-0000-4000-8000-000000000003", "2026-11-30T15:54:19.236360+00:00"),
    legacyDo("a1f9a0b1-0000-4000-8000-000000000001", "2026-11-30T15:54:19.236361+00:00"),
    legacyDo("b2f9a0b1-0000-4000-8000-000000000002", "2026-11-30T15:54:19.236361+00:00"),
    legacyDo("d4f9a0b1-0000-4000-8000-000000000004", "2026-11-30T15:54:20+00:00"),
    // DoDeck before v1.1: milliseconds, no position.
    legacyDo("01JDZ0000000000000000000AA", "2026-11-30T15:54:20.001Z"),
  ];
  const placed = legacyDo("01JDZ0000000000000000000BB", "2026-11-30T15:54:21.000Z", {
    type: "do",
    position: "0V",
    version: 3,
  });

  it("writes the position reads derive on every do without one, conditioned on its absence, and reproduces the old order", () => {
    const orphan = { ...legacyDo("e5f9a0b1-0000-4000-8000-000000000005", "x"), PK: `DECK#${D9}` };
    const table = [...deckItem, ...[...dos].reverse(), placed, orphan];
    const changes = planMigration(snapshotOf(table), T);
    const positioning = changes.filter((change) => change.tally.positionWritten);
    expect(positioning).toHaveLength(1);
    expect(positioning[0]!.tally).toEqual({ positionWritten: 5 });
    expect(positioning[0]!.actions[0]).toEqual({
      Update: {
        TableName: T,
        Key: { PK: `DECK#${D1}`, SK: "DO#01JDZ0000000000000000000AA" },
        UpdateExpression: "SET #position = :position",
        ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(#position)",
        ExpressionAttributeNames: { "#position": "position" },
        ExpressionAttributeValues: { ":position": expect.stringMatching(/^[0-9A-Za-z]+$/) },
      },
    });
    // The orphan is deleted, not positioned; the do that has a position is left alone. (The
    // deck's do count and the owner's deck count are planned too: not this test's subject.)
    const ofDos = (all: Change[]) =>
      all.filter((change) => change.tally.positionWritten || change.tally.orphanDoDeleted);
    expect(ofDos(changes).map((change) => change.tally)).toEqual([
      { positionWritten: 5 },
      { orphanDoDeleted: 1 },
    ]);
    const after = applyPositions(
      table.filter((item) => item !== orphan),
      changes,
    );
    const order = after
      .filter((item) => String(item.SK).startsWith("DO#"))
      .sort((a, b) =>
        comparePlaces(
          { position: String(a.position), doId: String(a.doId) },
          { position: String(b.position), doId: String(b.doId) },
        ),
      )
      .map((item) => item.doId);
    expect(order).toEqual([...dos.map((item) => item.doId), placed.doId]);
    expect(after.find((item) => item.doId === placed.doId)).toEqual(placed);
    // Each written position is the one a read derived before the migration.
    for (const item of table.filter((entry) => entry.PK === `DECK#${D1}` && entry.SK !== "DECK"))
      expect(after.find((entry) => entry.SK === item.SK)!.position).toBe(positionOfItem(item));
    expect(ofDos(planMigration(snapshotOf(after), T))).toEqual([]);
    const violations = verifyTable(snapshotOf(after)).checks.flatMap((check) => check.violations);
    expect(violations.filter((violation) => violation.includes("position"))).toEqual([]);
  });

  it("batches the positions of a large deck in transactions of at most 100 updates", () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      legacyDo(`01JDZ00000000000000000${String(i).padStart(4, "0")}`, "2026-11-30T15:54:20Z"),
    );
    const changes = planMigration(snapshotOf([...deckItem, ...many]), T);
    const positioning = changes.filter((change) => change.tally.positionWritten);
    expect(positioning.map((change) => change.actions.length)).toEqual([100, 100, 50]);
    const after = applyPositions([...deckItem, ...many], changes);
    expect(planMigration(snapshotOf(after), T).filter((c) => c.tally.positionWritten)).toEqual([]);
  });
});

describe("verifyTable: do positions", () => {
  const deck = writtenItems(planMigration(snapshotOf([legacyDeck, ownerRow, bobRow]), T));
  const aDo = {
    PK: `DECK#${D1}`,
    SK: "DO#01JDZ0000000000000000000AA",
    doId: "01JDZ0000000000000000000AA",
    deckId: D1,
    text: "t",
    completed: false,
    createdAt: "2026-11-30T15:54:20.001Z",
    updatedAt: "2026-11-30T15:54:20.001Z",
  };
  const violationsFor = (position: unknown) =>
    verifyTable(snapshotOf([...deck, { ...aDo, position }])).checks.find((check) =>
      check.name.startsWith("do items"),
    )!.violations;

  it("passes well-formed positions and flags a missing or malformed one", () => {
    for (const position of ["1", "0V", "08E0lpVicK", "z".repeat(128)])
      expect(violationsFor(position), position).toEqual([]);
    expect(violationsFor(undefined)).toEqual([`do DECK#${D1} / ${aDo.SK}: no position`]);
    for (const position of ["", "0", "a0", "a b", "a#", "é", 7, "z".repeat(129)])
      expect(violationsFor(position), String(position)).toEqual([
        `do DECK#${D1} / ${aDo.SK}: position is not a well-formed key`,
      ]);
  });
});
