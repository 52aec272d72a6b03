import { describe, expect, it } from "vitest";
import {
  planCreateDeck,
  planDeleteFinish,
  planDeleteMark,
  planRename,
  planShare,
  planUnshare,
} from "../src/deck-plans.ts";
import { limits } from "../src/limits.ts";
import type { Deck } from "../src/model.ts";
import { assertTransaction } from "../src/store.ts";

// Golden values: these are the exact TransactWriteItems DoDeck sends for each multi-item write.
// Each position matters (the services map a cancellation by position), and so does every
// condition (they are what keeps concurrent writers from interleaving).
const T = "DoDeck";
const ownerCountNames = { "#type": "type", "#ownerSub": "ownerSub", "#deckCount": "deckCount" };
const AT = "2026-01-02T03:04:05.000Z";
const deck: Deck = {
  deckId: "D1",
  name: "Focus",
  ownerSub: "auth0|u1",
  collaborators: ["a@x.com"],
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  version: 3,
  deleting: false,
  lastChangeAt: 0,
  doCount: 0,
};
const guard = {
  ConditionExpression: "#version = :version AND attribute_not_exists(deleting)",
};
/** A change the feed records also moves the deck's clock, only upwards, to its position. */
const clocked = {
  ConditionExpression:
    "#version = :version AND attribute_not_exists(deleting) AND (attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :position)",
};
const POSITION = Date.parse(AT) * 1000;
const WEEK = 7 * 24 * 60 * 60;
/** The change item every deck change puts last: the deck as it leaves it. */
const deckChange = (after: { name: string; collaborators: string[] }, position = POSITION) => ({
  Put: {
    TableName: T,
    Item: {
      PK: "DECK#D1",
      SK: `FEED#${String(position).padStart(16, "0")}`,
      type: "change",
      deckId: "D1",
      position,
      change: "deck.updated",
      snapshot: {
        deckId: "D1",
        name: after.name,
        ownerSub: "auth0|u1",
        collaborators: after.collaborators,
        createdAt: deck.createdAt,
        updatedAt: AT,
      },
      retainUntil: position + WEEK * 1_000_000,
      expiresAt: Math.ceil(position / 1_000_000) + WEEK + 3600,
    },
  },
});
const count = (PK: string, SK: string, n: number) => ({
  Update: {
    TableName: T,
    Key: { PK, SK },
    UpdateExpression: "SET collaboratorCount = :count",
    ConditionExpression: "attribute_exists(PK)",
    ExpressionAttributeValues: { ":count": n },
  },
});

