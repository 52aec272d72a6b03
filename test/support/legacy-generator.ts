import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { Store } from "@dodeck/core";

/**
 * Builds tables in the old service's layout (see docs/migration.md, "The legacy layout") from a
 * model, with the debris a production table collects: stale owner rows from racing renames,
 * rows of removed collaborators, orphan dos and rows of deleted decks, decks shared beyond
 * DoDeck's bound, names and emails with "#" and non-ASCII letters, timestamps without a
 * fraction or within one millisecond, and texts stored as "". Tests derive what DoDeck must
 * answer from the model, never from a recorded sample.
 */
export type LegacyDo = {
  doId: string;
  text: string;
  completed: boolean;
  createdAt: string;
  updatedAt: string;
};

export type LegacyDeck = {
  deckId: string;
  ownerSub: string;
  name: string;
  /** What the old service stored as nameLower (Python's `str.lower()`); defaults to JS lowering. */
  nameLower?: string;
  /** Lower-cased the way the old service did. */
  collaborators: string[];
  createdAt: string;
  updatedAt: string;
  dos: LegacyDo[];
};

export type Debris = {
  /** Owner rows left under a deck's earlier names (the old rename race). */
  staleOwnerNames?: { deckId: string; ownerSub: string; formerName: string }[];
  /** Collaborator rows left after the email left the deck's map. */
  staleCollaborators?: { deckId: string; email: string }[];
  /** Dos and rows of decks whose deck item is gone (an interrupted delete). */
  deletedDecks?: LegacyDeck[];
};

type Item = Record<string, unknown>;

/** Python's `datetime.isoformat()` of a UTC instant with microseconds (no fraction when 0). */
export function pythonTimestamp(epochMs: number, micros = 0): string {
  const base = new Date(epochMs).toISOString().slice(0, 19);
  const fraction = (epochMs % 1000) * 1000 + micros;
  return fraction === 0 ? `${base}+00:00` : `${base}.${String(fraction).padStart(6, "0")}+00:00`;
}

export function legacyItems(decks: LegacyDeck[], debris: Debris = {}): Item[] {
  const items: Item[] = [];
  for (const deck of decks) {
    const nameLower = deck.nameLower ?? deck.name.toLowerCase();
    items.push({
      PK: `DECK#${deck.deckId}`,
      SK: "DECK",
      deckId: deck.deckId,
      name: deck.name,
      nameLower,
      ownerSub: deck.ownerSub,
      collaborators: Object.fromEntries(
        deck.collaborators.map((email) => [email, { addedAt: deck.updatedAt }]),
      ),
      createdAt: deck.createdAt,
      updatedAt: deck.updatedAt,
    });
    items.push(...accessRows(deck), ...doItems(deck));
  }
  for (const stale of debris.staleOwnerNames ?? []) {
    const nameLower = stale.formerName.toLowerCase();
    items.push({
      PK: `ACCESS#USER#${stale.ownerSub}`,
      SK: `DECK#${nameLower}#${stale.deckId}`,
      access: "owner",
      deckId: stale.deckId,
      name: stale.formerName,
      nameLower,
      ownerSub: stale.ownerSub,
    });
  }
  for (const stale of debris.staleCollaborators ?? []) {
    const deck = decks.find((d) => d.deckId === stale.deckId)!;
    items.push(accessRow(deck, `ACCESS#EMAIL#${stale.email}`, "collaborator"));
  }
  for (const gone of debris.deletedDecks ?? []) items.push(...accessRows(gone), ...doItems(gone));
  return items;
}

function accessRows(deck: LegacyDeck): Item[] {
  return [
    accessRow(deck, `ACCESS#USER#${deck.ownerSub}`, "owner"),
    ...deck.collaborators.map((email) => accessRow(deck, `ACCESS#EMAIL#${email}`, "collaborator")),
  ];
}

function accessRow(deck: LegacyDeck, pk: string, access: string): Item {
  const nameLower = deck.nameLower ?? deck.name.toLowerCase();
  return {
    PK: pk,
    SK: `DECK#${nameLower}#${deck.deckId}`,
    access,
    deckId: deck.deckId,
    name: deck.name,
    nameLower,
    ownerSub: deck.ownerSub,
  };
}

function doItems(deck: LegacyDeck): Item[] {
  return deck.dos.map((item) => ({
    PK: `DECK#${deck.deckId}`,
    SK: `DO#${item.doId}`,
    deckId: deck.deckId,
    ...item,
  }));
}

export async function writeItems(store: Store, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const out = await store.client.send(
        new BatchWriteCommand({ RequestItems: { [store.tableName]: requests } }),
      );
      requests = (out.UnprocessedItems?.[store.tableName] ?? []) as typeof requests;
    }
  }
}

/** A small deterministic PRNG, so a generated table is the same on every run of a seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A legacy deck with `count` dos created in order: some within one millisecond (their order
 * only in the microseconds), some with no fraction, one with an identical timestamp to its
 * neighbour, one whitespace-only text stored as "".
 */
export function generatedDeck(
  random: () => number,
  fields: Pick<LegacyDeck, "ownerSub" | "name" | "collaborators"> & Partial<LegacyDeck>,
  count: number,
): LegacyDeck {
  const start = Date.UTC(2025, 5, 1) + Math.floor(random() * 1e9) * 1000;
  const dos: LegacyDo[] = [];
  let at = start + 5_000;
  for (let i = 0; i < count; i++) {
    const step = i % 7;
    // Same millisecond as the previous do, ordered by microseconds only.
    const micros = step === 3 ? 999 : step === 4 ? 0 : Math.floor(random() * 1000);
    if (step !== 3 && step !== 5) at += 1 + Math.floor(random() * 4000);
    const createdAt =
      step === 4 ? pythonTimestamp(Math.floor(at / 1000) * 1000) : pythonTimestamp(at, micros);
    dos.push({
      doId: crypto.randomUUID(),
      text: i === 2 ? "" : `Item ${String(i + 1).padStart(3, "0")} #${i}`,
      completed: random() < 0.3,
      createdAt,
      updatedAt: random() < 0.5 ? createdAt : pythonTimestamp(at + 60_000, 1),
    });
  }
  return {
    deckId: crypto.randomUUID(),
    createdAt: pythonTimestamp(start, 123),
    updatedAt: pythonTimestamp(start + 1_000),
    dos,
    ...fields,
  };
}
