import {
  changePut,
  clockCondition,
  clockNames,
  clockSet,
  defaultChangeRetentionSeconds,
  microsOf,
  nextPosition,
} from "./changes.ts";
import {
  accessItem,
  collaboratorAccessKey,
  deckItem,
  nameLowerOf,
  ownerAccessKey,
  ownerCountNames,
  pendingDeletionItem,
} from "./items.ts";
import { type Key, keys } from "./keys.ts";
import { limits } from "./limits.ts";
import type { Deck } from "./model.ts";
import type { TransactItem } from "./store.ts";

/**
 * The deck's multi-item writes as pure planners, like ElectroDB's `.params()`: each takes the
 * deck as read (and the instant of the change) and returns the TransactWriteItems input,
 * without sending it. Golden tests pin their output (test/deck-plans.test.ts); the services
 * send them, conditioned on the version read, and re-plan on a lost race.
 */
export type TransactWritePlan = { TransactItems: TransactItem[] };

/**
 * `name` and `version` are DynamoDB reserved words, so expressions reach them through
 * placeholders, passed explicitly by each planner (never found by scanning the expression).
 */
const NAME = { "#name": "name" };

/** The deck after a rename, share or unshare: every multi-item write bumps the version. */
export const renamedDeck = (deck: Deck, name: string, at: string): Deck => ({
  ...deck,
  name,
  updatedAt: at,
  version: deck.version + 1,
  lastChangeAt: positionAfter(deck, at),
});

export const sharedDeck = (deck: Deck, email: string, at: string): Deck => ({
  ...deck,
  collaborators: [...deck.collaborators, email],
  updatedAt: at,
  version: deck.version + 1,
  lastChangeAt: positionAfter(deck, at),
});

export const unsharedDeck = (deck: Deck, email: string, at: string): Deck => ({
  ...deck,
  collaborators: deck.collaborators.filter((other) => other !== email),
  updatedAt: at,
  version: deck.version + 1,
  lastChangeAt: positionAfter(deck, at),
});

/**
 * The deck item's update, applied only to the version that was read and never to a deck
 * being deleted: a concurrent writer makes it fail instead of interleaving (position 0 of
 * every plan below). A change the feed records also moves the deck's clock to its position,
 * only upwards (changes.ts): a do write since the read makes it fail too, and re-plan.
 */
function deckUpdate(
  table: string,
  deck: Deck,
  set: string,
  values: Record<string, unknown>,
  names: Record<string, string> = {},
  extra = "",
  position?: number,
): TransactItem {
  const clock = position !== undefined;
  return {
    Update: {
      TableName: table,
      Key: keys.deck(deck.deckId),
      UpdateExpression:
        `SET ${set}, #version = :nextVersion${clock ? `, ${clockSet}` : ""} ${extra}`.trim(),
      ConditionExpression: `#version = :version AND attribute_not_exists(deleting)${
        clock ? ` AND ${clockCondition}` : ""
      }`,
      ExpressionAttributeNames: { "#version": "version", ...(clock ? clockNames : {}), ...names },
      ExpressionAttributeValues: {
        ":version": deck.version,
        ":nextVersion": deck.version + 1,
        ...(clock ? { ":position": position } : {}),
        ...values,
      },
    },
  };
}

/** Where a change planned at `at` on the deck as read goes in its feed. */
export const positionAfter = (deck: Deck, at: string): number =>
  nextPosition(microsOf(new Date(at)), deck.lastChangeAt);

/** The feed's record of a deck change: the deck as the change leaves it. */
function deckChange(table: string, after: Deck, retention: number): TransactItem {
  return changePut(
    table,
    after.deckId,
    after.lastChangeAt,
    { kind: "deck.updated", deck: after },
    retention,
  );
}

/** Access rows carry the collaborator count a summary shows; it changes with each share. */
function rowCountUpdate(table: string, key: Key, count: number): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: key,
      UpdateExpression: "SET collaboratorCount = :count",
      ConditionExpression: "attribute_exists(PK)",
      ExpressionAttributeValues: { ":count": count },
    },
  };
}

/**
 * The owner's deck counter moved by one: up only below the quota (position 2 of a create,
 * whose refusal there is 409 deck_limit, told by the counter as it was), down on a delete.
 */
function ownerCountUpdate(table: string, ownerSub: string, by: 1 | -1, max: number): TransactItem {
  return {
    Update: {
      TableName: table,
      Key: keys.ownerCount(ownerSub),
      UpdateExpression: "SET #type = :type, #ownerSub = :ownerSub ADD #deckCount :by",
      ...(by === 1
        ? {
            ConditionExpression: "attribute_not_exists(#deckCount) OR #deckCount < :max",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }
        : {}),
      ExpressionAttributeNames: {
        "#type": "type",
        "#ownerSub": "ownerSub",
        "#deckCount": ownerCountNames.deckCount,
      },
      ExpressionAttributeValues: {
        ":type": "ownerCount",
        ":ownerSub": ownerSub,
        ":by": by,
        ...(by === 1 ? { ":max": max } : {}),
      },
    },
  };
}

/**
 * A new deck, its owner's access row, and the owner's deck counter (below the quota); the deck
 * id must not exist yet.
 */
export function planCreateDeck(
  table: string,
  deck: Deck,
  decksPerOwner: number = limits.quotas.decksPerOwner,
): TransactWritePlan {
  return {
    TransactItems: [
      {
        Put: {
          TableName: table,
          Item: deckItem(deck),
          ConditionExpression: "attribute_not_exists(PK)",
        },
      },
      { Put: { TableName: table, Item: accessItem(ownerAccessKey(deck), deck, 0) } },
      ownerCountUpdate(table, deck.ownerSub, 1, decksPerOwner),
    ],
  };
}

