import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "./table-definition.ts";

/** Creates the table when it is missing; returns whether it did. Safe to run again. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: tableDefinition.billingMode,
        AttributeDefinitions: [
          { AttributeName: tableDefinition.partitionKey, AttributeType: "S" },
          { AttributeName: tableDefinition.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey, KeyType: "HASH" },
          { AttributeName: tableDefinition.sortKey, KeyType: "RANGE" },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException) {
      await ensureTimeToLive(client, tableName);
      return false;
    }
    throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  await ensureTimeToLive(client, tableName);
  return true;
}

/** Turns on TTL on `expiresAt` unless it is on (enabling it twice is an error in DynamoDB). */
async function ensureTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  const out = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = out.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === "ENABLED" || status === "ENABLING") return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: {
        AttributeName: tableDefinition.timeToLiveAttribute,
        Enabled: true,
      },
    }),
  );
}
