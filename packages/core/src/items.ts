import { normalizeEmail } from "./emails.ts";
import type { Key } from "./keys.ts";
import { keys } from "./keys.ts";
import type { Deck, DeckSummary, Do } from "./model.ts";
import { positionOfItem } from "./positions.ts";
import { canonicalTimestamp } from "./timestamps.ts";

/** Conversions between domain values and stored items; attribute names live here only. */
type Item = Record<string, unknown>;

export const nameLowerOf = (name: string): string => name.toLowerCase();

export function deckItem(deck: Deck): Item {
  return {
    ...keys.deck(deck.deckId),
    type: "deck",
    deckId: deck.deckId,
    name: deck.name,
    nameLower: nameLowerOf(deck.name),
    ownerSub: deck.ownerSub,
    // DynamoDB has no empty sets: an unshared deck has no attribute at all.
    ...(deck.collaborators.length > 0 ? { collaborators: new Set(deck.collaborators) } : {}),
    createdAt: deck.createdAt,
    updatedAt: deck.updatedAt,
    version: deck.version,
    // A deck without changes has no attribute, as decks written before the feed existed.
    ...(deck.lastChangeAt > 0 ? { lastChangeAt: deck.lastChangeAt } : {}),
    doCount: deck.doCount,
  };
}

/** The deck's commit clock (changes.ts); absent on decks that never changed since: 0. */
export const lastChangeOf = (item: Item): number =>
  typeof item.lastChangeAt === "number" ? item.lastChangeAt : 0;

export const deckNames = { lastChangeAt: "lastChangeAt", doCount: "doCount" } as const;

/** The owner's deck counter: `deckCount` on `keys.ownerCount(sub)`. */
export const ownerCountNames = { deckCount: "deckCount" } as const;

export function ownerCountItem(ownerSub: string, deckCount: number): Item {
  return { ...keys.ownerCount(ownerSub), type: "ownerCount", ownerSub, deckCount };
}

export function deckFromItem(item: Item | undefined): Deck | undefined {
  if (item === undefined || item.type !== "deck") return undefined;
  const collaborators = item.collaborators;
  return {
    deckId: String(item.deckId),
    name: String(item.name),
    ownerSub: String(item.ownerSub),
    collaborators: collaborators instanceof Set ? [...collaborators].map(String) : [],
    createdAt: canonicalTimestamp(String(item.createdAt)),
    updatedAt: canonicalTimestamp(String(item.updatedAt)),
    version: Number(item.version),
    deleting: item.deleting === true,
    lastChangeAt: lastChangeOf(item),
    doCount: doCountOf(item),
  };
}

export const doCountOf = (item: Item): number =>
  typeof item.doCount === "number" ? item.doCount : 0;

/**
 * A deck item in either layout: DoDeck's, or the old service's (no `type`, no `version`,
 * `collaborators` a map of email to `{addedAt}`, `{}` when unshared). Used by the migration,
 * which rewrites it as `deckItem(deck)`; the API itself reads only DoDeck's layout.
 */
export function deckFromAnyItem(item: Item): Deck | undefined {
  if (item.type !== undefined && item.type !== "deck") return undefined;
  if (typeof item.PK !== "string" || item.SK !== keys.deckSortKey) return undefined;
  const raw = item.collaborators;
  const emails =
    raw instanceof Set
      ? [...raw].map(String)
      : typeof raw === "object" && raw !== null
        ? Object.keys(raw)
        : [];
  return {
    deckId: String(item.deckId ?? item.PK.slice(keys.deckPartition("").length)),
    name: String(item.name ?? ""),
    ownerSub: String(item.ownerSub ?? ""),
    collaborators: [...new Set(emails.map(normalizeEmail))].sort(),
    createdAt: canonicalTimestamp(String(item.createdAt ?? "")),
    updatedAt: canonicalTimestamp(String(item.updatedAt ?? "")),
    version: typeof item.version === "number" ? item.version : 0,
    deleting: item.deleting === true,
    lastChangeAt: lastChangeOf(item),
    doCount: doCountOf(item),
  };
}

/**
 * What a write of a deck item must find to be sure nobody changed it since it was read. Do
 * writes move only `lastChangeAt` (never the version), so it is pinned too: a migration's put
 * of the deck must never set the feed's clock back.
 */
export function deckUnchangedCondition(item: Item): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const clock =
    typeof item.lastChangeAt === "number"
      ? {
          test: "#lastChangeAt = :seenLastChangeAt",
          values: { ":seenLastChangeAt": item.lastChangeAt },
        }
      : { test: "attribute_not_exists(#lastChangeAt)", values: {} };
  const names = { "#version": "version", "#lastChangeAt": deckNames.lastChangeAt };
  return typeof item.version === "number"
    ? {
        ConditionExpression: `#version = :seenVersion AND ${clock.test}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":seenVersion": item.version, ...clock.values },
      }
    : {
        // The old service bumped updatedAt on every deck write, and DoDeck never writes a deck
        // without a version: together they pin the legacy item as it was read.
        ConditionExpression: `attribute_not_exists(#version) AND #updatedAt = :seenUpdatedAt AND ${clock.test}`,
        ExpressionAttributeNames: { ...names, "#updatedAt": "updatedAt" },
        ExpressionAttributeValues: { ":seenUpdatedAt": item.updatedAt, ...clock.values },
      };
}

