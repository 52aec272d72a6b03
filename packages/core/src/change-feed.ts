import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { assertCanRead } from "./access.ts";
import {
  changeStampOf,
  decodeSyncToken,
  encodeSyncToken,
  invalidSyncToken,
  type StoredChange,
  type SyncToken,
  storedChangeOf,
} from "./changes.ts";
import { deckAndDos } from "./dos.ts";
import { AppError } from "./errors.ts";
import { isItemId } from "./ids.ts";
import { deckFromItem, doFromItem } from "./items.ts";
import { keys } from "./keys.ts";
import type { Caller, Change, ChangePage, Deck } from "./model.ts";
import { toDeckDetail } from "./model.ts";
import { type ServiceOptions, serviceContext } from "./service-context.ts";
import { queryPages, send } from "./store.ts";

export type ChangeService = ReturnType<typeof createChangeService>;

export type ChangesQuery = { since?: string | undefined; limit: number };

/**
 * Reads a deck's change feed (changes.ts writes it). Without `since`: a full sync, the deck and
 * every do as upserts, paged by a cursor inside the token. With `since`: the change items after
 * its position up to the deck's `lastChangeAt` as read, oldest first, each do once per page.
 */
export function createChangeService(options: ServiceOptions) {
  const { store, policy, table, nowMicros, retention, read } = serviceContext(options);
  const retentionMicros = retention * 1_000_000;

  const expired = () =>
    new AppError(
      "sync_token_expired",
      `Changes are kept ${retention} seconds; this token is older. Start again with a full sync (no since).`,
    );

  /** The token may be used on this deck as it now is: not ahead of it, not past retention. */
  function assertUsable(token: SyncToken, deck: Deck, now: number): void {
    // Positions only grow, so a token ahead of the deck was not minted for it.
    if (token.position > deck.lastChangeAt) throw invalidSyncToken();
    if (token.horizon + retentionMicros <= now) throw expired();
  }

  /** The first page of a full sync: one Query reads the deck and its first dos. */
  async function fullSync(caller: Caller, deckId: string, limit: number): Promise<ChangePage> {
    const now = nowMicros();
    const out = await send(() =>
      store.client.send(
        new QueryCommand({
          TableName: table,
          ...deckAndDos(deckId),
          // The deck, the page's dos (the deck takes one place), and one more: is there more?
          Limit: limit + 1,
          // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
          ConsistentRead: true,
        }),
      ),
    );
    // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers a Query with a list.
    const [first, ...rows] = out.Items ?? [];
    const deck = assertCanRead(
      first?.SK === keys.deckSortKey ? deckFromItem(first) : undefined,
      caller,
      policy,
    );
    const page = rows.slice(0, limit - 1);
    const hasMore = rows.length > page.length;
    const start = { deckId, position: deck.lastChangeAt, horizon: now };
    return {
      changes: [
        { type: "deck.updated", deck: toDeckDetail(deck, caller) },
        ...page.map((row): Change => ({ type: "do.upserted", do: doFromItem(row) })),
      ],
      nextSince: encodeSyncToken(
        hasMore ? { ...start, after: String(page.at(-1)?.SK ?? keys.doPrefix) } : start,
      ),
      hasMore,
    };
  }

  /**
   * A later page of a full sync: the dos after the token's cursor, the deck read alongside (for
   * access, and to tell whether changes are waiting once the last do is sent).
   */
  async function fullSyncAfter(
    caller: Caller,
    deckId: string,
    token: SyncToken & { after: string },
    limit: number,
  ): Promise<ChangePage> {
    const now = nowMicros();
    const [deck, out] = await Promise.all([
      read(deckId),
      send(() =>
        store.client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "PK = :pk AND begins_with(SK, :do)",
            ExpressionAttributeValues: { ":pk": keys.deckPartition(deckId), ":do": keys.doPrefix },
            ExclusiveStartKey: { PK: keys.deckPartition(deckId), SK: token.after },
            Limit: limit + 1,
            // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
            ConsistentRead: true,
          }),
        ),
      ),
    ]);
    const current = assertCanRead(deck, caller, policy);
    assertUsable(token, current, now);
    // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers a Query with a list.
    const rows = out.Items ?? [];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const changes = page.map((row): Change => ({ type: "do.upserted", do: doFromItem(row) }));
    // The position stays that of the first page: what changed after it comes as deltas.
    const next: SyncToken = { deckId, position: token.position, horizon: token.horizon };
    if (rows.length > limit && last !== undefined)
      return {
        changes,
        nextSince: encodeSyncToken({ ...next, after: String(last.SK) }),
        hasMore: true,
      };
    // The last page. Changes committed since the first are already waiting: say so, so the
    // client asks at once; with none, the client is current as of this read.
    const waiting = current.lastChangeAt > token.position;
    return {
      changes,
      nextSince: encodeSyncToken(waiting ? next : { ...next, horizon: now }),
      hasMore: waiting,
    };
  }

  /**
   * The changes after the token's position. `lastChangeAt` read first (strongly consistent) is
   * L: every change at a position ≤ L has committed, and any change committing later takes a
   * position > L (the deck item's condition), so reading (position, L] and continuing from L
   * can never skip one.
   */
  async function delta(
    caller: Caller,
    deckId: string,
    token: SyncToken,
    limit: number,
  ): Promise<ChangePage> {
    const now = nowMicros();
    const deck = assertCanRead(await read(deckId), caller, policy);
    assertUsable(token, deck, now);
    const last = deck.lastChangeAt;
    const upToDate = { deckId, position: last, horizon: now };
    if (token.position === last)
      return { changes: [], nextSince: encodeSyncToken(upToDate), hasMore: false };
    // Deletions and deck changes are change items; upserted dos carry their change's position
    // themselves (`changedAt`), so the deck's dos are read whole (as a list page reads them).
    const [out, dos] = await Promise.all([
      send(() =>
        store.client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
            ExpressionAttributeValues: {
              ":pk": keys.deckPartition(deckId),
              ":from": keys.changeSortKey(token.position + 1),
              ":to": keys.changeSortKey(last),
            },
            Limit: limit + 1,
            // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
            ConsistentRead: true,
          }),
        ),
      ),
      readDos(deckId),
    ]);
    // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers a Query with a list.
    const stored = (out.Items ?? []).map(storedChangeOf);
    // Past `limit` change items, this page covers positions up to the last one it holds: every
    // change at or before it is then known (the dos are read whole).
    const items = stored.slice(0, limit);
    const bound = stored.length > limit ? (items.at(-1)?.position ?? last) : last;
    const upserts = dos.flatMap((row): StoredChange[] => {
      const position = changeStampOf(row);
      return position > token.position && position <= bound
        ? [
            {
              position,
              expiresAtMicros: Number.POSITIVE_INFINITY,
              record: { kind: "do.upserted", do: doFromItem(row) },
            },
          ]
        : [];
    });
    const all = latestPerEntity([...items, ...upserts].sort((a, b) => a.position - b.position));
    // Never cut between changes of one position (a rebalance stamps every do it re-keys with
    // its one position): the next page starts after the position this one ends at.
    let end = Math.min(limit, all.length);
    while (end < all.length && all[end]?.position === all[end - 1]?.position) end++;
    const page = all.slice(0, end);
    // TTL deletes late, and a change whose writer's clock was behind expires early: one past
    // its retention means others may be gone already, so the client must start again.
    if (page.some((change) => change.expiresAtMicros <= now)) throw expired();
    const consumed = end < all.length ? (page.at(-1)?.position ?? bound) : bound;
    const hasMore = consumed < last;
    return {
      changes: render(caller, page),
      nextSince: encodeSyncToken(
        hasMore ? { deckId, position: consumed, horizon: consumed } : upToDate,
      ),
      hasMore,
    };
  }

  /** The deck's dos, whole, strongly consistent (the deck-and-dos key range, paged past 1 MB). */
  async function readDos(deckId: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for await (const page of queryPages(store, deckAndDos(deckId)))
      for (const row of page) if (String(row.SK).startsWith(keys.doPrefix)) rows.push(row);
    return rows;
  }

  /** Changes as the client sees them: deck detail for this caller, dos as read. */
  function render(caller: Caller, page: StoredChange[]): Change[] {
    return page.map(({ record }): Change => {
      if (record.kind === "deck.updated")
        return { type: "deck.updated", deck: toDeckDetail(record.deck, caller) };
      if (record.kind === "do.deleted") return { type: "do.deleted", doId: record.doId };
      return { type: "do.upserted", do: record.do };
    });
  }

  return {
    async list(caller: Caller, deckId: string, query: ChangesQuery): Promise<ChangePage> {
      if (!isItemId(deckId)) throw new AppError("deck_not_found");
      if (query.since === undefined) return fullSync(caller, deckId, query.limit);
      const token = decodeSyncToken(query.since, deckId);
      if (token.after !== undefined)
        return fullSyncAfter(caller, deckId, { ...token, after: token.after }, query.limit);
      return delta(caller, deckId, token, query.limit);
    },
  };
}

/** The deck's key among the dos' `do:<id>` keys: any other string would do. */
const deckEntry = "deck";

/** One entry per deck or do, its latest change, in the order of those latest changes. */
export function latestPerEntity(page: StoredChange[]): StoredChange[] {
  const latest = new Map<string, StoredChange>();
  for (const change of page) {
    const { record } = change;
    const id =
      record.kind === "deck.updated"
        ? deckEntry
        : `do:${record.kind === "do.upserted" ? record.do.doId : record.doId}`;
    latest.delete(id);
    latest.set(id, change);
  }
  return [...latest.values()];
}
