import { isItemId } from "./ids.ts";
import {
  accessItem,
  collaboratorAccessKey,
  deckFromAnyItem,
  deckIdOfAccessRow,
  deckItem,
  deckUnchangedCondition,
  doNames,
  keyOf,
  lastChangeOf,
  nameLowerOf,
  ownerAccessKey,
  ownerCountItem,
  ownerCountNames,
  pendingDeletionFromItem,
  pendingDeletionItem,
} from "./items.ts";
import { keys } from "./keys.ts";
import { limits } from "./limits.ts";
import type { Deck } from "./model.ts";
import { isPosition, positionOfItem } from "./positions.ts";
import type { TransactItem } from "./store.ts";
import { isStoredTimestamp } from "./timestamps.ts";

/**
 * Bringing a table the old Python service wrote (or a half-migrated or mixed one) into DoDeck's
 * layout. Everything here is pure: it reads a scan and returns transactions or findings, so it
 * is tested without a table. The deck item is the source of truth: access rows are rebuilt
 * from it, and dos and rows whose deck is gone are debris.
 */
export type Item = Record<string, unknown>;

export type ItemKind =
  | "deck"
  | "do"
  | "ownerRow"
  | "collaboratorRow"
  | "pendingDeletion"
  | "marker"
  | "idempotency"
  | "change"
  | "ownerCount"
  | "other";

const DECK_PARTITION = keys.deckPartition("");
const OWNER_PARTITION = keys.ownerPartition("");
const EMAIL_PARTITION = keys.collaboratorPartition("");

export function kindOf(item: Item): ItemKind {
  const pk = String(item.PK);
  const sk = String(item.SK);
  if (pk.startsWith(DECK_PARTITION)) {
    if (sk === keys.deckSortKey) return "deck";
    if (sk.startsWith(keys.doPrefix)) return "do";
    // The deck's change feed (DoDeck v1.1): expires by TTL, goes with its deck.
    if (sk.startsWith(keys.changePrefix)) return "change";
    return "other";
  }
  // The owner's deck counter (DoDeck v1.1) shares the partition of the rows it counts.
  if (pk.startsWith(OWNER_PARTITION))
    return sk === keys.ownerCountSortKey ? "ownerCount" : "ownerRow";
  if (pk.startsWith(EMAIL_PARTITION)) return "collaboratorRow";
  if (pk === keys.pendingDeletionPartition) return "pendingDeletion";
  if (pk === keys.copiedFrom("").PK) return "marker";
  // Idempotency-Key records (DoDeck v1.1): expire by TTL, belong to no deck, left alone.
  if (pk.startsWith(keys.idempotencyPrefix)) return "idempotency";
  return "other";
}

/** A scan, grouped the way the migration reasons about it. */
export type Snapshot = {
  decks: Map<string, Item>;
  dosByDeck: Map<string, Item[]>;
  /** Change-feed items, by deck. */
  changesByDeck: Map<string, Item[]>;
  /** Each owner's deck counter, by sub. */
  ownerCounts: Map<string, Item>;
  /** How many owner access rows each owner's partition holds, by sub. */
  ownerRowsBySub: Map<string, number>;
  rowsByDeck: Map<string, Item[]>;
  /** The sweeper's entries (keys.pendingDeletion), by the deck they point at. */
  pendingDeletions: Map<string, Item>;
  other: Item[];
  counts: Record<ItemKind, number>;
};

