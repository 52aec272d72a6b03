import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { assertCanRead, usableEmail } from "./access.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { AppError } from "./errors.ts";
import type { Claim, IdempotencyOptions } from "./idempotency.ts";
import { isItemId, isLegacyId } from "./ids.ts";
import {
  deckFromItem,
  doFromItem,
  doItem,
  doNames,
  doVersionCondition,
  doVersionOf,
  keyOf,
} from "./items.ts";
import { type Key, keys } from "./keys.ts";
import type { Caller, Deck, Do, Page } from "./model.ts";
import { type ServiceOptions, serviceContext } from "./service-context.ts";
import {
  cancellationReasons,
  mapAwsError,
  queryPages,
  send,
  type TransactItem,
  transact,
} from "./store.ts";
import { timestampOrderKey } from "./timestamps.ts";
import { type Precondition, satisfies, versioned } from "./versions.ts";

/** Optimistic retries of a do update that lost a race with another writer of the same do. */
const MAX_ATTEMPTS = 8;

/** The fields a PATCH of a do may change. */
export type DoChanges = {
  text?: string | undefined;
  completed?: boolean | undefined;
  /** null clears the due date; undefined leaves it. */
  dueAt?: string | null | undefined;
};

export type DoService = ReturnType<typeof createDoService>;

