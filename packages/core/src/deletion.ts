import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { contentionPause } from "./backoff.ts";
import { planDeleteFinish } from "./deck-plans.ts";
import { AppError } from "./errors.ts";
import { keyOf } from "./items.ts";
import { type Key, keys } from "./keys.ts";
import {
  cancellationReasons,
  mapAwsError,
  queryPages,
  type Store,
  send,
  transact,
} from "./store.ts";

const PURGE_PAGE = 100;
const BATCH_SIZE = 25;
const MAX_BATCH_RETRIES = 8;
const MAX_FINISH_ATTEMPTS = 8;

/**
 * The second phase of a delete (the first is `planDeleteMark`): remove a marked deck's dos and
 * change items in batches, then the deck item with its pending-deletion entry. Every step is an unconditional
 * delete of what is there or a delete guarded by the mark, so it is idempotent: the owner's
 * retried DELETE and the sweeper may run it at the same time on the same deck, and whichever
 * is interrupted leaves a state the other (or the next sweep) finishes.
 */
export async function purgeDeck(store: Store, deckId: string): Promise<void> {
  // Every item after the deck's own: its dos, then its change feed (no write can add to
  // either once the deck is marked).
  for await (const page of queryPages(store, {
    KeyConditionExpression: "PK = :pk AND SK > :deck",
    ExpressionAttributeValues: { ":pk": keys.deckPartition(deckId), ":deck": keys.deckSortKey },
    ProjectionExpression: "PK, SK",
    Limit: PURGE_PAGE,
  })) {
    const doKeys = page.map(keyOf);
    // Stryker disable next-line EqualityOperator: one more pass would send an empty batch, which batchDelete skips.
    for (let i = 0; i < doKeys.length; i += BATCH_SIZE)
      await batchDelete(store, doKeys.slice(i, i + BATCH_SIZE));
  }
  // The deck item goes last, with its entry, in a transaction of its own: in a shared batch
  // DynamoDB may delete the deck and return dos unprocessed, and a deck gone first could leave
  // dos nobody finds.
  await finish(store, deckId);
}

async function finish(store: Store, deckId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await transact(store, planDeleteFinish(store.tableName, deckId).TransactItems);
      return;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw mapAwsError(error);
      // Only a deck that is not marked fails the condition: never delete it (ids are never
      // reused, so this means an entry written by hand or a bug, not a race).
      if (reasons[0]?.Code === "ConditionalCheckFailed")
        throw new Error(`deck ${deckId} has a pending-deletion entry but is not being deleted`);
      // A concurrent purge of the same deck finishing at the same instant: try again.
      if (attempt >= MAX_FINISH_ATTEMPTS) throw unavailable(error);
      await contentionPause(attempt);
    }
  }
}

async function batchDelete(store: Store, batch: Key[]): Promise<void> {
  const table = store.tableName;
  let requests = batch.map((key) => ({ DeleteRequest: { Key: key } }));
  for (let attempt = 1; requests.length > 0; attempt++) {
    if (attempt > MAX_BATCH_RETRIES) throw unavailable();
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the pause only spaces the tries out; their number is tested.
    if (attempt > 1) await contentionPause(attempt);
    const out = await send(() =>
      store.client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } })),
    );
    requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}

const unavailable = (cause?: unknown) =>
  new AppError(
    "service_unavailable",
    "The deck could not be fully deleted yet; retry the delete.",
    { retryAfter: 1, cause },
  );
