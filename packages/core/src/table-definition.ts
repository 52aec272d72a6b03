/**
 * The one definition of DoDeck's table. `npm run db:setup` creates it locally and
 * `stacks/table.ts` deploys it, so the local and the cloud table cannot drift.
 */
export const tableDefinition = {
  partitionKey: "PK",
  sortKey: "SK",
  attributes: { PK: "string", SK: "string" },
  billingMode: "PAY_PER_REQUEST",
  /**
   * DynamoDB deletes items whose `expiresAt` (epoch seconds) has passed: Idempotency-Key
   * records (24 h) and change-feed items (an hour past their retention, changes.ts). Deletion
   * is lazy (up to days late), so readers also check the time.
   */
  timeToLiveAttribute: "expiresAt",
} as const;

export const defaultTableName = "DoDeck";
