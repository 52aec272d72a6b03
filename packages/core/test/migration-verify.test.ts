import { describe, expect, it } from "vitest";
import { keys } from "../src/keys.ts";
import {
  type Item,
  kindOf,
  planMigration,
  sameItem,
  snapshotOf,
  verifyTable,
  violationCount,
} from "../src/migration-plan.ts";

const D = "507c7963-1c48-4437-8174-71eb0c4bb5c4";
const O = "6cb03f22-09e1-46f9-b5c2-55a81ab500e5";
const X = "e399b45b-4631-445a-88a6-59daecb74fd2";
const deck: Item = {
  PK: `DECK#${D}`,
  SK: "DECK",
  type: "deck",
  deckId: D,
  name: "Groceries",
  nameLower: "groceries",
  ownerSub: "auth0|alice",
  collaborators: new Set(["bob@example.com"]),
  createdAt: "2026-11-30T15:54:18.513Z",
  updatedAt: "2026-11-30T15:54:19.105Z",
  version: 3,
  doCount: 1,
};
const row = (PK: string): Item => ({
  PK,
  SK: `DECK#groceries#${D}`,
  type: "access",
  deckId: D,
  name: "Groceries",
  collaboratorCount: 1,
});
const ownerRow = row("ACCESS#USER#auth0|alice");
const bobRow = row("ACCESS#EMAIL#bob@example.com");
const aDo: Item = {
  PK: `DECK#${D}`,
  SK: `DO#${X}`,
  doId: X,
  deckId: D,
  text: "Milk",
  completed: false,
  createdAt: "2026-11-30T15:54:19.236360+00:00",
  updatedAt: "2026-11-30T15:54:19+00:00",
  position: "0c4XBq8Hnt",
};
const aliceCount: Item = {
  PK: "ACCESS#USER#auth0|alice",
  SK: "COUNT",
  type: "ownerCount",
  ownerSub: "auth0|alice",
  deckCount: 1,
};
const healthy = [deck, ownerRow, bobRow, aDo, aliceCount];

/** The violations of one check, by the start of its name. */
function violationsOf(items: Item[], check: string): string[] {
  const found = verifyTable(snapshotOf(items)).checks.find((c) => c.name.startsWith(check));
  if (!found) throw new Error(`no check named ${check}`);
  return found.violations;
}
const warningsOf = (items: Item[], warning: string) =>
  verifyTable(snapshotOf(items)).warnings.find((w) => w.name.startsWith(warning))?.items;