describe("deck write planners", () => {
  it("creates the deck item and the owner's access row, never over an existing deck", () => {
    const fresh = { ...deck, collaborators: [], version: 1 };
    expect(planCreateDeck(T, fresh)).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: T,
            Item: {
              PK: "DECK#D1",
              SK: "DECK",
              type: "deck",
              deckId: "D1",
              name: "Focus",
              nameLower: "focus",
              ownerSub: "auth0|u1",
              createdAt: fresh.createdAt,
              updatedAt: fresh.updatedAt,
              version: 1,
              doCount: 0,
            },
            ConditionExpression: "attribute_not_exists(PK)",
          },
        },
        {
          Put: {
            TableName: T,
            Item: {
              PK: "ACCESS#USER#auth0|u1",
              SK: "DECK#focus#D1",
              type: "access",
              deckId: "D1",
              name: "Focus",
              collaboratorCount: 0,
            },
          },
        },
        // Position 2: the owner's counter, only below the quota (else 409 deck_limit).
        {
          Update: {
            TableName: T,
            Key: { PK: "ACCESS#USER#auth0|u1", SK: "COUNT" },
            UpdateExpression: "SET #type = :type, #ownerSub = :ownerSub ADD #deckCount :by",
            ConditionExpression: "attribute_not_exists(#deckCount) OR #deckCount < :max",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            ExpressionAttributeNames: ownerCountNames,
            ExpressionAttributeValues: {
              ":type": "ownerCount",
              ":ownerSub": "auth0|u1",
              ":by": 1,
              ":max": 1_000,
            },
          },
        },
      ],
    });
    const quota = planCreateDeck(T, fresh, 3).TransactItems[2]?.Update?.ExpressionAttributeValues;
    expect(quota?.[":max"]).toBe(3);
  });

  it("renames the deck and moves every access row when the lower-cased name changes", () => {
    const row = (PK: string) => ({
      PK,
      SK: "DECK#deep work#D1",
      type: "access",
      deckId: "D1",
      name: "Deep work",
      collaboratorCount: 1,
    });
    expect(planRename(T, deck, "Deep work", AT)).toEqual({
      TransactItems: [
        {
          Update: {
            TableName: T,
            Key: { PK: "DECK#D1", SK: "DECK" },
            UpdateExpression:
              "SET #name = :name, nameLower = :nameLower, updatedAt = :now, #version = :nextVersion, #lastChangeAt = :position",
            ...clocked,
            ExpressionAttributeNames: {
              "#version": "version",
              "#lastChangeAt": "lastChangeAt",
              "#name": "name",
            },
            ExpressionAttributeValues: {
              ":version": 3,
              ":nextVersion": 4,
              ":position": POSITION,
              ":name": "Deep work",
              ":nameLower": "deep work",
              ":now": AT,
            },
          },
        },
        { Delete: { TableName: T, Key: { PK: "ACCESS#USER#auth0|u1", SK: "DECK#focus#D1" } } },
        { Put: { TableName: T, Item: row("ACCESS#USER#auth0|u1") } },
        { Delete: { TableName: T, Key: { PK: "ACCESS#EMAIL#a@x.com", SK: "DECK#focus#D1" } } },
        { Put: { TableName: T, Item: row("ACCESS#EMAIL#a@x.com") } },
        deckChange({ name: "Deep work", collaborators: ["a@x.com"] }),
      ],
    });
  });

  it("updates the access rows in place on a case-only rename (same keys, one action each)", () => {
    const plan = planRename(T, deck, "FOCUS", AT);
    expect(plan.TransactItems.slice(1, -1)).toEqual(
      ["ACCESS#USER#auth0|u1", "ACCESS#EMAIL#a@x.com"].map((PK) => ({
        Update: {
          TableName: T,
          Key: { PK, SK: "DECK#focus#D1" },
          UpdateExpression: "SET #name = :name",
          ConditionExpression: "attribute_exists(PK)",
          ExpressionAttributeNames: { "#name": "name" },
          ExpressionAttributeValues: { ":name": "FOCUS" },
        },
      })),
    );
    expect(() => assertTransaction(plan.TransactItems)).not.toThrow();
  });

  it("shares: adds the email, puts its access row at position 1, recounts the other rows", () => {
    expect(planShare(T, deck, "b@x.com", AT)).toEqual({
      TransactItems: [
        {
          Update: {
            TableName: T,
            Key: { PK: "DECK#D1", SK: "DECK" },
            UpdateExpression:
              "SET updatedAt = :now, #version = :nextVersion, #lastChangeAt = :position ADD collaborators :email",
            ...clocked,
            ExpressionAttributeNames: { "#version": "version", "#lastChangeAt": "lastChangeAt" },
            ExpressionAttributeValues: {
              ":version": 3,
              ":nextVersion": 4,
              ":position": POSITION,
              ":now": AT,
              ":email": new Set(["b@x.com"]),
            },
          },
        },
        {
          Put: {
            TableName: T,
            Item: {
              PK: "ACCESS#EMAIL#b@x.com",
              SK: "DECK#focus#D1",
              type: "access",
              deckId: "D1",
              name: "Focus",
              collaboratorCount: 2,
            },
            ConditionExpression: "attribute_not_exists(PK)",
          },
        },
        count("ACCESS#USER#auth0|u1", "DECK#focus#D1", 2),
        count("ACCESS#EMAIL#a@x.com", "DECK#focus#D1", 2),
        deckChange({ name: "Focus", collaborators: ["a@x.com", "b@x.com"] }),
      ],
    });
  });

  it("unshares: removes the email and its access row, recounts the remaining rows", () => {
    expect(
      planUnshare(T, { ...deck, collaborators: ["a@x.com", "b@x.com"] }, "a@x.com", AT),
    ).toEqual({
      TransactItems: [
        {
          Update: {
            TableName: T,
            Key: { PK: "DECK#D1", SK: "DECK" },
            UpdateExpression:
              "SET updatedAt = :now, #version = :nextVersion, #lastChangeAt = :position DELETE collaborators :email",
            ...clocked,
            ExpressionAttributeNames: { "#version": "version", "#lastChangeAt": "lastChangeAt" },
            ExpressionAttributeValues: {
              ":version": 3,
              ":nextVersion": 4,
              ":position": POSITION,
              ":now": AT,
              ":email": new Set(["a@x.com"]),
            },
          },
        },
        { Delete: { TableName: T, Key: { PK: "ACCESS#EMAIL#a@x.com", SK: "DECK#focus#D1" } } },
        count("ACCESS#USER#auth0|u1", "DECK#focus#D1", 1),
        count("ACCESS#EMAIL#b@x.com", "DECK#focus#D1", 1),
        deckChange({ name: "Focus", collaborators: ["b@x.com"] }),
      ],
    });
  });

  it("takes the position just after the deck's last change when the writer's clock is behind it", () => {
    const ahead = POSITION + 5_000_000;
    const plan = planShare(T, { ...deck, lastChangeAt: ahead }, "b@x.com", AT);
    expect(plan.TransactItems[0]?.Update?.ExpressionAttributeValues?.[":position"]).toBe(ahead + 1);
    expect(plan.TransactItems.at(-1)).toEqual(
      deckChange({ name: "Focus", collaborators: ["a@x.com", "b@x.com"] }, ahead + 1),
    );
  });

  it("marks a deck deleting, removes every access row and lists it for the sweeper in one transaction", () => {
    expect(planDeleteMark(T, deck, AT)).toEqual({
      TransactItems: [
        {
          Update: {
            TableName: T,
            Key: { PK: "DECK#D1", SK: "DECK" },
            UpdateExpression: "SET deleting = :true, #version = :nextVersion",
            ...guard,
            ExpressionAttributeNames: { "#version": "version" },
            ExpressionAttributeValues: { ":version": 3, ":nextVersion": 4, ":true": true },
          },
        },
        { Delete: { TableName: T, Key: { PK: "ACCESS#USER#auth0|u1", SK: "DECK#focus#D1" } } },
        { Delete: { TableName: T, Key: { PK: "ACCESS#EMAIL#a@x.com", SK: "DECK#focus#D1" } } },
        {
          Update: {
            TableName: T,
            Key: { PK: "ACCESS#USER#auth0|u1", SK: "COUNT" },
            UpdateExpression: "SET #type = :type, #ownerSub = :ownerSub ADD #deckCount :by",
            ExpressionAttributeNames: ownerCountNames,
            ExpressionAttributeValues: {
              ":type": "ownerCount",
              ":ownerSub": "auth0|u1",
              ":by": -1,
            },
          },
        },
        {
          Put: {
            TableName: T,
            Item: {
              PK: "DELETING",
              SK: "DECK#D1",
              type: "pendingDeletion",
              deckId: "D1",
              markedAt: AT,
            },
          },
        },
      ],
    });
  });

  it("finishes a delete by removing the deck, only if still marked, with its pending entry", () => {
    expect(planDeleteFinish(T, "D1")).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: T,
            Key: { PK: "DECK#D1", SK: "DECK" },
            ConditionExpression: "attribute_not_exists(PK) OR deleting = :true",
            ExpressionAttributeValues: { ":true": true },
          },
        },
        { Delete: { TableName: T, Key: { PK: "DELETING", SK: "DECK#D1" } } },
      ],
    });
  });
});

