import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import { keys } from "./keys.ts";
import {
  type Change,
  type ChangeKind,
  type Item,
  planMigration,
  snapshotOf,
  type Verification,
  verifyTable,
} from "./migration-plan.ts";
import { cancellationReasons, type Store, transact } from "./store.ts";

export * from "./migration-plan.ts";

export type MigrationOptions = {
  /** Report what would change and write nothing. */
  dryRun?: boolean;
  /** Upper bound on items written per second, across all transactions (Infinity: none). */
  maxWritesPerSecond?: number;
  /** Re-scan and re-plan at most this often when live writers raced a change. */
  maxRounds?: number;
  /** Progress lines for the operator. */
  log?: (line: string) => void;
  /** The write rate's clock: real time unless a test brings a virtual one. */
  clock?: ThrottleClock;
};

/** Time as the write throttle reads and spends it. */
export type ThrottleClock = { now: () => number; sleep: (ms: number) => Promise<void> };

const realTime: ThrottleClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type MigrationReport = {
  dryRun: boolean;
  scanned: number;
  planned: Partial<Record<ChangeKind, number>>;
  applied: Partial<Record<ChangeKind, number>>;
  transactions: number;
  writes: number;
  /** Changes skipped because a live writer changed their deck meanwhile (re-planned next round). */
  raced: number;
  rounds: number;
  verification: Verification;
};

/**
 * Migrates the whole table in place: scan, plan, apply, and repeat while a round raced a live
 * writer (every change is conditional, so a race cancels the change instead of losing the
 * user's write); then a final scan verifies every invariant. Idempotent: a migrated table plans
 * nothing. Resumable: each change is self-contained and ordered so a rerun finishes the job.
 */
export async function migrateTable(
  store: Store,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const log = options.log ?? (() => {});
  const throttle = writeThrottle(options.maxWritesPerSecond ?? 100, options.clock);
  const report: MigrationReport = {
    dryRun: options.dryRun === true,
    scanned: 0,
    planned: {},
    applied: {},
    transactions: 0,
    writes: 0,
    raced: 0,
    rounds: 0,
    verification: verifyTable(snapshotOf([])),
  };
  const maxRounds = options.maxRounds ?? 5;
  for (let round = 1; round <= maxRounds; round++) {
    const items = await scanTable(store);
    const snapshot = snapshotOf(items);
    const changes = planMigration(snapshot, store.tableName);
    if (round === 1) {
      report.scanned = items.length;
      report.planned = sumTallies(changes);
      log(`scanned ${items.length} items; ${changes.length} transactions planned`);
    }
    if (changes.length === 0 || report.dryRun) {
      report.verification = verifyTable(snapshot);
      return report;
    }
    report.rounds = round;
    let raced = 0;
    for (const change of changes) {
      await throttle(change.actions.filter((action) => !action.ConditionCheck).length);
      if (await applyChange(store, change)) {
        report.transactions++;
        report.writes += change.actions.filter((action) => !action.ConditionCheck).length;
        addTally(report.applied, change.tally);
      } else {
        raced++;
      }
    }
    report.raced += raced;
    log(`round ${round}: ${changes.length - raced} applied, ${raced} raced a live writer`);
  }
  report.verification = verifyTable(snapshotOf(await scanTable(store)));
  return report;
}

/** Applies one change; false when its guard failed because the deck changed meanwhile. */
export async function applyChange(store: Store, change: Change): Promise<boolean> {
  try {
    await transact(store, change.actions);
    return true;
  } catch (error) {
    const reasons = cancellationReasons(error);
    // A live writer changed an item the change was planned on, or held it at that moment:
    // either way nothing was written and the next round re-plans from a fresh scan.
    if (
      reasons?.some(
        (reason) =>
          reason.Code === "ConditionalCheckFailed" || reason.Code === "TransactionConflict",
      )
    )
      return false;
    throw error;
  }
}

