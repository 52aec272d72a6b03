import { createDynamoClient, createLogger } from "@dodeck/api";
import { defaultTableName, type SweepReport, sweepDeletions } from "@dodeck/core";

type Context = { getRemainingTimeInMillis: () => number };

/** Time kept back from the function's timeout: a deck being purged finishes, none starts. */
const RESERVE_MS = 60_000;

/**
 * The scheduled sweeper (stacks/sweeper.ts runs it from an `sst.aws.Cron`): finishes deck
 * deletes that were interrupted. It needs only the table, not the Auth0 settings, so it reads
 * its three variables itself instead of the API's config. Any deck it cannot finish makes the
 * invocation fail: the function's Errors metric is what the sweeper's alarm watches, and the
 * next run retries (every step is idempotent).
 */
export function createSweeperHandler(env: Record<string, string | undefined> = process.env) {
  const log = createLogger("info");
  const store = {
    client: createDynamoClient({
      region: env.AWS_REGION || "us-east-1",
      dynamoEndpoint: env.DYNAMODB_ENDPOINT_URL || undefined,
    }),
    tableName: env.TABLE_NAME || defaultTableName,
  };
  return async (_event: unknown, context?: Context): Promise<Omit<SweepReport, "failed">> => {
    const remaining = context?.getRemainingTimeInMillis() ?? 15 * 60_000;
    const report = await sweepDeletions(store, {
      stopAt: Date.now() + remaining - RESERVE_MS,
      log: (line) => log("info", line),
    });
    const summary = {
      found: report.found,
      finished: report.finished,
      deferred: report.deferred,
    };
    if (report.failed.length > 0) {
      log("error", "sweeper: some interrupted deletes could not be finished", {
        ...summary,
        failed: report.failed,
      });
      throw new Error(`${report.failed.length} interrupted deletes could not be finished`);
    }
    log("info", "sweeper: done", summary);
    return summary;
  };
}

export const handler = createSweeperHandler();
