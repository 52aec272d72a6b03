import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { QueryCommand, type QueryCommandOutput, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { assertCanRead, usableEmail } from "./access.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { AppError } from "./errors.ts";
import { isItemId, isLegacyId } from "./ids.ts";
import { deckFromItem, doFromItem, doItem, keyOf } from "./items.ts";
import { type Key, keys } from "./keys.ts";
import type { Caller, Deck, Do, Page } from "./model.ts";
import { type ServiceOptions, serviceContext } from "./service-context.ts";
import { cancellationReasons, mapAwsError, send, type TransactItem, transact } from "./store.ts";
import { timestampOrderKey } from "./timestamps.ts";

export type DoService = ReturnType<typeof createDoService>;

export function createDoService(options: ServiceOptions) {
  const { store, policy, table, now, newId, read } = serviceContext(options);

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

  /** Runs [admits, write]; maps a refusal to the contract by the position that failed. */
  async function writeAdmitted(
    deckId: string,
    caller: Caller,
    write: TransactItem,
    missing: AppError,
  ) {
    try {
      await transact(store, [admits(deckId, caller), write]);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0]?.Code === "ConditionalCheckFailed") {
        assertCanRead(deckFromItem(reasons[0].Item), caller, policy);
        throw new AppError("deck_not_found");
      }
      if (reasons?.[1]?.Code === "ConditionalCheckFailed") throw missing;
      throw mapAwsError(error);
    }
  }

  /** Every item of a deck's partition (the deck first, then its dos in key order). */
  async function readPartition(deckId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await send(() =>
        store.client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "PK = :pk",
            ExpressionAttributeValues: { ":pk": keys.deckPartition(deckId) },
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
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

    async create(caller: Caller, deckId: string, input: { text: string }): Promise<Do> {
      assertIds(deckId);
      const at = now();
      const created: Do = {
        doId: newId(),
        deckId,
        text: input.text,
        completed: false,
        createdAt: at,
        updatedAt: at,
      };
      await writeAdmitted(
        deckId,
        caller,
        {
          Put: {
            TableName: table,
            Item: doItem(created),
            ConditionExpression: "attribute_not_exists(PK)",
          },
        },
        new AppError("internal_error", "Generated a do id that already exists."),
      );
      return created;
    },

    /**
     * Access check, then one conditional update that returns the new item. The condition
     * means a do deleted meanwhile answers 404 instead of being recreated half-empty.
     */
    async update(
      caller: Caller,
      deckId: string,
      doId: string,
      input: { text?: string | undefined; completed?: boolean | undefined },
    ): Promise<Do> {
      assertIds(deckId, doId);
      if (input.text === undefined && input.completed === undefined)
        throw new AppError("no_updates_provided");
      assertCanRead(await read(deckId), caller, policy);
      const sets = ["updatedAt = :now"];
      const values: Record<string, unknown> = { ":now": now() };
      if (input.text !== undefined) {
        sets.push("#text = :text");
        values[":text"] = input.text;
      }
      if (input.completed !== undefined) {
        sets.push("completed = :completed");
        values[":completed"] = input.completed;
      }
      try {
        const out = await store.client.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.do(deckId, doId),
            UpdateExpression: `SET ${sets.join(", ")}`,
            ConditionExpression: "attribute_exists(PK)",
            ...(input.text !== undefined ? { ExpressionAttributeNames: { "#text": "text" } } : {}),
            ExpressionAttributeValues: values,
            ReturnValues: "ALL_NEW",
          }),
        );
        return doFromItem(out.Attributes ?? {});
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new AppError("do_not_found");
        throw mapAwsError(error);
      }
    },

    async remove(caller: Caller, deckId: string, doId: string): Promise<void> {
      assertIds(deckId, doId);
      await writeAdmitted(
        deckId,
        caller,
        {
          Delete: {
            TableName: table,
            Key: keys.do(deckId, doId),
            ConditionExpression: "attribute_exists(PK)",
          },
        },
        new AppError("do_not_found"),
      );
    },
  };
}
