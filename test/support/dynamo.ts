import { DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
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

/** One action of a TransactWriteItems as the document client sends it. */
export type TransactAction = Partial<
  Record<
    "Put" | "Update" | "Delete" | "ConditionCheck",
    { Key?: Record<string, unknown>; Item?: Record<string, unknown>; ConditionExpression?: string }
  >
>;

/** The key an action writes or checks: a Put's item, any other action's Key. */
export function keyOf(action: TransactAction): Record<string, unknown> | undefined {
  const operation = Object.values(action)[0];
  return operation?.Key ?? operation?.Item;
}

let interceptors = 0;

/**
 * Calls `intercept` with the actions of every transaction the store sends, before the SDK's
 * retries: what it throws, the service gets as if DynamoDB had answered it; what it awaits
 * (another writer's change) happens between the service's read and its transaction.
 */
export function beforeTransactions(
  store: Store,
  intercept: (actions: TransactAction[]) => unknown,
): void {
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "TransactWriteItemsCommand") {
        await intercept((args.input as { TransactItems?: TransactAction[] }).TransactItems ?? []);
      }
      return next(args);
    },
    { step: "initialize", name: `beforeTransactions${interceptors++}` },
  );
}

/**
 * DynamoDB's answer to a transaction another one overtook: TransactionConflict on the actions
 * `conflicted` picks (all by default), None on the others.
 */
export function transactionConflict(
  actions: readonly TransactAction[],
  conflicted: (action: TransactAction, index: number) => boolean = () => true,
): TransactionCanceledException {
  return new TransactionCanceledException({
    message: "Transaction cancelled, please refer cancellation reasons for specific reasons",
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: actions.map((action, index) => ({
      Code: conflicted(action, index) ? "TransactionConflict" : "None",
    })),
  });
}

/** One item, read strongly consistent. */
export async function getItem(
  store: Store,
  key: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const out = await store.client.send(
    new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
  );
  return out.Item;
}
