import { AppError } from "./errors.ts";
import { deckNames } from "./items.ts";
import { keys } from "./keys.ts";
import type { Deck, Do } from "./model.ts";
import type { TransactItem } from "./store.ts";

/**
 * A deck's change feed (SPEC "Changes"; docs/data-model.md "The change feed" says why it cannot
 * miss a change). Every write that changes a deck or one of its dos, in the same transaction,
 * sets the deck item's `lastChangeAt` to the change's position, on condition that it only
 * grows, and records the change at that position: an upserted do carries it on itself
 * (`changedAt`); a deletion or a deck change is a change item in the deck's partition. All
 * changes of a deck therefore serialise on its deck item, and position order is commit order.
 *
 * Positions are microseconds since the epoch on the writer's clock, pushed past the deck's last
 * change when that clock is behind; they are unique per deck (the condition makes them so).
 */
/** How long change items are kept, and so how old a sync token may be: 7 days by default. */
export const defaultChangeRetentionSeconds = 7 * 24 * 60 * 60;

/**
 * Change items past their retention are refused by readers at once (410), but TTL deletes them
 * only this much later: a change whose writer's clock ran behind the reader's is still there to
 * be noticed as expired, never silently gone. Clocks skewed by more than this are out of bounds.
 */
export const changeTtlSlackSeconds = 60 * 60;

export const microsOf = (date: Date): number => date.getTime() * 1000;

/** The position a write takes: the writer's clock, or just after the deck's last change. */
export const nextPosition = (clock: number, lastChangeAt: number): number =>
  Math.max(clock, lastChangeAt + 1);

/**
 * The do item's attribute holding the position of its latest change: upserts of dos are found
 * by it, not by change items (which would add an item to every do write). A do without one
 * (the old service's, or written before the feed) has changed at no position since any token.
 */
export const changeStamp = "changedAt";

export const changeStampOf = (item: Record<string, unknown>): number =>
  typeof item[changeStamp] === "number" ? (item[changeStamp] as number) : 0;

/** A change a write makes: an upsert is stamped on the do it writes, the others are items. */
export type ChangeRecord =
  | { kind: "deck.updated"; deck: Deck }
  | { kind: "do.upserted"; doId: string }
  | { kind: "do.deleted"; doId: string };

/** What a change item records: a deck change with the deck as it became, or a deletion. */
export type ItemRecord = Exclude<ChangeRecord, { kind: "do.upserted" }>;

export const isItemRecord = (record: ChangeRecord): record is ItemRecord =>
  record.kind !== "do.upserted";

/** A change as the feed reads it: a change item, or an upsert with the do as it is now. */
export type StoredChange = {
  position: number;
  /** The change's retention ends here (microseconds, the writer's clock). */
  expiresAtMicros: number;
  record: ItemRecord | { kind: "do.upserted"; do: Do };
};

const changeAttributes = { expiresAt: "expiresAt" } as const;

export function changeItem(
  deckId: string,
  position: number,
  record: ItemRecord,
  retentionSeconds: number,
): Record<string, unknown> {
  return {
    ...keys.change(deckId, position),
    type: "change",
    deckId,
    position,
    change: record.kind,
    ...(record.kind === "deck.updated"
      ? {
          snapshot: {
            deckId: record.deck.deckId,
            name: record.deck.name,
            ownerSub: record.deck.ownerSub,
            collaborators: [...record.deck.collaborators].sort(),
            createdAt: record.deck.createdAt,
            updatedAt: record.deck.updatedAt,
          },
        }
      : { doId: record.doId }),
    retainUntil: position + retentionSeconds * 1_000_000,
    // Epoch seconds, the table's TTL attribute (shared with Idempotency-Key records).
    [changeAttributes.expiresAt]:
      Math.ceil(position / 1_000_000) + retentionSeconds + changeTtlSlackSeconds,
  };
}