export function snapshotOf(items: Iterable<Item>): Snapshot {
  const snapshot: Snapshot = {
    decks: new Map(),
    dosByDeck: new Map(),
    changesByDeck: new Map(),
    ownerCounts: new Map(),
    ownerRowsBySub: new Map(),
    rowsByDeck: new Map(),
    pendingDeletions: new Map(),
    other: [],
    counts: {
      deck: 0,
      do: 0,
      ownerRow: 0,
      collaboratorRow: 0,
      pendingDeletion: 0,
      marker: 0,
      idempotency: 0,
      change: 0,
      ownerCount: 0,
      other: 0,
    },
  };
  const push = (map: Map<string, Item[]>, id: string, item: Item) => {
    const list = map.get(id);
    if (list) list.push(item);
    else map.set(id, [item]);
  };
  for (const item of items) {
    const kind = kindOf(item);
    snapshot.counts[kind]++;
    if (kind === "deck") snapshot.decks.set(partitionId(item), item);
    else if (kind === "do") push(snapshot.dosByDeck, partitionId(item), item);
    else if (kind === "change") push(snapshot.changesByDeck, partitionId(item), item);
    else if (kind === "ownerCount") snapshot.ownerCounts.set(ownerOf(item), item);
    else if (kind === "other") snapshot.other.push(item);
    else if (kind === "marker" || kind === "idempotency") continue;
    else if (kind === "pendingDeletion")
      snapshot.pendingDeletions.set(pendingDeletionFromItem(item).deckId, item);
    else {
      if (kind === "ownerRow") {
        const sub = ownerOf(item);
        snapshot.ownerRowsBySub.set(sub, (snapshot.ownerRowsBySub.get(sub) ?? 0) + 1);
      }
      push(snapshot.rowsByDeck, deckIdOfAccessRow(item), item);
    }
  }
  return snapshot;
}

const partitionId = (item: Item): string => String(item.PK).slice(DECK_PARTITION.length);
const ownerOf = (item: Item): string => String(item.PK).slice(OWNER_PARTITION.length);

/** The access rows a live deck must have, each exactly as DoDeck writes it; none while deleting. */
export function expectedAccessRows(deck: Deck): Item[] {
  if (deck.deleting) return [];
  const count = deck.collaborators.length;
  return [
    accessItem(ownerAccessKey(deck), deck, count),
    ...deck.collaborators.map((email) =>
      accessItem(collaboratorAccessKey(email, deck), deck, count),
    ),
  ];
}

/**
 * The deck item in DoDeck's layout, with `doCount` the number of its dos scanned, or undefined
 * when the stored one already is. The count is exact: a scan reads a partition in key order,
 * so the deck item before its dos, and any do written after the deck item was read moved its
 * `lastChangeAt`, which the rewrite's condition pins (deckUnchangedCondition).
 */
function deckRewrite(raw: Item, deck: Deck, doCount: number): Item | undefined {
  if (deck.deleting) return undefined;
  const legacy = typeof raw.version !== "number";
  const canonical = deckItem({ ...deck, version: legacy ? 1 : deck.version, doCount });
  if (!legacy && sameItem(raw, canonical)) return undefined;
  // A rewritten DoDeck deck gets a new version, so a concurrent DoDeck write planned on the
  // old one re-reads instead of applying a stale plan.
  return legacy ? canonical : { ...canonical, version: deck.version + 1 };
}

export type ChangeKind =
  | "deckConverted"
  | "rowWritten"
  | "staleRowDeleted"
  | "orphanRowDeleted"
  | "orphanDoDeleted"
  | "positionWritten"
  | "orphanChangeDeleted"
  | "pendingDeletionListed"
  | "ownerCountWritten"
  | "pendingDeletionDeleted";

/** One TransactWriteItems of the migration, with what it changes for the report. */
export type Change = {
  deckId: string;
  actions: TransactItem[];
  tally: Partial<Record<ChangeKind, number>>;
};

const ROOM = limits.maxTransactionActions - 1;

/**
 * Every change, in the order it must be applied. Per deck: its access rows first, each batch
 * guarded by a check that the deck is still as scanned, then the deck item itself, last: until
 * then the API cannot open a legacy deck, so no half-converted deck is ever visible, and a
 * rerun after an interruption finds the deck still legacy and finishes it. Debris (rows and
 * dos of decks that no longer exist) goes under a check that the deck is still absent.
 */