export function createDoService(options: ServiceOptions) {
  const { store, policy, table, now, newId, read, idempotency } = serviceContext(options);

  /**
   * A condition check that admits the caller to the deck inside a write transaction, so the
   * check and the write are one atomic step: a do cannot land in a deck that was deleted or
   * unshared a moment before. On failure DynamoDB returns the deck as it was, which tells
   * 404 from 403 without another read.
   */
  function admits(deckId: string, caller: Caller): TransactItem {
    const email = usableEmail(caller, policy);
    return {
      ConditionCheck: {
        TableName: table,
        Key: keys.deck(deckId),
        ConditionExpression: `attribute_exists(PK) AND attribute_not_exists(deleting) AND (ownerSub = :sub${
          email === undefined ? "" : " OR contains(collaborators, :email)"
        })`,
        ExpressionAttributeValues: {
          ":sub": caller.sub,
          ...(email === undefined ? {} : { ":email": email }),
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /**
   * Runs [admits, write]; maps a refusal to the contract by the position that failed. A
   * refused write is `missing()` unless `refused` explains it from the item as it was (the write
   * asks for ALL_OLD). Returns "conflict" when the transaction lost a race and may be retried.
   */
  async function writeAdmitted(
    deckId: string,
    caller: Caller,
    write: TransactItem,
    /** Built only on failure: an Error captures a stack trace, which every write would pay. */
    missing: () => AppError,
    refused?: (item: Record<string, unknown>) => AppError | "retry",
    /** An Idempotency-Key's record for the same transaction (position 2). */
    claim?: { item: TransactItem; check: Claim["check"] },
  ): Promise<"written" | "retry"> {
    const items = [admits(deckId, caller), write, ...(claim ? [claim.item] : [])];
    try {
      await transact(store, items);
      return "written";
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw mapAwsError(error);
      claim?.check(items, reasons);
      if (reasons[0]?.Code === "ConditionalCheckFailed") {
        assertCanRead(deckFromItem(reasons[0].Item), caller, policy);
        throw new AppError("deck_not_found");
      }
      if (reasons[1]?.Code === "ConditionalCheckFailed") {
        const old = reasons[1].Item;
        if (old === undefined || refused === undefined) throw missing();
        const outcome = refused(old);
        if (outcome === "retry") return "retry";
        throw outcome;
      }
      // Another transaction held one of the items (TransactionConflict): nothing was written.
      if (reasons.some((reason) => reason.Code === "TransactionConflict")) return "retry";
      throw mapAwsError(error);
    }
  }

  /** The do's item, read strongly consistent; undefined when it does not exist. */
  async function readDo(deckId: string, doId: string) {
    const out = await send(() =>
      store.client.send(
        new GetCommand({ TableName: table, Key: keys.do(deckId, doId), ConsistentRead: true }),
      ),
    );
    // Any item under a do's key is a do: the old service's dos, kept by the migration, have no
    // `type` attribute.
    return out.Item;
  }

  /** Every item of a deck's partition (the deck first, then its dos in key order). */
  async function readPartition(deckId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const page of queryPages(store, {
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": keys.deckPartition(deckId) },
    }))
      items.push(...page);
    return items;
  }

  /**
   * A deck the old service created keys its dos by random UUIDs, so key order is not creation
   * order. Its dos are read whole and ordered by creation time, to the microsecond the old
   * service stored, then by key (the old API's order); the cursor carries that position, so a
   * do created, edited or deleted between two pages makes the next one neither skip nor repeat
   * a do. Each page reads the whole partition: the old API returned every do at once anyway.
   */
  async function listInCreationOrder(
    caller: Caller,
    deckId: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Do>> {
    const partition = keys.deckPartition(deckId);
    const list = `dos-by-creation|${deckId}`;
    const after =
      query.cursor === undefined
        ? undefined
        : decodeCursor(query.cursor, {
            list,
            partitions: [partition],
            sortKeyPrefix: keys.doPrefix,
          }).key.SK.slice(keys.doPrefix.length);
    const [first, ...rest] = await readPartition(deckId);
    assertCanRead(first?.SK === keys.deckSortKey ? deckFromItem(first) : undefined, caller, policy);
    const ordered = rest
      .map((row) => ({ row, position: `${timestampOrderKey(String(row.createdAt))} ${row.SK}` }))
      .filter((entry) => after === undefined || entry.position > after)
      .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    const page = ordered.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((entry) => doFromItem(entry.row)),
      nextCursor:
        ordered.length > query.limit && last
          ? encodeCursor({ list, key: { PK: partition, SK: `${keys.doPrefix}${last.position}` } })
          : null,
    };
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
      if ((await writeAdmitted(deckId, caller, put, clash, undefined, record)) === "written") break;
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
      const outcome = await writeAdmitted(
        deckId,
        caller,
        write,
        () => new AppError("do_not_found"),
      );
      if (outcome === "written") break;
      await conflictPause(attempt);
    }
    const item = await readDo(deckId, doId);
    if (item === undefined) throw new AppError("do_not_found");
    return versioned(doFromItem(item), doVersionOf(item));
  }

  return {
    /**
     * The deck and its dos share a partition and "DECK" sorts before "DO#", so the first page
     * is one Query that returns the deck (for the access check) followed by its first dos.
     * Later pages start after a do, so they read the deck alongside, in parallel.
     */
    async list(
      caller: Caller,
      deckId: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Page<Do>> {
      assertIds(deckId);
      if (isLegacyId(deckId)) return listInCreationOrder(caller, deckId, query);
      const partition = keys.deckPartition(deckId);
      let deck: Deck | undefined;
      let rows: Record<string, unknown>[];
      if (query.cursor === undefined) {
        const out = await send(() =>
          store.client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "PK = :pk",
              ExpressionAttributeValues: { ":pk": partition },
              Limit: query.limit + 2,
              ConsistentRead: true,
            }),
          ),
        );
        const [first, ...rest] = out.Items ?? [];
        deck = first?.SK === keys.deckSortKey ? deckFromItem(first) : undefined;
        rows = rest;
      } else {
        const state = decodeCursor(query.cursor, {
          list: `dos|${deckId}`,
          partitions: [partition],
          sortKeyPrefix: keys.doPrefix,
        });
        const [deckOut, out] = await Promise.all([
          read(deckId),
          send(() =>
            store.client.send(
              new QueryCommand({
                TableName: table,
                KeyConditionExpression: "PK = :pk AND begins_with(SK, :do)",
                ExpressionAttributeValues: { ":pk": partition, ":do": keys.doPrefix },
                ExclusiveStartKey: state.key,
                Limit: query.limit + 1,
                ConsistentRead: true,
              }),
            ),
          ),
        ]);
        deck = deckOut;
        rows = out.Items ?? [];
      }
      assertCanRead(deck, caller, policy);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(doFromItem),
        nextCursor:
          rows.length > query.limit && last
            ? encodeCursor({ list: `dos|${deckId}`, key: keyOf(last) as Key })
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

    /** The deck (for the access check) and the do, read in parallel. */
    async get(caller: Caller, deckId: string, doId: string): Promise<Do> {
      assertIds(deckId, doId);
      const [deck, item] = await Promise.all([read(deckId), readDo(deckId, doId)]);
      assertCanRead(deck, caller, policy);
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
          await writeAdmitted(deckId, caller, check, missing);
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
              ExpressionAttributeNames: { ...doNames },
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
                ExpressionAttributeNames: { "#version": doNames["#version"] },
                ...(Object.keys(pinned.ExpressionAttributeValues).length > 0
                  ? { ExpressionAttributeValues: pinned.ExpressionAttributeValues }
                  : {}),
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
 * Between retries of a transaction that lost a race (TransactionConflict, or a do changed
 * since it was read): jittered and short, as contention on one do is brief. Past the
 * attempts, 503 with Retry-After: nothing was written.
 */
async function conflictPause(attempt: number): Promise<void> {
  if (attempt >= MAX_ATTEMPTS) {
    throw new AppError("service_unavailable", "The deck is changing concurrently; try again.", {
      retryAfter: 1,
    });
  }
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt));
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
