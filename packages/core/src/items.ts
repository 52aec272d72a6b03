import type { Key } from "./keys.ts";
import { keys } from "./keys.ts";
import type { Deck, DeckSummary, Do } from "./model.ts";

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
  };
}

export function deckFromItem(item: Item | undefined): Deck | undefined {
  if (item === undefined || item.type !== "deck") return undefined;
  const collaborators = item.collaborators;
  return {
    deckId: String(item.deckId),
    name: String(item.name),
    ownerSub: String(item.ownerSub),
    collaborators: collaborators instanceof Set ? [...collaborators].map(String) : [],
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    version: Number(item.version),
    deleting: item.deleting === true,
  };
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

export function doItem(item: Do): Item {
  return { ...keys.do(item.deckId, item.doId), type: "do", ...item };
}

export function doFromItem(item: Item): Do {
  return {
    doId: String(item.doId),
    deckId: String(item.deckId),
    text: String(item.text),
    completed: item.completed === true,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

export const keyOf = (item: Item): Key => ({ PK: String(item.PK), SK: String(item.SK) });
