/**
 * The one definition of DoDeck's table. `npm run db:setup` creates it locally and
 * `stacks/table.ts` deploys it, so the local and the cloud table cannot drift.
 */
export const tableDefinition = {
  partitionKey: "PK",
  sortKey: "SK",
  attributes: { PK: "string", SK: "string" },
  billingMode: "PAY_PER_REQUEST",
} as const;

export const defaultTableName = "DoDeck";
