import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Store } from "@dodeck/core";
import { ensureTable } from "@dodeck/core";
import { scanTable } from "@dodeck/core/migration";
import { inject } from "vitest";

/** Counts the DynamoDB operations sent through a client, by command name. */
export type CallCounter = { calls: string[]; reset: () => void; count: () => number };

export function endpoint(): string {
  return inject("dynamoEndpoint");
}

export function createDynamoClient(url = endpoint()): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  });
}

let tableCounter = 0;

/** A fresh table per test file (or per test) on the run's DynamoDB Local, with a call counter. */
export async function createTestStore(prefix = "t"): Promise<Store & { counter: CallCounter }> {
  const base = createDynamoClient();
  const tableName = `${prefix}-${process.pid}-${Date.now()}-${tableCounter++}`;
  await ensureTable(base, tableName);
  const client = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name: "dodeckCallCounter" },
  );
  return {
    client,
    tableName,
    counter: {
      calls,
      reset: () => {
        calls.length = 0;
      },
      count: () => calls.length,
    },
  };
}

/** Every item in the table, for invariant checks after concurrency tests. */
export function scanAll(store: Store): Promise<Record<string, unknown>[]> {
  return scanTable(store);
}
