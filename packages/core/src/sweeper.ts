import { purgeDeck } from "./deletion.ts";
import { pendingDeletionAttributes, pendingDeletionFromItem } from "./items.ts";
import { keys } from "./keys.ts";
import { readDeck } from "./service-context.ts";
import { queryPages, type Store } from "./store.ts";

/**
 * A delete younger than this may still be running in the owner's request (a 4,000-do deck
 * takes a few seconds); older ones were interrupted. Finishing a running one would be safe
 * too (the purge is idempotent), only wasted work.
 */
export const defaultSweepAge = 5 * 60_000;

export type SweepOptions = {
  /** Finish deletes marked at least this long ago (milliseconds). */
  olderThanMs?: number;
  now?: () => Date;
  /** Start no new deck after this instant (the scheduled function's own deadline). */
  stopAt?: number;
  log?: (line: string) => void;
};

export type SweepReport = {
  /** Pending deletions old enough to finish. */
  found: number;
  finished: string[];
  /** Left for the next run because the time budget ran out. */
  deferred: string[];
  failed: { deckId: string; error: string }[];
};

/**
 * Finishes every deck delete that was interrupted: reads the pending-deletion partition (one
 * Query per page, never a table scan) and purges each deck marked long enough ago. Safe to
 * run twice at once, or beside the owner's retried DELETE: purging is idempotent. A deck that
 * fails is reported and the others still go; the caller turns failures into an exit code or a
 * failed invocation, which is what the alarm watches.
 */
export async function sweepDeletions(
  store: Store,
  options: SweepOptions = {},
): Promise<SweepReport> {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const cutoff = new Date(now().getTime() - (options.olderThanMs ?? defaultSweepAge)).toISOString();
  const report: SweepReport = { found: 0, finished: [], deferred: [], failed: [] };
  for await (const deckId of pendingDeletions(store, cutoff)) {
    report.found++;
    if (options.stopAt !== undefined && Date.now() >= options.stopAt) {
      report.deferred.push(deckId);
      continue;
    }
    try {
      const deck = await readDeck(store, deckId);
      // The entry and the mark are written together and removed together, and ids are never
      // reused: a live deck here is a fault to report, never something to delete.
      if (deck !== undefined && !deck.deleting)
        throw new Error("the deck is not marked deleting; left alone");
      await purgeDeck(store, deckId);
      report.finished.push(deckId);
      log(`finished deleting deck ${deckId}`);
    } catch (error) {
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      report.failed.push({ deckId, error: message });
      log(`could not finish deleting deck ${deckId}: ${message}`);
    }
  }
  return report;
}

async function* pendingDeletions(store: Store, cutoff: string): AsyncGenerator<string> {
  for await (const page of queryPages(store, {
    KeyConditionExpression: "PK = :pk",
    FilterExpression: "#markedAt <= :cutoff",
    ExpressionAttributeNames: { "#markedAt": pendingDeletionAttributes.markedAt },
    ExpressionAttributeValues: { ":pk": keys.pendingDeletionPartition, ":cutoff": cutoff },
  })) {
    for (const item of page) yield pendingDeletionFromItem(item).deckId;
  }
}
