import { describe, expect, it, vi } from "vitest";
import { createUlidGenerator, isItemId, isLegacyId, isUlid } from "../src/ids.ts";

describe("ULID ids", () => {
  it("are 26 Crockford base32 characters", () => {
    const id = createUlidGenerator()();
    expect(id).toHaveLength(26);
    expect(isUlid(id)).toBe(true);
  });

  it("encode the time in the first 10 characters", () => {
    // 0 ms is all zeroes; 2^48 - 1 ms is the largest time a ULID holds.
    expect(createUlidGenerator(() => 0)().slice(0, 10)).toBe("0000000000");
    expect(createUlidGenerator(() => 2 ** 48 - 1)().slice(0, 10)).toBe("7ZZZZZZZZZ");
    // The ULID spec's own example: encodeTime(1469918176385) is "01ARYZ6S41".
    expect(createUlidGenerator(() => 1_469_918_176_385)().slice(0, 10)).toBe("01ARYZ6S41");
  });

  it("sort by creation time as plain strings", () => {
    let time = 1_700_000_000_000;
    const next = createUlidGenerator(() => time);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(next());
      time += 1 + (i % 3);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it("are strictly increasing within one millisecond (monotonic)", () => {
    const next = createUlidGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 1_000 }, () => next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it("stay increasing when the clock steps backwards", () => {
    let time = 1_700_000_000_000;
    const next = createUlidGenerator(() => time);
    const first = next();
    time -= 5_000;
    const second = next();
    expect(second > first).toBe(true);
  });

  it("rejects strings that are not ULIDs", () => {
    for (const value of [
      "",
      "d1",
      "01hf5jzk00aaaaaaaaaaaaaaaa",
      "01HF5JZK00AAAAAAAAAAAAAAAI",
      "01HF5JZK00AAAAAAAAAAAAAAA",
      "01HF5JZK00AAAAAAAAAAAAAAAAA",
      "../../etc/passwd",
    ]) {
      expect(isUlid(value), value).toBe(false);
    }
  });
});

describe("legacy ids", () => {
  it("accepts the old service's lower-case UUIDs as item ids, next to ULIDs", () => {
    const uuid = "507c7963-1c48-4437-8174-71eb0c4bb5c4";
    expect(isLegacyId(uuid)).toBe(true);
    expect(isItemId(uuid)).toBe(true);
    expect(isItemId(createUlidGenerator()())).toBe(true);
  });

  it.each([
    "507C7963-1C48-4437-8174-71EB0C4BB5C4",
    "507c79631c4844378174-71eb0c4bb5c4",
    "507c7963-1c48-4437-8174-71eb0c4bb5c",
    "../507c7963-1c48-4437-8174-71eb0c4bb5c4",
    "507c7963-1c48-4437-8174-71eb0c4bb5c4/../x",
    "",
  ])("refuses %j", (value) => expect(isItemId(value)).toBe(false));
});

describe("ULID randomness within one millisecond (mutation-testing survivors)", () => {
  function generatorWithRandom(bytes: number[]) {
    const spy = vi
      .spyOn(globalThis.crypto, "getRandomValues")
      .mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
        (array as unknown as Uint8Array).set(bytes);
        return array;
      });
    const next = createUlidGenerator(() => 1_700_000_000_000);
    return { next, restore: () => spy.mockRestore() };
  }

  it("carries the increment into the first random byte, keeping ids in order", () => {
    const { next, restore } = generatorWithRandom([0, ...Array(9).fill(255)]);
    try {
      const first = next();
      const second = next();
      expect(second > first).toBe(true);
      // 0x01 followed by nine zero bytes is 2^72: the second base32 digit of the 80-bit part.
      expect(second.slice(10)).toBe("0400000000000000");
      expect(second.slice(0, 10)).toBe(first.slice(0, 10));
    } finally {
      restore();
    }
  });

  it("refuses to wrap around when the random part is exhausted within a millisecond", () => {
    const { next, restore } = generatorWithRandom(Array(10).fill(255));
    try {
      expect(next().slice(10)).toBe("ZZZZZZZZZZZZZZZZ");
      expect(() => next()).toThrow(/overflowed/);
    } finally {
      restore();
    }
  });
});