export function planMigration(snapshot: Snapshot, table: string): Change[] {
  const changes: Change[] = [];
  for (const [deckId, raw] of snapshot.decks) {
    const deck = deckFromAnyItem(raw);
    if (deck === undefined) continue;
    const expected = expectedAccessRows(deck);
    const wanted = new Map(expected.map((row) => [keyId(row), row]));
    const existing = snapshot.rowsByDeck.get(deckId) ?? [];
    const rowActions: { action: TransactItem; kind: ChangeKind }[] = [];
    const present = new Map(existing.map((row) => [keyId(row), row]));
    for (const [id, row] of wanted) {
      const found = present.get(id);
      if (found === undefined || !sameItem(found, row))
        rowActions.push({ action: { Put: { TableName: table, Item: row } }, kind: "rowWritten" });
    }
    for (const [id, row] of present) {
      if (!wanted.has(id))
        rowActions.push({
          action: { Delete: { TableName: table, Key: keyOf(row) } },
          kind: "staleRowDeleted",
        });
    }
    // A deck DoDeck marked before the sweeper existed has no entry: list it, as marked when
    // last written, so the next sweep finishes it. An entry beside a live deck (never written
    // by DoDeck) would make every sweep report a failure: it goes.
    const entry = snapshot.pendingDeletions.get(deckId);
    if (deck.deleting && entry === undefined)
      rowActions.push({
        action: { Put: { TableName: table, Item: pendingDeletionItem(deckId, deck.updatedAt) } },
        kind: "pendingDeletionListed",
      });
    if (!deck.deleting && entry !== undefined)
      rowActions.push({
        action: { Delete: { TableName: table, Key: keyOf(entry) } },
        kind: "pendingDeletionDeleted",
      });
    const rewrite = deckRewrite(raw, deck, snapshot.dosByDeck.get(deckId)?.length ?? 0);
    const unchanged = deckUnchangedCondition(raw);
    const batches = chunk(rowActions, ROOM);
    if (rewrite !== undefined && (batches.length === 0 || batches.at(-1)!.length === ROOM))
      batches.push([]);
    batches.forEach((batch, index) => {
      const last = index === batches.length - 1;
      const guard: TransactItem =
        last && rewrite !== undefined
          ? { Put: { TableName: table, Item: rewrite, ...unchanged } }
          : { ConditionCheck: { TableName: table, Key: keys.deck(deckId), ...unchanged } };
      changes.push({
        deckId,
        actions: [...batch.map((entry) => entry.action), guard],
        tally: tallyOf([
          ...batch.map((entry) => entry.kind),
          ...(last && rewrite !== undefined ? (["deckConverted"] as const) : []),
        ]),
      });
    });
  }
  // Dos without a position (the old service's, DoDeck's before v1.1) get the one reads already
  // derive from their creation instant, so the API answers the same before and after. Only
  // where none is stored yet and the do still exists: a do moved meanwhile keeps its place.
  for (const [deckId, items] of snapshot.dosByDeck) {
    if (!snapshot.decks.has(deckId)) continue;
    const unplaced = items.filter((item) => item.position === undefined);
    for (const batch of chunk(unplaced, limits.maxTransactionActions)) {
      changes.push({
        deckId,
        actions: batch.map((item) => ({
          Update: {
            TableName: table,
            Key: keyOf(item),
            UpdateExpression: "SET #position = :position",
            ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(#position)",
            ExpressionAttributeNames: { "#position": doNames["#position"] },
            ExpressionAttributeValues: { ":position": positionOfItem(item) },
          },
        })),
        tally: { positionWritten: batch.length },
      });
    }
  }
  const debris = (map: Map<string, Item[]>, kind: ChangeKind) => {
    for (const [deckId, items] of map) {
      if (snapshot.decks.has(deckId)) continue;
      for (const batch of chunk(items, ROOM)) {
        changes.push({
          deckId,
          actions: [
            ...batch.map((item) => ({ Delete: { TableName: table, Key: keyOf(item) } })),
            {
              ConditionCheck: {
                TableName: table,
                Key: keys.deck(deckId),
                ConditionExpression: "attribute_not_exists(PK)",
              },
            },
          ],
          tally: { [kind]: batch.length },
        });
      }
    }
  };
  debris(snapshot.rowsByDeck, "orphanRowDeleted");
  debris(snapshot.dosByDeck, "orphanDoDeleted");
  debris(snapshot.changesByDeck, "orphanChangeDeleted");
  const entries = new Map([...snapshot.pendingDeletions].map(([id, item]) => [id, [item]]));
  debris(entries, "pendingDeletionDeleted");
  // An owner whose rows change in this round is counted in the next one, from the rows as they
  // will then be.
  const busy = new Set(
    changes.flatMap((change) =>
      change.actions.map((action) => String((action.Put?.Item ?? action.Delete?.Key)?.PK)),
    ),
  );
  changes.push(...ownerCountChanges(snapshot, table, busy));
  return changes;
}

/**
 * Each owner's deck counter, set to the number of owner access rows in their partition (one per
 * live deck: a delete removes the row in the transaction that takes the deck off the count).
 * Exact under live writes: the counter sorts before the rows, so a scan reads it first, and
 * every deck create or delete moves it, which the put's condition (the counter as scanned) pins.
 * Owners whose partition has rows to write or delete (`busy`) wait for the next round.
 */
function ownerCountChanges(snapshot: Snapshot, table: string, busy: Set<string>): Change[] {
  const changes: Change[] = [];
  const subs = new Set([...snapshot.ownerRowsBySub.keys(), ...snapshot.ownerCounts.keys()]);
  for (const sub of subs) {
    if (busy.has(keys.ownerPartition(sub))) continue;
    const rows = snapshot.ownerRowsBySub.get(sub) ?? 0;
    const stored = snapshot.ownerCounts.get(sub);
    const wanted = ownerCountItem(sub, rows);
    if (stored === undefined ? rows === 0 : sameItem(stored, wanted)) continue;
    changes.push({
      deckId: `(owner ${sub})`,
      actions: [
        {
          Put: {
            TableName: table,
            Item: wanted,
            ...(stored === undefined
              ? { ConditionExpression: "attribute_not_exists(PK)" }
              : typeof stored.deckCount === "number"
                ? {
                    ConditionExpression: "#deckCount = :seen",
                    ExpressionAttributeNames: { "#deckCount": ownerCountNames.deckCount },
                    ExpressionAttributeValues: { ":seen": stored.deckCount },
                  }
                : {
                    ConditionExpression: "attribute_not_exists(#deckCount)",
                    ExpressionAttributeNames: { "#deckCount": ownerCountNames.deckCount },
                  }),
          },
        },
      ],
      tally: { ownerCountWritten: 1 },
    });
  }
  return changes;
}

export type Check = { name: string; checked: number; violations: string[] };
export type Verification = {
  counts: Record<ItemKind, number>;
  checks: Check[];
  warnings: { name: string; items: string[] }[];
};

/** Every invariant DoDeck relies on, checked over a whole scan; violations name the item. */
export function verifyTable(snapshot: Snapshot): Verification {
  const layout: Check = { name: "deck items are in DoDeck's layout", checked: 0, violations: [] };
  const rows: Check = {
    name: "each live deck has its owner row and one row per collaborator, matching the deck",
    checked: 0,
    violations: [],
  };
  const strays: Check = {
    name: "no access row is stale (old name, removed collaborator) or orphaned (deck gone)",
    checked: 0,
    violations: [],
  };
  const orphans: Check = {
    name: "every do belongs to an existing deck",
    checked: 0,
    violations: [],
  };
  const dos: Check = {
    name: "do items are well-formed (ids, text, completed, timestamps, position, version and dueAt when present)",
    checked: 0,
    violations: [],
  };
  const feed: Check = {
    name: "every change-feed item belongs to an existing deck, at a position no later than the deck's lastChangeAt",
    checked: 0,
    violations: [],
  };
  const quotas: Check = {
    name: "each live deck's doCount is its number of dos, and each owner's deck count their number of live decks",
    checked: 0,
    violations: [],
  };
  const sweepable: Check = {
    name: "every deck being deleted is listed for the sweeper, and every listing is such a deck",
    checked: 0,
    violations: [],
  };
  const overBound: string[] = [];
  const emptyTexts: string[] = [];
  const deleting: string[] = [];

  const expectedIds = new Set<string>();
  for (const [deckId, raw] of snapshot.decks) {
    layout.checked++;
    const problems = deckLayoutProblems(deckId, raw);
    if (problems.length > 0) layout.violations.push(`deck ${deckId}: ${problems.join(", ")}`);
    const deck = deckFromAnyItem(raw);
    if (deck === undefined) continue;
    if (deck.deleting) {
      deleting.push(deckId);
      sweepable.checked++;
      if (!snapshot.pendingDeletions.has(deckId))
        sweepable.violations.push(`deck ${deckId}: deleting but not listed for the sweeper`);
    }
    if (deck.collaborators.length > limits.maxCollaborators)
      overBound.push(`${deckId} (${deck.collaborators.length} collaborators)`);
    const present = new Map((snapshot.rowsByDeck.get(deckId) ?? []).map((r) => [keyId(r), r]));
    for (const row of expectedAccessRows(deck)) {
      rows.checked++;
      const id = keyId(row);
      expectedIds.add(id);
      const found = present.get(id);
      if (found === undefined) rows.violations.push(`deck ${deckId}: missing ${describeKey(row)}`);
      else if (!sameItem(found, row))
        rows.violations.push(`deck ${deckId}: ${describeKey(row)} differs from the deck`);
    }
  }
  for (const [deckId, list] of snapshot.rowsByDeck) {
    for (const row of list) {
      strays.checked++;
      if (!expectedIds.has(keyId(row)))
        strays.violations.push(
          `${describeKey(row)} (${snapshot.decks.has(deckId) ? "stale" : "orphan"})`,
        );
    }
  }
  for (const [deckId, entry] of snapshot.pendingDeletions) {
    sweepable.checked++;
    const raw = snapshot.decks.get(deckId);
    if (raw === undefined)
      sweepable.violations.push(`${describeKey(entry)}: points at a deck that does not exist`);
    else if (deckFromAnyItem(raw)?.deleting !== true)
      sweepable.violations.push(`${describeKey(entry)}: points at a live deck`);
  }
  for (const [deckId, list] of snapshot.dosByDeck) {
    for (const item of list) {
      orphans.checked++;
      dos.checked++;
      if (!snapshot.decks.has(deckId)) orphans.violations.push(`do ${describeKey(item)}`);
      const problems = doProblems(deckId, item);
      if (problems.length > 0)
        dos.violations.push(`do ${describeKey(item)}: ${problems.join(", ")}`);
      if (item.text === "") emptyTexts.push(String(item.doId));
    }
  }
  for (const [deckId, list] of snapshot.changesByDeck) {
    const raw = snapshot.decks.get(deckId);
    const last = raw === undefined ? undefined : lastChangeOf(raw);
    for (const item of list) {
      feed.checked++;
      const position = item.position;
      if (last === undefined) feed.violations.push(`change ${describeKey(item)} (orphan)`);
      else if (typeof position !== "number" || keys.changeSortKey(position) !== item.SK)
        feed.violations.push(`change ${describeKey(item)}: position differs from its key`);
      // A change after the deck's clock would be skipped by every reader.
      else if (position > last)
        feed.violations.push(`change ${describeKey(item)}: after the deck's lastChangeAt`);
    }
  }
  const liveByOwner = new Map<string, number>();
  for (const [deckId, raw] of snapshot.decks) {
    const deck = deckFromAnyItem(raw);
    if (deck === undefined || deck.deleting) continue;
    liveByOwner.set(deck.ownerSub, (liveByOwner.get(deck.ownerSub) ?? 0) + 1);
    quotas.checked++;
    const dosHeld = snapshot.dosByDeck.get(deckId)?.length ?? 0;
    if (raw.doCount !== dosHeld)
      quotas.violations.push(`deck ${deckId}: doCount ${String(raw.doCount)}, but ${dosHeld} dos`);
  }
  for (const sub of new Set([...liveByOwner.keys(), ...snapshot.ownerCounts.keys()])) {
    quotas.checked++;
    const live = liveByOwner.get(sub) ?? 0;
    const stored = snapshot.ownerCounts.get(sub)?.deckCount;
    if (stored === undefined ? live > 0 : stored !== live)
      quotas.violations.push(`owner ${sub}: deck count ${String(stored)}, but ${live} live decks`);
  }
  return {
    counts: snapshot.counts,
    checks: [layout, rows, strays, orphans, dos, feed, quotas, sweepable],
    warnings: [
      {
        name: `decks over the collaborator bound (${limits.maxCollaborators}): readable and writable for dos, but renames and shares (beyond 96 collaborators also deletes, beyond 97 unshares) answer 409 collaborator_limit until the owner removes collaborators`,
        items: overBound,
      },
      {
        name: 'dos with empty text (the old service stored a whitespace-only text as "")',
        items: emptyTexts,
      },
      {
        name: "decks still being deleted (npm run sweep, the scheduled sweeper or the owner's retried DELETE finishes them)",
        items: deleting,
      },
      {
        name: "items neither service writes (left alone)",
        items: snapshot.other.map((item) => describeKey(item)),
      },
    ],
  };
}

function deckLayoutProblems(deckId: string, raw: Item): string[] {
  const problems: string[] = [];
  if (raw.type !== "deck") problems.push("no type");
  if (typeof raw.version !== "number" || raw.version < 1) problems.push("no version");
  if (raw.deckId !== deckId) problems.push("deckId differs from its key");
  if (!isItemId(deckId)) problems.push("id is neither a ULID nor a UUID");
  if (typeof raw.name !== "string" || raw.name.length === 0) problems.push("no name");
  else if (raw.nameLower !== nameLowerOf(raw.name)) problems.push("nameLower differs from name");
  if (typeof raw.ownerSub !== "string" || raw.ownerSub.length === 0) problems.push("no ownerSub");
  if (
    raw.lastChangeAt !== undefined &&
    !(Number.isSafeInteger(raw.lastChangeAt) && Number(raw.lastChangeAt) > 0)
  )
    problems.push("lastChangeAt is not a positive integer");
  const collaborators = raw.collaborators;
  if (collaborators !== undefined && !(collaborators instanceof Set && collaborators.size > 0))
    problems.push("collaborators is not a non-empty string set");
  for (const field of ["createdAt", "updatedAt"] as const) {
    if (typeof raw[field] !== "string" || !isStoredTimestamp(raw[field]))
      problems.push(`${field} is not a timestamp`);
  }
  return problems;
}

function doProblems(deckId: string, item: Item): string[] {
  const problems: string[] = [];
  const doId = String(item.SK).slice(keys.doPrefix.length);
  if (item.doId !== doId) problems.push("doId differs from its key");
  if (!isItemId(doId)) problems.push("id is neither a ULID nor a UUID");
  if (item.deckId !== deckId) problems.push("deckId differs from its key");
  if (typeof item.text !== "string") problems.push("no text");
  if (typeof item.completed !== "boolean") problems.push("completed is not a boolean");
  // Written on every do by DoDeck since v1.1 and by the migration on every older one.
  if (item.position === undefined) problems.push("no position");
  else if (!isPosition(item.position)) problems.push("position is not a well-formed key");
  // Dos written before v1.1 (the old service's included) have no version: they are version 1.
  if (item.version !== undefined && !(Number.isInteger(item.version) && Number(item.version) >= 1))
    problems.push("version is not a positive integer");
  if (
    item.dueAt !== undefined &&
    !(typeof item.dueAt === "string" && isStoredTimestamp(item.dueAt))
  )
    problems.push("dueAt is not a timestamp");
  for (const field of ["createdAt", "updatedAt"] as const) {
    if (typeof item[field] !== "string" || !isStoredTimestamp(item[field]))
      problems.push(`${field} is not a timestamp`);
  }
  return problems;
}

export const violationCount = (verification: Verification): number =>
  verification.checks.reduce((sum, check) => sum + check.violations.length, 0);

export function tallyOf(kinds: Iterable<ChangeKind>): Partial<Record<ChangeKind, number>> {
  const tally: Partial<Record<ChangeKind, number>> = {};
  for (const kind of kinds) tally[kind] = (tally[kind] ?? 0) + 1;
  return tally;
}

const keyId = (item: Item): string => `${String(item.PK)}\u0000${String(item.SK)}`;
const describeKey = (item: Item): string => `${String(item.PK)} / ${String(item.SK)}`;

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Attribute-by-attribute equality of two items as the document client returns them. */
export function sameItem(a: Item, b: Item): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) if (!sameValue(a[name], b[name])) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Set && b instanceof Set)
    return a.size === b.size && [...a].every((value) => b.has(value));
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    if (a instanceof Set || b instanceof Set) return false;
    return sameItem(a as Item, b as Item);
  }
  return a === b;
}