/** Every item, strongly consistent, page by page. */
export async function scanTable(store: Store): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out: ScanCommandOutput = await store.client.send(
      new ScanCommand({
        TableName: store.tableName,
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/**
 * Copies every item of `source` (the old service's table) into `target` (DoDeck's stage
 * table) as it is, for `migrateTable` to convert there: the old table stays untouched, so
 * rolling back before traffic moves is just resuming the old service. An item already in the
 * target is never overwritten, so a rerun after an interruption, or after DoDeck has started
 * writing, loses nothing. Once a copy has been migrated and verified, `markCopied` records it
 * and a second copy is refused: it would bring back every item users deleted since.
 * Returns how many items were copied and how many were already there.
 */
export async function copyTable(
  source: Store,
  target: Store,
  options: Pick<MigrationOptions, "maxWritesPerSecond" | "dryRun" | "clock"> = {},
): Promise<{ scanned: number; copied: number; present: number }> {
  const throttle = writeThrottle(options.maxWritesPerSecond ?? 100, options.clock);
  const marker = await target.client.send(
    new GetCommand({
      TableName: target.tableName,
      Key: keys.copiedFrom(source.tableName),
      ConsistentRead: true,
    }),
  );
  if (marker.Item !== undefined) {
    throw new CopyRefused(
      `${target.tableName} already holds a verified copy of ${source.tableName} (made ${String(marker.Item.at)}); copying again would bring back what users deleted since. Run without --from-table to check or finish the migration in place.`,
    );
  }
  const items = await scanTable(source);
  const result = { scanned: items.length, copied: 0, present: 0 };
  if (options.dryRun) return result;
  for (const item of items) {
    await throttle(1);
    try {
      await target.client.send(
        new PutCommand({
          TableName: target.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
      result.copied++;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      result.present++;
    }
  }
  return result;
}

export class CopyRefused extends Error {
  override name = "CopyRefused";
}

/** Records that `target` holds a migrated, verified copy of `sourceTable`. */
export async function markCopied(target: Store, sourceTable: string, at: string): Promise<void> {
  await target.client.send(
    new PutCommand({ TableName: target.tableName, Item: { ...keys.copiedFrom(sourceTable), at } }),
  );
}

/** Verification alone, for `npm run migrate -- --verify-only` and the tests. */
export async function verifyStoredTable(store: Store): Promise<Verification> {
  return verifyTable(snapshotOf(await scanTable(store)));
}

/** Waits so that writes never exceed `perSecond` on average (a token bucket of one second). */
function writeThrottle(
  perSecond: number,
  clock: ThrottleClock = realTime,
): (writes: number) => Promise<void> {
  if (!(perSecond > 0)) throw new Error("the write rate must be a positive number");
  let available = perSecond;
  let last = clock.now();
  return async (writes) => {
    for (;;) {
      const now = clock.now();
      // Only time that passed refills the bucket: at an Infinity rate, a clock that stood still
      // (two writes in one millisecond) or stepped back would make it NaN and wait forever.
      if (now > last)
        available = Math.min(perSecond, available + ((now - last) / 1000) * perSecond);
      last = now;
      // A transaction is never split: one larger than the bucket waits for a full bucket and
      // leaves it in debt, so the average rate still holds.
      const needed = Math.min(writes, perSecond);
      if (available >= needed) {
        available -= writes;
        return;
      }
      const seconds = (needed - available) / perSecond;
      // Stryker disable next-line ArithmeticOperator: equivalent, a shorter sleep only wakes the loop sooner to find the bucket still short; no write starts earlier.
      await clock.sleep(seconds * 1000);
    }
  };
}

function sumTallies(changes: Change[]): Partial<Record<ChangeKind, number>> {
  const total: Partial<Record<ChangeKind, number>> = {};
  for (const change of changes) addTally(total, change.tally);
  return total;
}

function addTally(
  total: Partial<Record<ChangeKind, number>>,
  tally: Partial<Record<ChangeKind, number>>,
): void {
  for (const [kind, count] of Object.entries(tally) as [ChangeKind, number][])
    total[kind] = (total[kind] ?? 0) + count;
}
