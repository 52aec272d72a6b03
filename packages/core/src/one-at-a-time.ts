/**
 * Runs tasks one at a time per key, in the order they arrive. Every change of a deck updates
 * its deck item, so concurrent changes of one deck serialise in DynamoDB anyway; sent together
 * from one process they overtake each other on the way, and each one overtaken is refused by
 * the change clock's condition and sent again (32 concurrent PATCHes of one deck's dos cost
 * about 5 transactions each). Queued here, each is sent once. Other processes still contend,
 * and the clock's condition keeps that correct.
 */
export function createKeyedQueue() {
  const tails = new Map<string, Promise<void>>();
  return async function oneAtATime<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = tails.get(key);
    let done!: () => void;
    const tail = new Promise<void>((resolve) => {
      done = resolve;
    });
    tails.set(key, tail);
    try {
      if (before !== undefined) await before;
      return await task();
    } finally {
      done();
      // The last task of a key removes it: the map holds only keys with tasks in flight.
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
