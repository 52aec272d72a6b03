// Pure (no SST globals), so the resource-graph tests import the same values the program uses.

/**
 * How often interrupted deck deletes are finished. The sweeper leaves deletes younger than
 * five minutes to the request running them (packages/core/src/sweeper.ts), so a delete cut
 * short is finished within about 20 minutes.
 */
export const sweepSchedule = "rate(15 minutes)";

/**
 * What purging a deck sends: reading the sweeper's partition, the deck and its dos, batch
 * deletes of dos, and the final transaction's two deletes (IAM checks each action of a
 * TransactWriteItems). Nothing else: the sweeper cannot put or update anything.
 */
export const sweeperTableActions = [
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:BatchWriteItem",
  "dynamodb:DeleteItem",
] as const;