describe("verifyTable", () => {
  it("passes a healthy table, counting every item by kind and every check's items", () => {
    const verification = verifyTable(
      snapshotOf([...healthy, { ...keys.copiedFrom("Old"), at: "x" }]),
    );
    expect(violationCount(verification)).toBe(0);
    expect(verification.counts).toEqual({
      deck: 1,
      do: 1,
      ownerRow: 1,
      collaboratorRow: 1,
      marker: 1,
      pendingDeletion: 0,
      idempotency: 0,
      change: 0,
      ownerCount: 1,
      other: 0,
    });
    expect(verification.checks.map((check) => [check.name, check.checked])).toEqual([
      ["deck items are in DoDeck's layout", 1],
      ["each live deck has its owner row and one row per collaborator, matching the deck", 2],
      ["no access row is stale (old name, removed collaborator) or orphaned (deck gone)", 2],
      ["every do belongs to an existing deck", 1],
      [
        "do items are well-formed (ids, text, completed, timestamps, position, version and dueAt when present)",
        1,
      ],
      [
        "every change-feed item belongs to an existing deck, at a position no later than the deck's lastChangeAt",
        0,
      ],
      [
        "each live deck's doCount is its number of dos, and each owner's deck count their number of live decks",
        2,
      ],
      ["every deck being deleted is listed for the sweeper, and every listing is such a deck", 0],
    ]);
    expect(verification.warnings.every((warning) => warning.items.length === 0)).toBe(true);
  });

  it.each([
    ["type", { type: undefined }, "no type"],
    ["version", { version: undefined }, "no version"],
    ["version 0", { version: 0 }, "no version"],
    ["deckId", { deckId: O }, "deckId differs from its key"],
    ["name", { name: "" }, "no name"],
    ["nameLower", { nameLower: "GROCERIES" }, "nameLower differs from name"],
    ["ownerSub", { ownerSub: "" }, "no ownerSub"],
    ["ownerSub type", { ownerSub: 7 }, "no ownerSub"],
    [
      "collaborators map",
      { collaborators: { "bob@example.com": {} } },
      "collaborators is not a non-empty string set",
    ],
    ["empty set", { collaborators: new Set() }, "collaborators is not a non-empty string set"],
    ["createdAt", { createdAt: "yesterday" }, "createdAt is not a timestamp"],
    ["updatedAt", { updatedAt: 5 }, "updatedAt is not a timestamp"],
    ["lastChangeAt", { lastChangeAt: "soon" }, "lastChangeAt is not a positive integer"],
    ["lastChangeAt 0", { lastChangeAt: 0 }, "lastChangeAt is not a positive integer"],
  ])("flags a deck whose %s is wrong", (_, change, problem) => {
    const violations = violationsOf([{ ...deck, ...change }, ownerRow, bobRow], "deck items");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(problem);
  });

  it("classifies change-feed items, checks them against their deck's clock, and deletes orphans", () => {
    const at = 1_796_000_000_000_000;
    const change = (position: number, deckId = D): Item => ({
      ...keys.change(deckId, position),
      type: "change",
      deckId,
      position,
      change: "do.deleted",
      doId: X,
      retainUntil: position + 1,
      expiresAt: 1,
    });
    expect(kindOf(change(at))).toBe("change");
    const clocked = { ...deck, lastChangeAt: at };
    const table = [clocked, ownerRow, bobRow, aDo, aliceCount, change(at - 5), change(at)];
    expect(violationCount(verifyTable(snapshotOf(table)))).toBe(0);
    expect(planMigration(snapshotOf(table), "T")).toEqual([]);
    expect(violationsOf([...table, change(at + 1)], "every change-feed item")).toEqual([
      `change DECK#${D} / ${keys.changeSortKey(at + 1)}: after the deck's lastChangeAt`,
    ]);
    expect(
      violationsOf([...table, { ...change(at - 9), position: at - 8 }], "every change-feed item"),
    ).toEqual([`change DECK#${D} / ${keys.changeSortKey(at - 9)}: position differs from its key`]);
    const orphan = change(at, O);
    expect(violationsOf([...table, orphan], "every change-feed item")).toEqual([
      `change DECK#${O} / ${keys.changeSortKey(at)} (orphan)`,
    ]);
    expect(planMigration(snapshotOf([...table, orphan]), "T")).toEqual([
      {
        deckId: O,
        actions: [
          { Delete: { TableName: "T", Key: keys.change(O, at) } },
          {
            ConditionCheck: {
              TableName: "T",
              Key: keys.deck(O),
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
        ],
        tally: { orphanChangeDeleted: 1 },
      },
    ]);
  });

  it("checks each deck's doCount and each owner's deck count, and plans the owner's count from their rows", () => {
    expect(
      violationsOf(
        [{ ...deck, doCount: 0 }, ownerRow, bobRow, aDo, aliceCount],
        "each live deck's doCount",
      ),
    ).toEqual([`deck ${D}: doCount 0, but 1 dos`]);
    expect(violationsOf([deck, ownerRow, bobRow, aDo], "each live deck's doCount")).toEqual([
      "owner auth0|alice: deck count undefined, but 1 live decks",
    ]);
    const stale = { ...aliceCount, deckCount: 4 };
    expect(violationsOf([deck, ownerRow, bobRow, aDo, stale], "each live deck's doCount")).toEqual([
      "owner auth0|alice: deck count 4, but 1 live decks",
    ]);
    // Planned from the owner's rows, on condition that the counter is still as scanned.
    expect(planMigration(snapshotOf([deck, ownerRow, bobRow, aDo, stale]), "T")).toEqual([
      {
        deckId: "(owner auth0|alice)",
        actions: [
          {
            Put: {
              TableName: "T",
              Item: aliceCount,
              ConditionExpression: "#deckCount = :seen",
              ExpressionAttributeNames: { "#deckCount": "deckCount" },
              ExpressionAttributeValues: { ":seen": 4 },
            },
          },
        ],
        tally: { ownerCountWritten: 1 },
      },
    ]);
    // A deck being deleted counts for nobody (its delete took it off the count).
    expect(
      violationsOf(
        [{ ...deck, deleting: true }, aDo, { ...aliceCount, deckCount: 0 }],
        "each live deck's doCount",
      ),
    ).toEqual([]);
  });

  it("flags a deck id that neither service could have minted", () => {
    const odd = { ...deck, PK: "DECK#odd", deckId: "odd" };
    expect(violationsOf([odd], "deck items")[0]).toContain("id is neither a ULID nor a UUID");
  });

  it("flags a missing row and a row that differs from its deck", () => {
    expect(violationsOf([deck, ownerRow], "each live deck")).toEqual([
      `deck ${D}: missing ACCESS#EMAIL#bob@example.com / DECK#groceries#${D}`,
    ]);
    expect(
      violationsOf([deck, ownerRow, { ...bobRow, collaboratorCount: 0 }], "each live deck"),
    ).toEqual([
      `deck ${D}: ACCESS#EMAIL#bob@example.com / DECK#groceries#${D} differs from the deck`,
    ]);
  });

  it("flags stale and orphan rows, and expects no rows for a deck being deleted", () => {
    const stale = { ...ownerRow, SK: `DECK#old#${D}` };
    const orphan = { ...ownerRow, SK: `DECK#gone#${O}`, deckId: O };
    expect(violationsOf([...healthy, stale, orphan], "no access row")).toEqual([
      `ACCESS#USER#auth0|alice / DECK#old#${D} (stale)`,
      `ACCESS#USER#auth0|alice / DECK#gone#${O} (orphan)`,
    ]);
    const deleting = { ...deck, deleting: true };
    expect(violationsOf([deleting, ownerRow], "no access row")).toHaveLength(1);
    expect(violationsOf([deleting, aDo], "each live deck")).toEqual([]);
    expect(warningsOf([deleting, aDo], "decks still being deleted")).toEqual([D]);
  });

  it("flags a do whose deck is gone, and every malformed do field", () => {
    expect(violationsOf([aDo], "every do belongs")).toEqual([`do DECK#${D} / DO#${X}`]);
    const cases: [Item, string][] = [
      [{ doId: O }, "doId differs from its key"],
      [{ deckId: O }, "deckId differs from its key"],
      [{ text: 1 }, "no text"],
      [{ completed: "yes" }, "completed is not a boolean"],
      [{ createdAt: "2026-11-30" }, "createdAt is not a timestamp"],
      [{ updatedAt: undefined }, "updatedAt is not a timestamp"],
      [{ position: undefined }, "no position"],
      [{ position: "0c4X0" }, "position is not a well-formed key"],
    ];
    for (const [change, problem] of cases) {
      const violations = violationsOf([deck, ownerRow, bobRow, { ...aDo, ...change }], "do items");
      expect(violations, problem).toEqual([`do DECK#${D} / DO#${X}: ${problem}`]);
    }
    const odd = { ...aDo, SK: "DO#odd", doId: "odd" };
    expect(violationsOf([deck, ownerRow, bobRow, odd], "do items")[0]).toContain(
      "neither a ULID nor a UUID",
    );
  });

  it("warns about decks over the bound, empty texts and items neither service writes", () => {
    const emails = Array.from({ length: 49 }, (_, i) => `g${i}@example.com`);
    const crowded = { ...deck, collaborators: new Set(emails) };
    expect(warningsOf([crowded], "decks over the collaborator bound")).toEqual([
      `${D} (49 collaborators)`,
    ]);
    const fortyEight = { ...deck, collaborators: new Set(emails.slice(0, 48)) };
    expect(warningsOf([fortyEight], "decks over the collaborator bound")).toEqual([]);
    expect(warningsOf([...healthy, { ...aDo, text: "" }], "dos with empty text")).toEqual([X]);
    const stray = { PK: "SOMETHING", SK: "ELSE" };
    expect(warningsOf([...healthy, stray], "items neither service writes")).toEqual([
      "SOMETHING / ELSE",
    ]);
    expect(violationCount(verifyTable(snapshotOf([...healthy, stray])))).toBe(0);
  });
});

describe("kindOf", () => {
  it.each([
    [{ PK: `DECK#${D}`, SK: "DECK" }, "deck"],
    [{ PK: `DECK#${D}`, SK: `DO#${X}` }, "do"],
    [{ PK: `DECK#${D}`, SK: "STATS" }, "other"],
    [{ PK: "ACCESS#USER#auth0|a", SK: `DECK#x#${D}` }, "ownerRow"],
    [{ PK: "ACCESS#EMAIL#a@b.c", SK: `DECK#x#${D}` }, "collaboratorRow"],
    [{ PK: "ACCESS#USER#auth0|a", SK: "COUNT" }, "ownerCount"],
    [{ PK: `DECK#${D}`, SK: "FEED#0000000000000001" }, "change"],
    [keys.copiedFrom("Old"), "marker"],
    [{ PK: "HEALTH", SK: "HEALTH" }, "other"],
  ])("classifies %j as %s", (item, kind) => expect(kindOf(item)).toBe(kind));
});

describe("planMigration on DoDeck's own decks", () => {
  it("rewrites a DoDeck deck that drifted with the next version, and leaves a deleting deck alone", () => {
    const drifted = { ...deck, nameLower: "GROCERIES" };
    const [change] = planMigration(snapshotOf([drifted, ownerRow, bobRow]), "T");
    expect(change?.actions).toHaveLength(1);
    expect(change?.actions[0]?.Put?.Item).toMatchObject({ nameLower: "groceries", version: 4 });
    expect(change?.actions[0]?.Put?.ConditionExpression).toBe(
      "#version = :seenVersion AND attribute_not_exists(#lastChangeAt)",
    );
    // A deleting deck's item is left alone; the migration only lists it for the sweeper.
    const [listed, ...rest] = planMigration(snapshotOf([{ ...deck, deleting: true }]), "T");
    expect(rest).toEqual([]);
    expect(listed?.actions.some((action) => action.Put?.Item?.SK === "DECK")).toBe(false);
    expect(listed?.actions[0]?.Put?.Item?.PK).toBe("DELETING");
  });
});

describe("sameItem", () => {
  it("compares sets by members and nested maps by value", () => {
    expect(sameItem({ a: new Set(["x", "y"]) }, { a: new Set(["y", "x"]) })).toBe(true);
    expect(sameItem({ a: new Set(["x"]) }, { a: new Set(["x", "y"]) })).toBe(false);
    expect(sameItem({ a: new Set(["x", "z"]) }, { a: new Set(["x", "y"]) })).toBe(false);
    expect(sameItem({ a: new Set(["x"]) }, { a: { x: true } })).toBe(false);
    expect(sameItem({ a: { b: 1 } }, { a: { b: 1 } })).toBe(true);
    expect(sameItem({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(sameItem({ a: null }, { a: {} })).toBe(false);
    expect(sameItem({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });
});