/**
 * Rename: the deck, and every access row (owner's and each collaborator's), whose sort key
 * holds the lower-cased name, and the change-feed item: 2 + 2 × (1 + collaborators) actions
 * when the key changes, which is what bounds collaborators per deck (limits.maxCollaborators).
 */
export function planRename(
  table: string,
  deck: Deck,
  name: string,
  at: string,
  retention = defaultChangeRetentionSeconds,
): TransactWritePlan {
  const renamed = renamedDeck(deck, name, at);
  const count = deck.collaborators.length;
  const items: TransactItem[] = [
    deckUpdate(
      table,
      deck,
      "#name = :name, nameLower = :nameLower, updatedAt = :now",
      { ":name": renamed.name, ":nameLower": nameLowerOf(renamed.name), ":now": at },
      NAME,
      "",
      renamed.lastChangeAt,
    ),
  ];
  const rowKeys: [Key, Key][] = [
    [ownerAccessKey(deck), ownerAccessKey(renamed)],
    ...deck.collaborators.map((email): [Key, Key] => [
      collaboratorAccessKey(email, deck),
      collaboratorAccessKey(email, renamed),
    ]),
  ];
  // Rename writes new access rows and deletes old ones only when the key changes: a
  // case-only rename keeps the keys, and two actions on one item would be rejected.
  const keyChanges = nameLowerOf(deck.name) !== nameLowerOf(renamed.name);
  for (const [oldKey, newKey] of rowKeys) {
    if (keyChanges) {
      items.push({ Delete: { TableName: table, Key: oldKey } });
      items.push({ Put: { TableName: table, Item: accessItem(newKey, renamed, count) } });
    } else {
      items.push({
        Update: {
          TableName: table,
          Key: oldKey,
          UpdateExpression: "SET #name = :name",
          ConditionExpression: "attribute_exists(PK)",
          ExpressionAttributeNames: NAME,
          ExpressionAttributeValues: { ":name": renamed.name },
        },
      });
    }
  }
  items.push(deckChange(table, renamed, retention));
  return { TransactItems: items };
}

/**
 * Share: add the email to the deck's set, put its access row (position 1: failing there means
 * the collaborator already exists), and update the count on every other access row.
 */
export function planShare(
  table: string,
  deck: Deck,
  email: string,
  at: string,
  retention = defaultChangeRetentionSeconds,
): TransactWritePlan {
  const shared = sharedDeck(deck, email, at);
  const count = shared.collaborators.length;
  return {
    TransactItems: [
      deckUpdate(
        table,
        deck,
        "updatedAt = :now",
        { ":now": at, ":email": new Set([email]) },
        {},
        "ADD collaborators :email",
        shared.lastChangeAt,
      ),
      {
        Put: {
          TableName: table,
          Item: accessItem(collaboratorAccessKey(email, deck), shared, count),
          ConditionExpression: "attribute_not_exists(PK)",
        },
      },
      rowCountUpdate(table, ownerAccessKey(deck), count),
      ...deck.collaborators.map((other) =>
        rowCountUpdate(table, collaboratorAccessKey(other, deck), count),
      ),
      deckChange(table, shared, retention),
    ],
  };
}

/** Unshare: remove the email from the set, delete its access row, recount the others. */
export function planUnshare(
  table: string,
  deck: Deck,
  email: string,
  at: string,
  retention = defaultChangeRetentionSeconds,
): TransactWritePlan {
  const unshared = unsharedDeck(deck, email, at);
  const remaining = unshared.collaborators;
  return {
    TransactItems: [
      deckUpdate(
        table,
        deck,
        "updatedAt = :now",
        { ":now": at, ":email": new Set([email]) },
        {},
        "DELETE collaborators :email",
        unshared.lastChangeAt,
      ),
      { Delete: { TableName: table, Key: collaboratorAccessKey(email, deck) } },
      rowCountUpdate(table, ownerAccessKey(deck), remaining.length),
      ...remaining.map((other) =>
        rowCountUpdate(table, collaboratorAccessKey(other, deck), remaining.length),
      ),
      deckChange(table, unshared, retention),
    ],
  };
}

/**
 * The first phase of a delete: mark the deck `deleting` (from then on it is gone for the API
 * and no do can be created in it), remove every access row, take the deck off its owner's
 * count, and list the deck as a pending
 * deletion (last, so the positions before it stay those of the other plans), in one
 * transaction: a marked deck is always findable by the sweeper.
 */
export function planDeleteMark(table: string, deck: Deck, at: string): TransactWritePlan {
  return {
    TransactItems: [
      deckUpdate(table, deck, "deleting = :true", { ":true": true }),
      { Delete: { TableName: table, Key: ownerAccessKey(deck) } },
      ...deck.collaborators.map((email) => ({
        Delete: { TableName: table, Key: collaboratorAccessKey(email, deck) },
      })),
      // The deck no longer counts against its owner's quota from this moment.
      ownerCountUpdate(table, deck.ownerSub, -1, 0),
      { Put: { TableName: table, Item: pendingDeletionItem(deck.deckId, at) } },
    ],
  };
}

/**
 * The last step of a delete, once no do is left: the deck item and its pending-deletion entry
 * go together, so an entry never outlives its deck nor a marked deck its entry. The deck goes
 * only if it is still marked (or already gone): a sweeper can never delete a live deck.
 */
export function planDeleteFinish(table: string, deckId: string): TransactWritePlan {
  return {
    TransactItems: [
      {
        Delete: {
          TableName: table,
          Key: keys.deck(deckId),
          ConditionExpression: "attribute_not_exists(PK) OR deleting = :true",
          ExpressionAttributeValues: { ":true": true },
        },
      },
      { Delete: { TableName: table, Key: keys.pendingDeletion(deckId) } },
    ],
  };
}
