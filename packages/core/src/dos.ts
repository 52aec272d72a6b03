import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { assertCanRead, usableEmail } from "./access.ts";
import { contentionPause } from "./backoff.ts";
import { batchGetConsistent } from "./batch-get.ts";
import {
  type ChangeRecord,
  changePut,
  changeStamp,
  clockCondition,
  clockNames,
  clockSetThrough,
  isItemRecord,
} from "./changes.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { AppError } from "./errors.ts";
import { createGroupCommit, type Outcome, settle } from "./group-commit.ts";
import type { Claim, IdempotencyOptions } from "./idempotency.ts";
import { isItemId } from "./ids.ts";
import {
  deckFromItem,
  deckNames,
  doCountOf,
  doFromItem,
  doItem,
  doNames,
  doVersionCondition,
  doVersionOf,
  lastChangeOf,
} from "./items.ts";
import { keys } from "./keys.ts";
import { limits } from "./limits.ts";
import type { Caller, Deck, Do, Page } from "./model.ts";
import {
  comparePlaces,
  createTimeKeys,
  keyBetween,
  MAX_POSITION_LENGTH,
  positionOfItem,
  spread,
} from "./positions.ts";
import { type ServiceOptions, serviceContext } from "./service-context.ts";
import {
  cancellationReasons,
  mapAwsError,
  queryPages,
  send,
  type TransactItem,
  transact,
  transactItemKey,
} from "./store.ts";
import { type Precondition, satisfies, versioned } from "./versions.ts";

/**
 * Optimistic retries of a do write that lost a race (another writer of the same do, or a
 * transaction conflict on the deck item, which every change of the deck updates).
 */
const MAX_ATTEMPTS = 8;
/** Immediate retries at a later position when the deck's clock was ahead of this writer's. */
const MAX_CLOCK_ROUNDS = 4;
/**
 * The same for a shared transaction: once more past the clock; refused again, its writes go
 * alone (each with MAX_CLOCK_ROUNDS of its own).
 */
const GROUP_CLOCK_ROUNDS = 2;

/**
 * Dos a rebalance rewrites at most (the moved one included): one transaction, never split,
 * with the deck's update and one action to spare. Each rewritten do carries its own change
 * stamp (`changedAt`), so a rebalance adds no change items.
 */
export const REBALANCE_WINDOW = limits.maxTransactionActions - 2;

/** A do of a deck as read for listing and moving: its item and its place in the order. */
type Place = { row: Record<string, unknown>; position: string; doId: string };

/** The fields a PATCH of a do may change. */
export type DoChanges = {
  text?: string | undefined;
  completed?: boolean | undefined;
  /** null clears the due date; undefined leaves it. */
  dueAt?: string | null | undefined;
};

export type DoService = ReturnType<typeof createDoService>;

