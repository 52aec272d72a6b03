import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { defaultTableName, ensureTable } from "@dodeck/core";

/** Creates the table at DYNAMODB_ENDPOINT_URL (or AWS) named TABLE_NAME; safe to repeat. */
export async function setupTable(env: Record<string, string | undefined>): Promise<string> {
  const endpoint = env.DYNAMODB_ENDPOINT_URL;
  const tableName = env.TABLE_NAME || defaultTableName;
  const client = new DynamoDBClient({
    region: env.AWS_REGION || "us-east-1",
    maxAttempts: 3,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  });
  try {
    const created = await ensureTable(client, tableName);
    return `table ${tableName} ${created ? "created" : "already exists"} at ${endpoint ?? `AWS ${env.AWS_REGION ?? ""}`}`;
  } finally {
    client.destroy();
  }
}