describe("the collaborator bound", () => {
  const withCollaborators = (n: number): Deck => ({
    ...deck,
    collaborators: Array.from({ length: n }, (_, i) => `c${i}@x.com`),
  });

  it("lets the largest write, a rename at the bound, fit one transaction", () => {
    const plan = planRename(T, withCollaborators(limits.maxCollaborators), "Renamed", AT);
    expect(plan.TransactItems.length).toBeLessThanOrEqual(limits.maxTransactionActions);
    expect(() => assertTransaction(plan.TransactItems)).not.toThrow();
  });

  it("is the largest such bound: one more collaborator would not fit", () => {
    const plan = planRename(T, withCollaborators(limits.maxCollaborators + 1), "Renamed", AT);
    expect(() => assertTransaction(plan.TransactItems)).toThrow(/too large/);
  });

  it("keeps every other planned write of a deck at the bound within one transaction", () => {
    const full = withCollaborators(limits.maxCollaborators);
    for (const plan of [
      planShare(T, withCollaborators(limits.maxCollaborators - 1), "new@x.com", AT),
      planUnshare(T, full, "c0@x.com", AT),
      planDeleteMark(T, full, AT),
    ]) {
      expect(() => assertTransaction(plan.TransactItems)).not.toThrow();
    }
  });
});
