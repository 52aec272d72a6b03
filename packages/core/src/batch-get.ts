import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import type { Key } from "./keys.ts";
import { limits } from "./limits.ts";
import { type Store, send, unavailable } from "./store.ts";

export type Item = Record<string, unknown>;

/** One BatchGetItem of one table: the items it read and the keys it left unprocessed. */
export type BatchRead = (keys: readonly Key[]) => Promise<{ items: Item[]; unprocessed: Key[] }>;

export type BatchReadBounds = {
  /** BatchGetItem calls at most, the first included. */
  rounds: number;
  /** Before each retry of unprocessed keys (`retry` counts from 1). */
  pause: (retry: number) => Promise<void>;
};

/**
 * DynamoDB leaves keys unprocessed when the table or a partition is over its throughput (not
 * an error: the call succeeds with what it read). Retried promptly with exponential, jittered
 * pauses (AWS's advice for UnprocessedKeys), at most ~70 ms in all: a read request must not
 * hang on a throttled table, and still unprocessed then, the client gets 503 with Retry-After
 * as for any other throttling (store.ts).
 */
export const batchReadBounds: BatchReadBounds = {
  rounds: 4,
  pause: (retry) => new Promise((resolve) => setTimeout(resolve, backoffMs(retry))),
};

/** The pause before the n-th retry: "full jitter", anywhere below 10 ms × 2^(n-1). */
export const backoffMs = (retry: number, random = Math.random()): number =>
  random * 10 * 2 ** (retry - 1);

/**
 * The items under `keys`, in the order of `keys` (undefined where there is none), read with
 * `read` until no key is left unprocessed. Past the bounds: 503 `service_unavailable`.
 */
export async function readAllKeys(
  read: BatchRead,
  keys: readonly Key[],
  bounds: BatchReadBounds = batchReadBounds,
): Promise<(Item | undefined)[]> {
  assertBatch(keys);
  const found = new Map<string, Item>();
  let pending: readonly Key[] = keys;
  for (let round = 1; pending.length > 0; round++) {
    if (round > bounds.rounds) throw unavailable();
    if (round > 1) await bounds.pause(round - 1);
    const out = await read(pending);
    for (const item of out.items) found.set(idOf(item), item);
    pending = out.unprocessed;
  }
  return keys.map((key) => found.get(idOf(key)));
}

/**
 * DynamoDB refuses a BatchGetItem with more than 100 keys or one key twice: either is a bug in
 * the caller, so both are checked before sending.
 */
export function assertBatch(keys: readonly Key[]): void {
  if (keys.length === 0) throw new Error("empty batch");
  if (keys.length > limits.maxBatchGetKeys) throw new Error(`batch too large: ${keys.length} keys`);
  const ids = new Set(keys.map(idOf));
  if (ids.size < keys.length) throw new Error("batch reads one key twice");
}

const idOf = (key: Item): string => `${String(key.PK)}\u0000${String(key.SK)}`;

/**
 * The items under `keys`, read strongly consistent in one BatchGetItem (more only for keys
 * DynamoDB left unprocessed): an access check read this way sees the latest share or unshare.
 */
export function batchGetConsistent(store: Store, keys: readonly Key[]) {
  const table = store.tableName;
  const read: BatchRead = async (pending) => {
    const out = await send(() =>
      store.client.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: [...pending], ConsistentRead: true } },
        }),
      ),
    );
    return {
      // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers every table asked with a list.
      items: out.Responses?.[table] ?? [],
      unprocessed: (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[],
    };
  };
  return readAllKeys(read, keys);
}