export function createDoService(options: ServiceOptions) {
  const { store, policy, table, now, positionAfter, retention, quotas, newId, read, idempotency } =
    serviceContext(options);
  const nextTimeKey = createTimeKeys(() => Date.parse(now()));

  /**
   * The condition that admits the callers to the deck: it exists, is not being deleted, and is
   * theirs or shared with them (each of them, for a group of writes).
   */
  function admission(callers: readonly Caller[]) {
    const values: Record<string, unknown> = {};
    const each = callers.map((caller, i) => {
      const email = usableEmail(caller, policy);
      const n = callers.length === 1 ? "" : String(i);
      values[`:sub${n}`] = caller.sub;
      if (email === undefined) return `ownerSub = :sub${n}`;
      values[`:email${n}`] = email;
      return `(ownerSub = :sub${n} OR contains(collaborators, :email${n}))`;
    });
    return {
      expression: `attribute_exists(PK) AND attribute_not_exists(deleting) AND ${each.join(" AND ")}`,
      values,
    };
  }

  /**
   * The deck item's part of every do change, in the write's own transaction: it admits the
   * callers (so a do cannot land in a deck deleted or unshared a moment before), moves the
   * deck's change clock to `through`, only upwards from below `position` (changes.ts), and keeps
   * `doCount`: `creates` new dos only below the quota, `count` the net change. On failure
   * DynamoDB returns the deck as it was, which tells 404 from 403, a full deck, and a clock that
   * was behind, without another read.
   */
  function touch(
    deckId: string,
    callers: readonly Caller[],
    position: number,
    through: number,
    count: number,
    creates: number,
  ): TransactItem {
    const admitted = admission(callers);
    const counted = count !== 0;
    return {
      Update: {
        TableName: table,
        Key: keys.deck(deckId),
        // A write recording several changes (a rebalance, a group) takes positions up to through.
        UpdateExpression: `SET ${clockSetThrough}${counted ? " ADD #doCount :count" : ""}`,
        ConditionExpression: `${admitted.expression} AND ${clockCondition}${
          creates > 0 ? " AND (attribute_not_exists(#doCount) OR #doCount <= :roomFor)" : ""
        }`,
        ExpressionAttributeNames: {
          ...clockNames,
          ...(counted || creates > 0 ? { "#doCount": deckNames.doCount } : {}),
        },
        ExpressionAttributeValues: {
          ...admitted.values,
          ":position": position,
          ":through": through,
          ...(counted ? { ":count": count } : {}),
          ...(creates > 0 ? { ":roomFor": quotas.dosPerDeck - creates } : {}),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /** Admission alone, for a transaction that changes nothing (a missing do's 404). */
  function admits(deckId: string, caller: Caller): TransactItem {
    const admitted = admission([caller]);
    return {
      ConditionCheck: {
        TableName: table,
        Key: keys.deck(deckId),
        ConditionExpression: admitted.expression,
        ExpressionAttributeValues: admitted.values,
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /**
   * A do write and what goes with it: written as [touch, ...writes, ...change items, claim] in
   * one transaction (or [admits, ...writes] when it records no change). The write's contract
   * (404, 412, retry) comes out of how DynamoDB refused it: see `writeAlone`.
   */
  type DeckWrite = {
    caller: Caller;
    writes: readonly TransactItem[];
    records: readonly ChangeRecord[];
    /** Built only on failure: an Error captures a stack trace, which every write would pay. */
    missing: () => AppError;
    refused?: ((item: Record<string, unknown>) => AppError | "retry") | undefined;
    /** An Idempotency-Key's record for the same transaction (last). */
    claim?: { item: TransactItem; check: Claim["check"] } | undefined;
  };

  /**
   * This process's writes of one deck are committed one transaction at a time, and those that
   * queued meanwhile share the next one (group-commit.ts says why). Only writes of one item with
   * one change share (a move in a deck of one do is such a write); a move that checks its
   * neighbours or rebalances, and a check that changes nothing, go alone.
   */
  const commitOnDeck = createGroupCommit<DeckWrite, "written" | "retry">({
    joins: (batch, next) => {
      if (!sharable(next) || !sharable(batch[0]!)) return false;
      const actions = [...batch, next].reduce((sum, write) => sum + actionsOf(write), 1);
      if (actions > limits.maxTransactionActions) return false;
      const taken = new Set(batch.flatMap(keysOf));
      return keysOf(next).every((key) => !taken.has(key));
    },
    commit: async (deckId, batch) =>
      batch.length === 1
        ? [await settle(writeAlone(deckId, batch[0]!))]
        : writeTogether(deckId, batch),
  });

  const sharable = (write: DeckWrite) => write.writes.length === 1 && write.records.length === 1;
  const changeItemsOf = (write: DeckWrite) =>
    // An upserted do records its change on itself (`changedAt`, changes.ts); deletions (and deck
    // changes, deck-plans.ts) are change items, since nothing else is left to carry them.
    write.records.filter(isItemRecord);
  const actionsOf = (write: DeckWrite) =>
    write.writes.length + changeItemsOf(write).length + (write.claim ? 1 : 0);
  const keysOf = (write: DeckWrite) =>
    [...write.writes, ...(write.claim ? [write.claim.item] : [])].map(transactItemKey);
  const countOf = (write: DeckWrite) =>
    write.records.length === 1 ? countChange(write.records[0]!, write.writes[0]!) : 0;

  /**
   * A write's items after the deck's, at its positions: the first stamps the do(s) it writes,
   * one more per change item.
   */
  function itemsOf(deckId: string, write: DeckWrite, positions: readonly number[]): TransactItem[] {
    const changeItems = changeItemsOf(write);
    const stampsDos = changeItems.length < write.records.length;
    return [
      ...(stampsDos ? write.writes.map((item) => stampChange(item, positions[0]!)) : write.writes),
      ...changeItems.map((record, i) => changePut(table, deckId, positions[i]!, record, retention)),
      ...(write.claim ? [write.claim.item] : []),
    ];
  }

  /** `n` increasing positions past `lastSeen`, from this process's change clock. */
  function positionsPast(lastSeen: number, n: number): number[] {
    const positions: number[] = [];
    let last = lastSeen;
    for (let i = 0; i < n; i++) {
      last = positionAfter(last);
      positions.push(last);
    }
    return positions;
  }

  /** Runs a do write through its deck's group commit; "retry" when it lost a race. */
  function writeAdmitted(
    deckId: string,
    caller: Caller,
    write: TransactItem | readonly [TransactItem, ...TransactItem[]],
    change: ChangeRecord | readonly ChangeRecord[] | undefined,
    missing: () => AppError,
    refused?: (item: Record<string, unknown>) => AppError | "retry",
    claim?: { item: TransactItem; check: Claim["check"] },
  ): Promise<"written" | "retry"> {
    return commitOnDeck(deckId, {
      caller,
      writes: Array.isArray(write) ? write : [write as TransactItem],
      records:
        change === undefined ? [] : Array.isArray(change) ? change : [change as ChangeRecord],
      missing,
      refused,
      claim,
    });
  }

  /**
   * One write in a transaction of its own. Maps a refusal to the contract by the position that
   * failed. A refused first write is `missing` unless `refused` explains it from the item as it
   * was (the write asks for ALL_OLD); a refused companion (a sibling a rebalance rewrites, or a
   * neighbour checked, conditioned on its position as read) means the deck changed since it was
   * read. A deck clock ahead of this writer's (a skewed clock, or a change committed since) is
   * retried at once just past it. Returns "retry" when the transaction lost a race and may be
   * retried from a fresh read.
   */
  async function writeAlone(deckId: string, write: DeckWrite): Promise<"written" | "retry"> {
    const { caller, writes, records, missing, refused, claim } = write;
    const count = countOf(write);
    let lastSeen = 0;
    for (let round = 1; round <= MAX_CLOCK_ROUNDS; round++) {
      // One position per change item; the deck's clock moves to the last one.
      const positions = positionsPast(lastSeen, Math.max(changeItemsOf(write).length, 1));
      const items = [
        records.length === 0
          ? admits(deckId, caller)
          : touch(deckId, [caller], positions[0]!, positions.at(-1)!, count, count === 1 ? 1 : 0),
        ...itemsOf(deckId, write, positions),
      ];
      try {
        await transact(store, items);
        return "written";
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw mapAwsError(error);
        claim?.check(items, reasons);
        const deckRefused = reasons[0]?.Code === "ConditionalCheckFailed";
        const deck = reasons[0]?.Item;
        if (deckRefused) {
          assertCanRead(deckFromItem(deck), caller, policy);
          if (deck === undefined || records.length === 0) throw new AppError("deck_not_found");
          if (count === 1 && doCountOf(deck) >= quotas.dosPerDeck)
            throw new AppError(
              "do_limit",
              `A deck holds at most ${quotas.dosPerDeck} dos; delete some first.`,
            );
        }
        // The write's own refusal decides before a clock that was behind: retrying at a later
        // position could not make it pass.
        if (reasons[1]?.Code === "ConditionalCheckFailed") {
          const old = reasons[1].Item;
          if (old === undefined || refused === undefined) throw missing();
          const outcome = refused(old);
          if (outcome === "retry") return "retry";
          throw outcome;
        }
        if (reasons.slice(2, 1 + writes.length).some((r) => r.Code === "ConditionalCheckFailed"))
          return "retry";
        if (deckRefused && deck !== undefined) {
          // Admitted and not full, so the clock refused: another change took a later position.
          lastSeen = lastChangeOf(deck);
          continue;
        }
        // Another transaction held one of the items (TransactionConflict): nothing was written.
        if (reasons.some((reason) => reason.Code === "TransactionConflict")) return "retry";
        throw mapAwsError(error);
      }
    }
    return "retry";
  }

  /**
   * Writes that queued for the same deck, in one transaction: the deck item once (admitting
   * every caller, the quota for all the creates, the clock past all their positions), then each
   * write with its change. When DynamoDB refuses it for anything but a clock that was behind,
   * nothing was written and each write goes alone, in order, to meet its own outcome; so one
   * stale If-Match or one caller without access costs one transaction more, never a wrong answer.
   */
  async function writeTogether(
    deckId: string,
    batch: readonly DeckWrite[],
  ): Promise<Outcome<"written" | "retry">[]> {
    const callers = [
      ...new Map(
        batch.map((write) => [
          `${write.caller.sub}\u0000${write.caller.email ?? ""}`,
          write.caller,
        ]),
      ).values(),
    ];
    const count = batch.reduce((sum, write) => sum + countOf(write), 0);
    const creates = batch.filter((write) => countOf(write) === 1).length;
    let lastSeen = 0;
    for (let round = 1; round <= GROUP_CLOCK_ROUNDS; round++) {
      // Each write's positions follow the one before it's, in arrival order.
      let last = lastSeen;
      const positions = batch.map((write) => {
        const taken = positionsPast(last, Math.max(changeItemsOf(write).length, 1));
        last = taken.at(-1)!;
        return taken;
      });
      const items = [
        touch(deckId, callers, positions[0]![0]!, last, count, creates),
        ...batch.flatMap((write, i) => itemsOf(deckId, write, positions[i]!)),
      ];
      try {
        await transact(store, items);
        return batch.map(() => ({ status: "fulfilled", value: "written" }) as const);
      } catch (error) {
        const reasons = cancellationReasons(error);
        const deck = reasons?.[0]?.Item;
        const clockBehind =
          reasons?.[0]?.Code === "ConditionalCheckFailed" &&
          deck !== undefined &&
          lastChangeOf(deck) >= positions[0]![0]! &&
          reasons.slice(1).every((reason) => reason.Code === undefined || reason.Code === "None");
        if (!clockBehind) break;
        lastSeen = lastChangeOf(deck);
      }
    }
    const outcomes: Outcome<"written" | "retry">[] = [];
    for (const write of batch) outcomes.push(await settle(writeAlone(deckId, write)));
    return outcomes;
  }

  /** The do's item, read strongly consistent; undefined when it does not exist. */
  async function readDo(deckId: string, doId: string) {
    const out = await send(() =>
      store.client.send(
        // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent; on AWS a PATCH would read a stale do.
        new GetCommand({ TableName: table, Key: keys.do(deckId, doId), ConsistentRead: true }),
      ),
    );
    // Any item under a do's key is a do: the old service's dos, kept by the migration, have no
    // `type` attribute.
    return out.Item;
  }

  /**
   * The deck and its dos in list order (position, then doId), from one strongly consistent
   * Query of the deck's partition ("DECK" sorts before "DO#"), paged past 1 MB. Every list page
   * and every move reads the whole partition: positions are attributes, not keys, so no read
   * of a part of it could tell which dos come first (docs/data-model.md has the cost, bounded
   * by the per-deck do quota, and the index that would lift it).
   */
  async function readDeckInOrder(
    deckId: string,
  ): Promise<{ deck: Deck | undefined; dos: Place[] }> {
    let deck: Deck | undefined;
    const dos: Place[] = [];
    for await (const page of queryPages(store, deckAndDos(deckId))) {
      for (const row of page) {
        if (row.SK === keys.deckSortKey) deck = deckFromItem(row);
        // Any item under a do's key is a do: the old service's have no `type` attribute.
        else if (String(row.SK).startsWith(keys.doPrefix))
          dos.push({
            row,
            position: positionOfItem(row),
            doId: String(row.SK).slice(keys.doPrefix.length),
          });
      }
    }
    return { deck, dos: dos.sort(comparePlaces) };
  }

  function assertIds(deckId: string, doId?: string): void {
    if (!isItemId(deckId)) throw new AppError("deck_not_found");
    if (doId !== undefined && !isItemId(doId)) throw new AppError("do_not_found");
  }

  async function createOnce(
    caller: Caller,
    deckId: string,
    input: { text: string; dueAt?: string | null | undefined },
    claim: Claim | undefined,
  ): Promise<Do> {
    const at = now();
    const created: Do = {
      doId: newId(),
      deckId,
      text: input.text,
      completed: false,
      // A time key of now: above every position in the deck, so the new do goes last.
      position: nextTimeKey(),
      dueAt: dueInstant(input.dueAt),
      createdAt: at,
      updatedAt: at,
    };
    const result = versioned(created, 1);
    const put: TransactItem = {
      Put: {
        TableName: table,
        Item: doItem(created, 1),
        ConditionExpression: "attribute_not_exists(PK)",
      },
    };
    const clash = () => new AppError("internal_error", "Generated a do id that already exists.");
    for (let attempt = 1; ; attempt++) {
      const record = claim ? { item: claim.put(result, 1), check: claim.check } : undefined;
      const change = { kind: "do.upserted", doId: created.doId } as const;
      if (
        (await writeAdmitted(deckId, caller, put, change, clash, undefined, record)) === "written"
      )
        break;
      await conflictPause(attempt);
    }
    return result;
  }

  /**
   * The fallback of a PATCH that lost a race without If-Match: [admits, update of the given
   * fields and `version + 1`, conditioned only on existence], then a consistent read. The
   * response is the do as it is after this write (a later writer's fields may show), with the
   * ETag of exactly that state. Costs one GetItem more, only under contention.
   */
  async function updateOnTop(
    caller: Caller,
    deckId: string,
    doId: string,
    input: DoChanges,
  ): Promise<Do> {
    const sets = ["updatedAt = :now", "#version = if_not_exists(#version, :one) + :one"];
    const names: Record<string, string> = { "#version": doNames["#version"] };
    const values: Record<string, unknown> = { ":now": now(), ":one": 1 };
    let remove = "";
    if (input.text !== undefined) {
      sets.push("#text = :text");
      names["#text"] = doNames["#text"];
      values[":text"] = input.text;
    }
    if (input.completed !== undefined) {
      sets.push("completed = :completed");
      values[":completed"] = input.completed;
    }
    if (input.dueAt !== undefined) {
      names["#dueAt"] = doNames["#dueAt"];
      const due = dueInstant(input.dueAt);
      if (due === null) remove = " REMOVE #dueAt";
      else {
        sets.push("#dueAt = :dueAt");
        values[":dueAt"] = due;
      }
    }
    const write: TransactItem = {
      Update: {
        TableName: table,
        Key: keys.do(deckId, doId),
        UpdateExpression: `SET ${sets.join(", ")}${remove}`,
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
    for (let attempt = 1; ; attempt++) {
      // The change is stamped on the do: readers take it as it is when they read.
      const change = { kind: "do.upserted", doId } as const;
      const outcome = await writeAdmitted(
        deckId,
        caller,
        write,
        change,
        () => new AppError("do_not_found"),
      );
      if (outcome === "written") break;
      await conflictPause(attempt);
    }
    const item = await readDo(deckId, doId);
    if (item === undefined) throw new AppError("do_not_found");
    return versioned(doFromItem(item), doVersionOf(item));
  }

  /**
   * The cursor carries the place (position, doId) of the last do returned, so the next page
   * starts after that place whatever moved meanwhile: a do that was not moved is neither
   * skipped nor repeated.
   */
  const listName = (deckId: string) => `dos-by-position|${deckId}`;

  function cursorAfter(deckId: string, cursor: string): { position: string; doId: string } {
    const { key } = decodeCursor(cursor, {
      list: listName(deckId),
      partitions: [keys.deckPartition(deckId)],
      sortKeyPrefix: keys.doPrefix,
    });
    const [position = "", doId = "", ...rest] = key.SK.slice(keys.doPrefix.length).split(" ");
    if (position === "" || doId === "" || rest.length > 0)
      throw new AppError("validation_failed", "The cursor is not valid for this list.", {
        errors: [{ path: "cursor", message: "Invalid cursor" }],
      });
    return { position, doId };
  }

  /**
   * Where a moved do goes: its new position, or the window of dos (the moved one included) a
   * rebalance rewrites when no key of at most MAX_POSITION_LENGTH fits between the neighbours.
   * `others` are the deck's other dos in order; the moved do goes before `others[index]`.
   */
  function placeFor(
    others: Place[],
    index: number,
  ): { position: string } | { window: { place: Place | undefined; position: string }[] } {
    const lo = others[index - 1]?.position ?? "";
    const hi = others[index]?.position;
    if (hi === undefined) {
      // Below the last do: a fresh time key, so the deck's greatest position stays a time key
      // of the past and the next new do still goes last.
      const fresh = nextTimeKey();
      const position = fresh > lo ? fresh : keyBetween(lo, null);
      if (position !== undefined) return { position };
    } else {
      const position = keyBetween(lo, hi);
      if (position !== undefined) return { position };
    }
    // Keys have grown long in this gap (or its neighbours tie): evenly spaced short keys for a
    // window of dos around it, between the window's outer neighbours. A deck that fits the
    // window is rewritten whole, between "" and a fresh time key.
    const sequence: (Place | undefined)[] = [
      ...others.slice(0, index),
      undefined,
      ...others.slice(index),
    ];
    const size = Math.min(sequence.length, REBALANCE_WINDOW);
    const start = Math.max(0, Math.min(index - Math.floor((size - 1) / 2), sequence.length - size));
    const below = sequence[start - 1]?.position ?? "";
    const fresh = nextTimeKey();
    const above = sequence[start + size]?.position ?? (fresh > below ? fresh : null);
    const fits = above === null || below < above;
    const positions = fits ? spread(below, above, size) : [];
    if (!fits || positions.some((position) => position.length > MAX_POSITION_LENGTH))
      throw new AppError("internal_error", "No room for the do at that place.");
    return {
      window: sequence
        .slice(start, start + size)
        .map((place, i) => ({ place, position: positions[i] as string })),
    };
  }

  /** What a write relying on a do's place must find: the do, at the position it had when read. */
  function placeCondition(place: Place): {
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    const names = { "#position": doNames["#position"] };
    // A do without a stored position (written before v1.1) is read at its derived one.
    return typeof place.row.position === "string"
      ? {
          ConditionExpression: "attribute_exists(PK) AND #position = :seen",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ":seen": place.position },
        }
      : {
          ConditionExpression: "attribute_exists(PK) AND attribute_not_exists(#position)",
          ExpressionAttributeNames: names,
        };
  }

  /**
   * A check that a neighbour of the new place is still where it was read: without it, a move
   * racing a move of its anchor, a delete of it or a rebalance around it would land its key
   * somewhere else than directly after the anchor. Nothing is written to the neighbour.
   */
  function stillPlaced(deckId: string, place: Place): TransactItem {
    return {
      ConditionCheck: {
        TableName: table,
        Key: keys.do(deckId, place.doId),
        ...placeCondition(place),
      },
    };
  }

  /** A sibling's new position (a rebalance), conditioned on the position it had when read. */
  function repositioned(deckId: string, place: Place, position: string, at: string): TransactItem {
    const condition = placeCondition(place);
    return {
      Update: {
        TableName: table,
        Key: keys.do(deckId, place.doId),
        UpdateExpression:
          "SET #position = :position, updatedAt = :now, #version = if_not_exists(#version, :one) + :one",
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeNames: {
          ...condition.ExpressionAttributeNames,
          "#version": doNames["#version"],
        },
        ExpressionAttributeValues: {
          ...condition.ExpressionAttributeValues,
          ":position": position,
          ":now": at,
          ":one": 1,
        },
      },
    };
  }

  return {
    /**
     * Dos in list order (position, then doId). Each page reads the deck's whole partition in
     * one Query (the deck first, for the access check) and returns the dos after the cursor's
     * place.
     */
    async list(
      caller: Caller,
      deckId: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Page<Do>> {
      assertIds(deckId);
      const after = query.cursor === undefined ? undefined : cursorAfter(deckId, query.cursor);
      const { deck, dos } = await readDeckInOrder(deckId);
      assertCanRead(deck, caller, policy);
      const rest =
        after === undefined ? dos : dos.filter((place) => comparePlaces(place, after) > 0);
      const page = rest.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((place) => doFromItem(place.row)),
        nextCursor:
          rest.length > query.limit && last
            ? encodeCursor({
                list: listName(deckId),
                key: {
                  PK: keys.deckPartition(deckId),
                  SK: `${keys.doPrefix}${last.position} ${last.doId}`,
                },
              })
            : null,
      };
    },

    async create(
      caller: Caller,
      deckId: string,
      input: { text: string; dueAt?: string | null | undefined },
      options: IdempotencyOptions = {},
    ): Promise<Do> {
      assertIds(deckId);
      const what = { operation: "createDo", target: deckId, input };
      return idempotency.run(caller.sub, options.idempotencyKey, what, (claim) =>
        createOnce(caller, deckId, input, claim),
      );
    },

    /**
     * The deck (for the access check) and the do in one round trip: a strongly consistent
     * BatchGetItem of both keys, so a collaborator removed a moment before is refused.
     */
    async get(caller: Caller, deckId: string, doId: string): Promise<Do> {
      assertIds(deckId, doId);
      const [deck, item] = await batchGetConsistent(store, [
        keys.deck(deckId),
        keys.do(deckId, doId),
      ]);
      assertCanRead(deckFromItem(deck), caller, policy);
      if (item === undefined) throw new AppError("do_not_found");
      return versioned(doFromItem(item), doVersionOf(item));
    },

    /**
     * Revocation-safe: the access check and the write are one transaction ([admits, update]),
     * so a collaborator removed a moment before cannot get a write in. A transaction returns
     * no values, so the do is read first and the update is conditioned on the version read:
     * the response is then exactly the do as written (the read plus this change). A lost race
     * with another writer of the do re-reads and retries; with If-Match it answers 412.
     */
    async update(
      caller: Caller,
      deckId: string,
      doId: string,
      input: DoChanges,
      options: { ifMatch?: Precondition | undefined } = {},
    ): Promise<Do> {
      assertIds(deckId, doId);
      if (input.text === undefined && input.completed === undefined && input.dueAt === undefined)
        throw new AppError("no_updates_provided");
      const { ifMatch } = options;
      const missing = () => new AppError("do_not_found");
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) await conflictPause(attempt - 1);
        const stored = await readDo(deckId, doId);
        if (stored === undefined) {
          // Same shape as a write, so 404 deck_not_found, 403 and 404 do_not_found come out of
          // one admitted check exactly as for a write (a stranger learns nothing).
          const check: TransactItem = {
            ConditionCheck: {
              TableName: table,
              Key: keys.do(deckId, doId),
              ConditionExpression: "attribute_exists(PK)",
            },
          };
          await writeAdmitted(deckId, caller, check, undefined, missing);
          continue;
        }
        const version = doVersionOf(stored);
        if (!satisfies(ifMatch, version)) {
          // The condition cannot hold (versions only grow); 404 and 403 still come first.
          assertCanRead(await read(deckId), caller, policy);
          throw new AppError("precondition_failed");
        }
        const current = doFromItem(stored);
        const next: Do = {
          ...current,
          text: input.text ?? current.text,
          completed: input.completed ?? current.completed,
          dueAt: input.dueAt === undefined ? current.dueAt : dueInstant(input.dueAt),
          updatedAt: now(),
        };
        const pinned = doVersionCondition([version]);
        const outcome = await writeAdmitted(
          deckId,
          caller,
          {
            Update: {
              TableName: table,
              Key: keys.do(deckId, doId),
              UpdateExpression: `SET #text = :text, completed = :completed, updatedAt = :now, #version = :next${
                next.dueAt === null ? " REMOVE #dueAt" : ", #dueAt = :dueAt"
              }`,
              ConditionExpression: pinned.ConditionExpression,
              ExpressionAttributeNames: {
                "#version": doNames["#version"],
                "#text": doNames["#text"],
                "#dueAt": doNames["#dueAt"],
              },
              ExpressionAttributeValues: {
                ...pinned.ExpressionAttributeValues,
                ":text": next.text,
                ":completed": next.completed,
                ":now": next.updatedAt,
                ":next": version + 1,
                ...(next.dueAt === null ? {} : { ":dueAt": next.dueAt }),
              },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          { kind: "do.upserted", doId },
          missing,
          // Changed since the read: with If-Match that is a failed precondition, else retry.
          (old) =>
            Array.isArray(ifMatch) && !satisfies(ifMatch, doVersionOf(old))
              ? new AppError("precondition_failed")
              : "retry",
        );
        if (outcome === "written") return versioned(next, version + 1);
        // Lost a race with another writer of this do. Without If-Match the last write wins:
        // apply the change on top of the do as it now is (no version pin, so hot dos do not
        // thrash), then read it back for the response and its ETag.
        if (!Array.isArray(ifMatch)) return updateOnTop(caller, deckId, doId, input);
      }
    },

    /**
     * Puts the do directly after `after` (null: first). Reads the deck's dos in order (one
     * Query), then writes only the moved do: a key between its new neighbours', its version
     * and updatedAt bumped, in one transaction with the caller's admission and a check that
     * both neighbours are still where they were read, pinned on the version read (If-Match:
     * 412 when that is not the one given). When keys in that gap have grown too long, the same
     * transaction rewrites a window of dos around it instead (each conditioned on the position
     * it had when read). A lost race re-reads and retries.
     */
    async move(
      caller: Caller,
      deckId: string,
      doId: string,
      after: string | null,
      options: { ifMatch?: Precondition | undefined } = {},
    ): Promise<Do> {
      assertIds(deckId, doId);
      if (after === doId)
        throw new AppError("validation_failed", "A do cannot be moved after itself.", {
          errors: [{ path: "after", message: "Must not be the moved do itself" }],
        });
      const { ifMatch } = options;
      const missing = () => new AppError("do_not_found");
      let pinned = true;
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) await conflictPause(attempt - 1);
        const { deck, dos } = await readDeckInOrder(deckId);
        assertCanRead(deck, caller, policy);
        const mover = dos.find((place) => place.doId === doId);
        if (mover === undefined) throw missing();
        const version = doVersionOf(mover.row);
        if (!satisfies(ifMatch, version)) throw new AppError("precondition_failed");
        const others = dos.filter((place) => place !== mover);
        const anchor = after === null ? -1 : others.findIndex((place) => place.doId === after);
        if (after !== null && anchor === -1) throw missing();
        const placed = placeFor(others, anchor + 1);
        const position =
          "position" in placed
            ? placed.position
            : (placed.window.find((entry) => entry.place === undefined)?.position as string);
        const at = now();
        const condition = pinned
          ? doVersionCondition([version])
          : { ConditionExpression: "attribute_exists(PK)", ExpressionAttributeValues: {} };
        const write: TransactItem = {
          Update: {
            TableName: table,
            Key: keys.do(deckId, doId),
            UpdateExpression: `SET #position = :position, updatedAt = :now, #version = ${
              pinned ? ":next" : "if_not_exists(#version, :one) + :one"
            }`,
            ConditionExpression: condition.ConditionExpression,
            ExpressionAttributeNames: {
              "#position": doNames["#position"],
              "#version": doNames["#version"],
            },
            ExpressionAttributeValues: {
              ...condition.ExpressionAttributeValues,
              ":position": position,
              ":now": at,
              ...(pinned ? { ":next": version + 1 } : { ":one": 1 }),
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        };
        const siblings =
          "window" in placed
            ? placed.window.flatMap(({ place, position }) =>
                place === undefined || place.position === position
                  ? []
                  : [repositioned(deckId, place, position, at)],
              )
            : [others[anchor], others[anchor + 1]].flatMap((place) =>
                place === undefined ? [] : [stillPlaced(deckId, place)],
              );
        // For the feed, writeAdmitted stamps every do this transaction writes (the moved one and
        // any sibling a rebalance re-keys) with the change's position: one record says so.
        const moved: ChangeRecord = { kind: "do.upserted", doId };
        let changed = false;
        const outcome = await writeAdmitted(
          deckId,
          caller,
          [write, ...siblings],
          moved,
          missing,
          // Changed since the read: with If-Match that is a failed precondition, else retry.
          (old) => {
            if (Array.isArray(ifMatch) && !satisfies(ifMatch, doVersionOf(old)))
              return new AppError("precondition_failed");
            changed = true;
            return "retry";
          },
        );
        if (outcome === "written") {
          if (pinned)
            return versioned({ ...doFromItem(mover.row), position, updatedAt: at }, version + 1);
          const item = await readDo(deckId, doId);
          if (item === undefined) throw missing();
          return versioned(doFromItem(item), doVersionOf(item));
        }
        // Another writer changed this do since the read. Without If-Match the last move wins,
        // as for a PATCH: the next attempt (from a fresh read, for the neighbours) is no longer
        // pinned on the do's version, and reads the do back for the response and its ETag.
        // Pinning every attempt made 32 concurrent moves of one do answer 12 of them with 503.
        if (changed && !Array.isArray(ifMatch)) pinned = false;
      }
    },

    /**
     * One transaction: admits, then a delete conditioned on existence and, with If-Match, on
     * the version. The do as it was (ALL_OLD) tells 412 from 404 without another read.
     */
    async remove(
      caller: Caller,
      deckId: string,
      doId: string,
      options: { ifMatch?: Precondition | undefined } = {},
    ): Promise<void> {
      assertIds(deckId, doId);
      const { ifMatch } = options;
      const pinned = Array.isArray(ifMatch) ? doVersionCondition(ifMatch) : undefined;
      const write: TransactItem = {
        Delete: {
          TableName: table,
          Key: keys.do(deckId, doId),
          ...(pinned
            ? {
                ConditionExpression: pinned.ConditionExpression,
                ...nonEmpty("ExpressionAttributeNames", pinned.ExpressionAttributeNames),
                ...nonEmpty("ExpressionAttributeValues", pinned.ExpressionAttributeValues),
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              }
            : { ConditionExpression: "attribute_exists(PK)" }),
        },
      };
      for (let attempt = 1; ; attempt++) {
        const outcome = await writeAdmitted(
          deckId,
          caller,
          write,
          { kind: "do.deleted", doId },
          () => new AppError("do_not_found"),
          () => new AppError("precondition_failed"),
        );
        if (outcome === "written") return;
        await conflictPause(attempt);
      }
    },
  };
}

/**
 * A do's put or update, stamped with the position of the change it makes: the feed finds
 * upserts by this stamp (changes.ts). Condition checks and deletes are left as they are.
 */
function stampChange(write: TransactItem, position: number): TransactItem {
  if (write.Put !== undefined && isDoKey(write.Put.Item))
    return { Put: { ...write.Put, Item: { ...write.Put.Item, [changeStamp]: position } } };
  const update = write.Update;
  if (update === undefined || !isDoKey(update.Key)) return write;
  return {
    Update: {
      ...update,
      UpdateExpression: String(update.UpdateExpression).replace(
        /^SET /,
        "SET #changedAt = :changedAt, ",
      ),
      ExpressionAttributeNames: { ...update.ExpressionAttributeNames, "#changedAt": changeStamp },
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ":changedAt": position },
    },
  };
}

const isDoKey = (key: Record<string, unknown> | undefined): boolean =>
  // Stryker disable next-line StringLiteral: defensive, every write here has a key.
  String(key?.SK ?? "").startsWith(keys.doPrefix);

/** How a do write moves its deck's `doCount`: a put adds a do, a delete removes one. */
function countChange(change: ChangeRecord, write: TransactItem): -1 | 0 | 1 {
  if (change.kind === "do.deleted") return -1;
  return write.Put !== undefined ? 1 : 0;
}

/**
 * The key condition of the deck item and its dos, which sort first in the deck's partition
 * ("DECK" < "DO#…" < "FEED#…"): the change feed's items are never read as dos.
 */
export function deckAndDos(deckId: string) {
  return {
    KeyConditionExpression: "PK = :pk AND SK BETWEEN :deck AND :dosEnd",
    ExpressionAttributeValues: {
      ":pk": keys.deckPartition(deckId),
      ":deck": keys.deckSortKey,
      ":dosEnd": keys.dosEnd,
    },
  };
}

/** `{ [name]: map }` when the map has entries: DynamoDB refuses an empty expression map. */
function nonEmpty<K extends string, M extends object>(name: K, map: M): Partial<Record<K, M>> {
  return Object.keys(map).length > 0 ? ({ [name]: map } as Record<K, M>) : {};
}

/**
 * Between retries of a transaction that lost a race (TransactionConflict, or a do changed
 * since it was read). Past the attempts, 503 with Retry-After: nothing was written.
 */
async function conflictPause(attempt: number): Promise<void> {
  if (attempt >= MAX_ATTEMPTS) {
    throw new AppError("service_unavailable", "The deck is changing concurrently; try again.", {
      retryAfter: 1,
    });
  }
  await contentionPause(attempt);
}

/** A due date as stored and returned: the same instant in UTC (`toISOString`), or null. */
function dueInstant(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime()))
    throw new AppError("validation_failed", "The request does not match the schema.", {
      errors: [{ path: "dueAt", message: "Not a valid date-time" }],
    });
  return instant.toISOString();
}
