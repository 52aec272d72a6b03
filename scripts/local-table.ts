import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { defaultTableName, ensureTable } from "@dodeck/core";

/**
 * The table an operator command (db:setup, migrate) works on, from the environment the README
 * documents: TABLE_NAME, AWS_REGION and DYNAMODB_ENDPOINT_URL (unset or empty: AWS itself, with
 * the SDK's usual credential chain).
 */
export function tableFromEnv(env: Record<string, string | undefined>, maxAttempts = 3) {
  const endpoint = env.DYNAMODB_ENDPOINT_URL;
  const region = env.AWS_REGION || "us-east-1";
  const client = new DynamoDBClient({
    region,
    maxAttempts,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  });
  return {
    client,
    tableName: env.TABLE_NAME || defaultTableName,
    where: endpoint || `AWS ${region}`,
  };
}

/** Creates the table at DYNAMODB_ENDPOINT_URL (or AWS) named TABLE_NAME; safe to repeat. */
export async function setupTable(env: Record<string, string | undefined>): Promise<string> {
  const { client, tableName, where } = tableFromEnv(env);
  try {
    const created = await ensureTable(client, tableName);
    return `table ${tableName} ${created ? "created" : "already exists"} at ${where}`;
  } finally {
    client.destroy();
  }
}
