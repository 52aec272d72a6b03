import { defaultTableName, tableDefinition } from "../packages/core/src/table-definition.ts";
import type { StagePolicy } from "./stage.ts";

/**
 * The DynamoDB actions the app uses. Transactions need no action of their own: IAM checks
 * each item action inside a TransactWriteItems (Put/Update/Delete/ConditionCheckItem).
 * `sst.aws.Dynamo`'s own link grants `dynamodb:*`, which is why we link a Linkable instead.
 */
export const tableActions = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
] as const;

/** DynamoDB Local as started by `npm run db:local` (the DevCommand below). */
export const localDynamo = { endpoint: "http://localhost:8000", tableName: defaultTableName };

export interface TableHandle {
  /** What compute links: always named `DoDeckTable`, cloud or local. */
  link: sst.Linkable<Record<string, unknown>>;
  name: $util.Input<string>;
  /** Set only under `sst dev`: the app talks to DynamoDB Local. */
  endpoint?: string;
  /** The cloud table, absent under `sst dev`. */
  table?: sst.aws.Dynamo;
}

export function createTable(policy: StagePolicy): TableHandle {
  if ($dev) {
    // `sst.aws.Dynamo` has no local mode; `sst dev` starts DynamoDB Local instead, so a
    // developer needs no cloud table and cannot touch a shared one by accident.
    new sst.x.DevCommand("DynamoDBLocal", {
      dev: { title: "DynamoDB Local", command: "npm run db:local", autostart: true },
      environment: {
        DYNAMODB_ENDPOINT_URL: localDynamo.endpoint,
        TABLE_NAME: localDynamo.tableName,
      },
    });
    const link = new sst.Linkable("DoDeckTable", {
      properties: { name: localDynamo.tableName, endpoint: localDynamo.endpoint },
    });
    return { link, name: localDynamo.tableName, endpoint: localDynamo.endpoint };
  }

  // Named "DoDeck" so the physical table reads dodeck-<stage>-DoDeckTable-<suffix>; the
  // link keeps the contract name `DoDeckTable` (SST refuses two top-level components with
  // one name).
  const table = new sst.aws.Dynamo("DoDeck", {
    fields: { ...tableDefinition.attributes },
    primaryIndex: { hashKey: tableDefinition.partitionKey, rangeKey: tableDefinition.sortKey },
    // Idempotency-Key records expire after 24 h, change-feed items an hour past their retention
    // (the same attribute db:setup enables).
    ttl: tableDefinition.timeToLiveAttribute,
    deletionProtection: policy.table.deletionProtection,
    transform: {
      table: (args) => {
        args.billingMode = tableDefinition.billingMode;
        args.pointInTimeRecovery = { enabled: policy.table.pointInTimeRecovery };
      },
    },
  });
  const link = new sst.Linkable("DoDeckTable", {
    properties: { name: table.name, arn: table.arn },
    include: [sst.aws.permission({ actions: [...tableActions], resources: [table.arn] })],
  });
  return { link, name: table.name, table };
}
