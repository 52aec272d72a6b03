import type {
  DynamoDBDocumentClient,
  QueryCommandInput,
  TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { AppError } from "./errors.ts";
import { limits } from "./limits.ts";

export type Store = { client: DynamoDBDocumentClient; tableName: string };

export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

export type CancellationReason = { Code?: string; Item?: Record<string, unknown> };

/** DynamoDB and SDK error names that mean "the table is not answering now", not "bad request". */
const UNAVAILABLE_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Maps AWS failures to the contract at the repository edge, by error name, never by message:
 * throttling, timeouts and an unreachable endpoint are 503 with Retry-After; anything else
 * stays an unexpected error (rendered as a bare 500, its text never sent to the client).
 */
export function mapAwsError(error: unknown): unknown {
  if (error instanceof AppError || typeof error !== "object" || error === null) return error;
  const { name, code, $metadata } = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = $metadata?.httpStatusCode ?? 0;
  if (
    (name !== undefined && UNAVAILABLE_NAMES.has(name)) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    status >= 500
  ) {
    return unavailable(error);
  }
  return error;
}

/**
 * The data store cannot serve now (throttled, timed out, unreachable): 503 with Retry-After,
 * whether the SDK threw or DynamoDB answered with keys it left unprocessed (batch-get.ts).
 */
export function unavailable(cause?: unknown): AppError {
  return new AppError(
    "service_unavailable",
    "The data store is not answering; try again shortly.",
    { retryAfter: 1, cause },
  );
}

/** Sends one command, mapping AWS failures; the single place repository calls go through. */
export async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapAwsError(error);
  }
}

/**
 * A strongly consistent Query, page by page, until its last page: for the reads that must see
 * a whole partition or listing (a legacy deck's dos, a purge, the sweeper's listing).
 */
export async function* queryPages(
  store: Store,
  input: Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey" | "ConsistentRead">,
): AsyncGenerator<Record<string, unknown>[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await send(() =>
      store.client.send(
        new QueryCommand({
          ...input,
          TableName: store.tableName,
          ExclusiveStartKey: startKey,
          // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
          ConsistentRead: true,
        }),
      ),
    );
    startKey = out.LastEvaluatedKey;
    // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers a Query with a list.
    yield out.Items ?? [];
  } while (startKey !== undefined);
}

/** The per-action reasons of a cancelled transaction, in request order; undefined otherwise. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, CancellationReasons } = error as { name?: string; CancellationReasons?: unknown };
  if (name !== "TransactionCanceledException" || !Array.isArray(CancellationReasons))
    return undefined;
  // The document client does not unmarshall items returned by a failed condition check.
  return (CancellationReasons as { Code?: string; Item?: Parameters<typeof unmarshall>[0] }[]).map(
    (reason) => ({ Code: reason.Code, Item: reason.Item ? unmarshall(reason.Item) : undefined }),
  );
}

/**
 * One TransactWriteItems, never split. DynamoDB rejects more than 100 actions or two actions
 * on one item (a case-only rename would do that), so both are checked before sending:
 * tripping either is a bug in the caller, not a client error.
 */
export async function transact(store: Store, items: TransactItem[]): Promise<void> {
  assertTransaction(items);
  await store.client.send(new TransactWriteCommand({ TransactItems: items }));
}

export function assertTransaction(items: TransactItem[]): void {
  if (items.length === 0) throw new Error("empty transaction");
  if (items.length > limits.maxTransactionActions) {
    throw new Error(`transaction too large: ${items.length} actions`);
  }
  const seen = new Set<string>();
  for (const item of items) {
    const id = transactItemKey(item);
    if (seen.has(id)) throw new Error(`transaction touches ${id.replace("\u0000", " ")} twice`);
    seen.add(id);
  }
}

/** The item a transaction action acts on, as one string (PK and SK). */
export function transactItemKey(item: TransactItem): string {
  const key = item.Put?.Item ?? item.Update?.Key ?? item.Delete?.Key ?? item.ConditionCheck?.Key;
  return `${String(key?.PK)}\u0000${String(key?.SK)}`;
}