export function storedChangeOf(item: Record<string, unknown>): StoredChange {
  const position = Number(item.position);
  const kind = String(item.change);
  const base = { position, expiresAtMicros: Number(item.retainUntil) };
  if (kind === "do.deleted") return { ...base, record: { kind, doId: String(item.doId) } };
  if (kind !== "deck.updated") throw new Error(`A change item of unknown kind: ${kind}`);
  const deck = (item.snapshot ?? {}) as Record<string, unknown>;
  return {
    ...base,
    record: {
      kind,
      deck: {
        deckId: String(deck.deckId),
        name: String(deck.name),
        ownerSub: String(deck.ownerSub),
        // Stryker disable next-line ArrayDeclaration: defensive, changeItem always stores the list.
        collaborators: Array.isArray(deck.collaborators) ? deck.collaborators.map(String) : [],
        createdAt: String(deck.createdAt),
        updatedAt: String(deck.updatedAt),
        // Not part of a snapshot: the feed renders deck detail only.
        version: 0,
        // Stryker disable next-line BooleanLiteral: equivalent, the feed renders deck detail only (no `deleting` in it).
        deleting: false,
        lastChangeAt: position,
        doCount: 0,
      },
    },
  };
}

/** The change item's put, inside the write's transaction (its position is new: no condition). */
export function changePut(
  table: string,
  deckId: string,
  position: number,
  record: ItemRecord,
  retentionSeconds: number,
): TransactItem {
  return {
    Put: { TableName: table, Item: changeItem(deckId, position, record, retentionSeconds) },
  };
}

/** The clock's part of a deck item update: set it, only upwards. Names from `deckNames`. */
export const clockSet = "#lastChangeAt = :position";
/** The same for a write that records several changes, at positions `:position`..`:through`. */
export const clockSetThrough = "#lastChangeAt = :through";
export const clockCondition = "(attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :position)";
export const clockNames = { "#lastChangeAt": deckNames.lastChangeAt } as const;

/**
 * Sync tokens are opaque to clients: base64url of JSON with a format version, the deck, the
 * position the client has seen every change up to, the horizon (the earliest instant a change
 * the client has not seen can carry, on which the token's age is judged) and, while a full sync
 * is paged, the key of the last do it returned.
 */
export type SyncToken = {
  deckId: string;
  position: number;
  horizon: number;
  /** A full sync in progress: the sort key of the last do returned. */
  after?: string | undefined;
};

const TOKEN_VERSION = 1;
/** Bounded like other key-bearing values: a token carries a deck id and a do key. */
export const maxSyncTokenLength = 512;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeSyncToken(token: SyncToken): string {
  const raw = {
    v: TOKEN_VERSION,
    d: token.deckId,
    p: token.position,
    h: token.horizon,
    // Stryker disable next-line ConditionalExpression: equivalent, JSON.stringify drops a key whose value is undefined.
    ...(token.after === undefined ? {} : { a: token.after }),
  };
  let binary = "";
  for (const byte of encoder.encode(JSON.stringify(raw))) binary += String.fromCharCode(byte);
  // Stryker disable next-line Regex: equivalent, base64 has "=" only at its end.
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The token, if it is well-formed and belongs to this deck; else 422. */
export function decodeSyncToken(token: string, deckId: string): SyncToken {
  const parsed = parseToken(token);
  if (parsed === undefined || parsed.deckId !== deckId) throw invalidSyncToken();
  return parsed;
}

export function invalidSyncToken(): AppError {
  return new AppError("validation_failed", "The sync token is not valid for this deck.", {
    errors: [{ path: "since", message: "Invalid sync token" }],
  });
}

function parseToken(token: string): SyncToken | undefined {
  if (token.length > maxSyncTokenLength || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const binary = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const raw: unknown = JSON.parse(
      decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, null throws below (caught) and a primitive or array has no `v`.
    if (typeof raw !== "object" || raw === null) return undefined;
    const { v, d, p, h, a } = raw as Record<string, unknown>;
    if (v !== TOKEN_VERSION || typeof d !== "string") return undefined;
    if (!isPosition(p) || !isPosition(h)) return undefined;
    if (a !== undefined && (typeof a !== "string" || !a.startsWith(keys.doPrefix)))
      return undefined;
    // Stryker disable next-line ConditionalExpression: equivalent for every reader, `after: undefined` and no `after` read the same.
    return { deckId: d, position: p, horizon: h, ...(a === undefined ? {} : { after: a }) };
  } catch /* Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined too */ {
    return undefined;
  }
}

const isPosition = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
