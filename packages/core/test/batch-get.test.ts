import { describe, expect, it } from "vitest";
import {
  assertBatch,
  type BatchRead,
  type BatchReadBounds,
  backoffMs,
  batchReadBounds,
  type Item,
  readAllKeys,
} from "../src/batch-get.ts";
import { AppError } from "../src/errors.ts";
import { type Key, keys } from "../src/keys.ts";
import { limits } from "../src/limits.ts";

const deck = keys.deck("01HZZZZZZZZZZZZZZZZZZZZZZA");
const one = keys.do("01HZZZZZZZZZZZZZZZZZZZZZZA", "01HZZZZZZZZZZZZZZZZZZZZZZB");
const other = keys.do("01HZZZZZZZZZZZZZZZZZZZZZZA", "01HZZZZZZZZZZZZZZZZZZZZZZC");
const stored: Item[] = [
  { ...deck, type: "deck", name: "d" },
  { ...one, text: "one" },
];

/**
 * A fake BatchGetItem over `stored`: the n-th call leaves `unprocessedPerCall[n]` of the keys
 * it was sent unprocessed (the first ones, as many as given), like a throttled table.
 */
function fakeRead(unprocessedPerCall: number[]) {
  const sent: Key[][] = [];
  const read: BatchRead = async (pending) => {
    const skip = unprocessedPerCall[sent.length] ?? 0;
    sent.push([...pending]);
    const unprocessed = pending.slice(0, skip);
    const items = pending
      .slice(skip)
      .flatMap((key) => stored.filter((item) => item.PK === key.PK && item.SK === key.SK));
    // DynamoDB answers in no particular order.
    return { items: items.reverse(), unprocessed };
  };
  return { read, sent };
}

function recordedBounds(rounds = 4) {
  const pauses: number[] = [];
  const bounds: BatchReadBounds = {
    rounds,
    pause: async (retry) => {
      pauses.push(retry);
    },
  };
  return { bounds, pauses };
}

describe("readAllKeys", () => {
  it("answers the items in the order of the keys, undefined where none exists, in one call", async () => {
    const { read, sent } = fakeRead([]);
    const { bounds, pauses } = recordedBounds();
    expect(await readAllKeys(read, [other, one, deck], bounds)).toEqual([
      undefined,
      stored[1],
      stored[0],
    ]);
    expect(sent).toEqual([[other, one, deck]]);
    expect(pauses).toEqual([]);
  });

  it("sends only the unprocessed keys again, after a pause, and merges what each call read", async () => {
    const { read, sent } = fakeRead([2, 1]);
    const { bounds, pauses } = recordedBounds();
    expect(await readAllKeys(read, [deck, one, other], bounds)).toEqual([
      stored[0],
      stored[1],
      undefined,
    ]);
    expect(sent).toEqual([[deck, one, other], [deck, one], [deck]]);
    expect(pauses).toEqual([1, 2]);
  });

  it("answers 503 service_unavailable with Retry-After when keys stay unprocessed past the bounds", async () => {
    const { read, sent } = fakeRead([1, 1, 1, 1, 1]);
    const { bounds, pauses } = recordedBounds(4);
    const failure = await readAllKeys(read, [deck, one], bounds).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: "service_unavailable", retryAfter: 1 });
    // Four calls, three pauses: no pause after the last call, nothing sent past the bound.
    expect(sent).toEqual([[deck, one], [deck], [deck], [deck]]);
    expect(pauses).toEqual([1, 2, 3]);
  });

  it("succeeds when the last call allowed reads the last unprocessed key", async () => {
    const { read, sent } = fakeRead([1, 1, 1, 0]);
    const { bounds } = recordedBounds(4);
    expect(await readAllKeys(read, [deck, one], bounds)).toEqual([stored[0], stored[1]]);
    expect(sent).toHaveLength(4);
  });

  it("lets a failed call's error through (store.ts maps AWS errors before it gets here)", async () => {
    const refused = new AppError("service_unavailable", "down", { retryAfter: 1 });
    const read: BatchRead = async () => {
      throw refused;
    };
    await expect(readAllKeys(read, [deck], recordedBounds().bounds)).rejects.toBe(refused);
  });

  it("by default makes 4 calls at most, with jittered pauses below 10, 20 and 40 ms (70 ms in all)", () => {
    expect(batchReadBounds.rounds).toBe(4);
    const almostOne = 1 - Number.EPSILON;
    const longest = [1, 2, 3].map((retry) => backoffMs(retry, almostOne));
    expect(longest.map(Math.ceil)).toEqual([10, 20, 40]);
    expect(longest.every((ms, i) => ms < 10 * 2 ** i)).toBe(true);
    expect([1, 2, 3].map((retry) => backoffMs(retry, 0))).toEqual([0, 0, 0]);
    expect(backoffMs(2, 0.5)).toBe(10);
  });
});

describe("assertBatch", () => {
  it("accepts up to DynamoDB's 100 keys", () => {
    const many = Array.from({ length: limits.maxBatchGetKeys }, (_, i) => ({
      PK: "P",
      SK: `S${i}`,
    }));
    expect(() => assertBatch(many)).not.toThrow();
    expect(() => assertBatch([...many, { PK: "P", SK: "S100" }])).toThrow(/too large: 101/);
  });

  it("refuses one key twice and an empty batch, which DynamoDB would reject", () => {
    expect(() => assertBatch([deck, one, { ...deck }])).toThrow(/twice/);
    expect(() => assertBatch([])).toThrow(/empty/);
  });
});