/** The deck an access row points at: its `deckId`, else the sort key's suffix (ids have no "#"). */
export function deckIdOfAccessRow(item: Item): string {
  if (typeof item.deckId === "string") return item.deckId;
  const sk = String(item.SK);
  return sk.slice(sk.lastIndexOf("#") + 1);
}

/** An access row carries what a deck summary shows, so listing decks needs no second read. */
export function accessItem(key: Key, deck: Deck, collaboratorCount: number): Item {
  return {
    ...key,
    type: "access",
    deckId: deck.deckId,
    name: deck.name,
    collaboratorCount,
  };
}

export function summaryFromAccessItem(item: Item, isOwner: boolean): DeckSummary {
  return {
    deckId: String(item.deckId),
    name: String(item.name),
    isOwner,
    collaborators: Number(item.collaboratorCount ?? 0),
  };
}

export function ownerAccessKey(deck: Pick<Deck, "ownerSub" | "name" | "deckId">): Key {
  return keys.ownerAccess(deck.ownerSub, nameLowerOf(deck.name), deck.deckId);
}

export function collaboratorAccessKey(email: string, deck: Pick<Deck, "name" | "deckId">): Key {
  return keys.collaboratorAccess(email, nameLowerOf(deck.name), deck.deckId);
}

/** A do as stored, at `version` (bumped by every change; its ETag derives from it). */
export function doItem(item: Do, version: number): Item {
  // No due date is no attribute (as REMOVE leaves it), never a stored null.
  const { dueAt, ...rest } = item;
  return {
    ...keys.do(item.deckId, item.doId),
    type: "do",
    ...rest,
    ...(dueAt === null ? {} : { dueAt }),
    version,
  };
}

/**
 * Dos written before versions existed (by the old service, or by DoDeck before v1.1) carry
 * none: they count as version 1, and their first change writes version 2.
 */
export const doVersionOf = (item: Item): number =>
  typeof item.version === "number" ? item.version : 1;

/** Attribute names a do's conditions and updates use; `text` is a DynamoDB reserved word. */
export const doNames = {
  "#version": "version",
  "#text": "text",
  "#dueAt": "dueAt",
  "#position": "position",
} as const;

/**
 * A condition that holds while the do is at one of `versions` (and exists); version 1 also
 * matches a do without the attribute (see doVersionOf). No versions (an If-Match with no tag
 * this server issues) holds for no do. DynamoDB refuses names and values an expression does not
 * use, so both are given only as far as the condition uses them.
 */
export function doVersionCondition(
  versions: readonly number[],
  prefix = ":v",
): {
  ConditionExpression: string;
  ExpressionAttributeNames: Partial<typeof doNames>;
  ExpressionAttributeValues: Record<string, number>;
} {
  const values = Object.fromEntries(versions.map((version, i) => [`${prefix}${i}`, version]));
  const tests = Object.keys(values).map((name) => `#version = ${name}`);
  if (versions.includes(1)) tests.push("attribute_not_exists(#version)");
  if (tests.length === 0)
    return {
      ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(PK)",
      ExpressionAttributeNames: {},
      ExpressionAttributeValues: {},
    };
  return {
    ConditionExpression: `attribute_exists(PK) AND (${tests.join(" OR ")})`,
    ExpressionAttributeNames: { "#version": doNames["#version"] },
    ExpressionAttributeValues: values,
  };
}

export function doFromItem(item: Item): Do {
  return {
    doId: String(item.doId),
    deckId: String(item.deckId),
    text: String(item.text),
    completed: item.completed === true,
    // Dos written before v1.1 have none until the migration writes it: the same value, derived.
    position: positionOfItem(item),
    dueAt: typeof item.dueAt === "string" ? canonicalTimestamp(item.dueAt) : null,
    createdAt: canonicalTimestamp(String(item.createdAt)),
    updatedAt: canonicalTimestamp(String(item.updatedAt)),
  };
}

/**
 * A deck whose delete has begun, for the sweeper. `markedAt` tells an interrupted delete (old)
 * from one still running (the owner's request is purging it right now).
 */
export function pendingDeletionItem(deckId: string, markedAt: string): Item {
  return { ...keys.pendingDeletion(deckId), type: "pendingDeletion", deckId, markedAt };
}

export const pendingDeletionAttributes = { markedAt: "markedAt" } as const;

export function pendingDeletionFromItem(item: Item): { deckId: string; markedAt: string } {
  return { deckId: String(item.deckId), markedAt: String(item.markedAt) };
}

/**
 * The record of a request made with an Idempotency-Key, written in the same transaction as the
 * write it protects: the request's fingerprint and its result (the response body as JSON, and
 * the version its ETag derives from). `expiresAt` (epoch seconds) is the table's TTL attribute.
 */
export type IdempotencyRecord = {
  fingerprint: string;
  result: string;
  version: number;
  expiresAt: number;
};

export const idempotencyAttributes = { expiresAt: "expiresAt" } as const;

export function idempotencyItem(key: Key, record: IdempotencyRecord, createdAt: string): Item {
  return { ...key, type: "idempotency", ...record, createdAt };
}

export function idempotencyFromItem(item: Item): IdempotencyRecord {
  return {
    fingerprint: String(item.fingerprint),
    result: String(item.result),
    version: Number(item.version),
    expiresAt: Number(item.expiresAt),
  };
}

export const keyOf = (item: Item): Key => ({ PK: String(item.PK), SK: String(item.SK) });
