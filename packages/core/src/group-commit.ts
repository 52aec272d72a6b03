/**
 * Group commit per key: requests of one key are committed one batch at a time, in the order
 * they arrive, and whatever arrived while a batch was in flight goes out together as the next
 * one (as far as `joins` lets it). A request alone on its key is sent at once, so grouping adds
 * no latency; it only turns waiting into sharing.
 *
 * Every change of a deck updates its deck item (the change clock), so concurrent changes of one
 * deck serialise in DynamoDB anyway; sent together from one process they overtook each other
 * on the way and were refused by the clock's condition (32 concurrent PATCHes of one deck cost
 * about 80 transactions), and sent one at a time their rate was one transaction's latency. In
 * one transaction per batch, the deck item is updated once for all of them.
 */
export type Outcome<T> = PromiseSettledResult<T>;

export function createGroupCommit<R, T>(options: {
  /** Whether `next` may join `batch` (which holds at least one request) in one commit. */
  joins: (batch: readonly R[], next: R) => boolean;
  /** Commits a batch; one outcome per request, in order. A throw fails the whole batch. */
  commit: (key: string, batch: readonly R[]) => Promise<readonly Outcome<T>[]>;
}) {
  type Entry = { request: R; resolve: (value: T) => void; reject: (reason: unknown) => void };
  /** Requests waiting per key; a key is present while its batches are being committed. */
  const waiting = new Map<string, Entry[]>();

  async function drain(key: string, queue: Entry[]): Promise<void> {
    while (queue.length > 0) {
      const batch = [queue.shift() as Entry];
      const requests = [batch[0]!.request];
      while (queue.length > 0 && options.joins(requests, queue[0]!.request)) {
        const next = queue.shift() as Entry;
        batch.push(next);
        requests.push(next.request);
      }
      let outcomes: readonly Outcome<T>[];
      try {
        outcomes = await options.commit(key, requests);
      } catch (reason) {
        outcomes = batch.map(() => ({ status: "rejected", reason }) as const);
      }
      batch.forEach((entry, i) => {
        const outcome = outcomes[i];
        if (outcome?.status === "fulfilled") entry.resolve(outcome.value);
        else
          entry.reject(
            outcome === undefined ? new Error("No outcome for a request") : outcome.reason,
          );
      });
    }
    waiting.delete(key);
  }

  return function submit(key: string, request: R): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { request, resolve, reject };
      const queue = waiting.get(key);
      if (queue !== undefined) {
        queue.push(entry);
        return;
      }
      const fresh = [entry];
      waiting.set(key, fresh);
      void drain(key, fresh);
    });
  };
}

/** Settles a promise into an outcome, for `commit`s that run requests one by one. */
export async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { status: "fulfilled", value: await promise };
  } catch (reason) {
    return { status: "rejected", reason };
  }
}
