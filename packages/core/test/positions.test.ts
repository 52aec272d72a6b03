import { describe, expect, it } from "vitest";
import {
  comparePlaces,
  createTimeKeys,
  isPosition,
  keyBetween,
  MAX_POSITION_LENGTH,
  midpoint,
  positionOfItem,
  spread,
  timeKey,
} from "../src/positions.ts";

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("midpoint", () => {
  it("finds a well-formed key strictly between any two keys, and above or below any key", () => {
    const random = seeded(11);
    const keys = ["1", "0V", "z", "zz", "0000001", "08E0lpVicK", "V", "V1", "Vz"];
    for (let i = 0; i < 2000; i++) {
      const length = 1 + Math.floor(random() * 12);
      let key = "";
      for (let j = 0; j < length; j++)
        key += "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[
          Math.floor(random() * 62)
        ];
      if (isPosition(key)) keys.push(key);
    }
    for (let i = 0; i < 3000; i++) {
      const a = keys[Math.floor(random() * keys.length)]!;
      const b = keys[Math.floor(random() * keys.length)]!;
      if (a === b) continue;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const mid = midpoint(lo, hi);
      expect(lo < mid && mid < hi, `${lo} < ${mid} < ${hi}`).toBe(true);
      expect(isPosition(mid), mid).toBe(true);
      const above = midpoint(hi, null);
      expect(above > hi && isPosition(above), above).toBe(true);
      const below = midpoint("", lo);
      expect(below < lo && isPosition(below), below).toBe(true);
    }
  });

  it("uses as few digits as the gap allows", () => {
    expect(midpoint("", null)).toBe("V");
    expect(midpoint("1", "3")).toBe("2");
    expect(midpoint("1", "2")).toBe("1V");
    expect(midpoint("1", "2V")).toBe("2");
  });
});

describe("keyBetween", () => {
  it("has no key for tied neighbours (ordered by doId) nor one past the length cap", () => {
    expect(keyBetween("0V", "0V")).toBeUndefined();
    expect(keyBetween("2", "1")).toBeUndefined();
    const long = `${"1".repeat(MAX_POSITION_LENGTH - 1)}1`;
    expect(keyBetween(long, `${"1".repeat(MAX_POSITION_LENGTH - 1)}2`)).toBeUndefined();
    expect(keyBetween("", "1")).toBe("0V");
  });

  it("grows about one digit per six moves into the same gap", () => {
    let hi = "2";
    let moves = 0;
    for (;;) {
      const key = keyBetween("1", hi);
      if (key === undefined) break;
      hi = key;
      moves++;
    }
    expect(moves).toBeGreaterThan(5 * MAX_POSITION_LENGTH);
    expect(moves).toBeLessThan(7 * MAX_POSITION_LENGTH);
  });
});

describe("spread", () => {
  it("gives count increasing short keys strictly between the bounds", () => {
    for (const [lo, hi] of [
      ["", "08E0lpVicK"],
      ["1", "1V"],
      ["08E0lpVicK", null],
      [`1${"z".repeat(120)}`, "2"],
    ] as const) {
      for (const count of [1, 2, 7, 98]) {
        const keys = spread(lo, hi, count);
        expect(keys).toHaveLength(count);
        for (let i = 1; i < keys.length; i++) expect(keys[i - 1]! < keys[i]!).toBe(true);
        expect(lo < keys[0]!).toBe(true);
        if (hi !== null) expect(keys.at(-1)! < hi).toBe(true);
        for (const key of keys) expect(isPosition(key), key).toBe(true);
      }
    }
    // Between "" and a time key, 98 dos get keys of at most 3 digits.
    expect(Math.max(...spread("", "08E0lpVicK", 98).map((key) => key.length))).toBeLessThan(4);
  });
});

describe("time keys", () => {
  it("order instants as strings do, never end in the lowest digit, and keep the order of microsecond timestamps", () => {
    const instants = [1, 61, 62, 3844, 1_764_517_459_236_360, 1_764_517_459_236_361, 62 ** 9];
    const keys = instants.map(timeKey);
    expect([...keys].sort()).toEqual(keys);
    for (const key of keys) expect(isPosition(key), key).toBe(true);
    expect(timeKey(62)).toBe("000000001");
  });

  it("derive a stored do's position from its creation instant when it has none", () => {
    const ordered = [
      "2026-11-30T15:54:19+00:00",
      "2026-11-30T15:54:19.000001+00:00",
      "2026-11-30T15:54:19.001Z",
      "2026-11-30T15:54:19.001500+00:00",
      "2026-11-30T15:54:20Z",
    ].map((createdAt) => positionOfItem({ createdAt }));
    expect([...ordered].sort()).toEqual(ordered);
    expect(positionOfItem({ createdAt: "2026-11-30T15:54:20Z", position: "0V" })).toBe("0V");
    // What is not a timestamp sorts after every instant, as the old service listed it.
    const last = positionOfItem({ createdAt: "9999-12-31T23:59:59.999999+00:00" });
    expect(positionOfItem({ createdAt: "garbage" }) > last).toBe(true);
  });

  it("are distinct and increasing from one process, even within one millisecond or with a clock going back", () => {
    const clock = [1_000, 1_000, 1_000, 999, 1_001];
    const next = createTimeKeys(() => clock.shift() ?? 1_001);
    const keys = Array.from({ length: 6 }, next);
    for (let i = 1; i < keys.length; i++) expect(keys[i - 1]! < keys[i]!).toBe(true);
  });
});

describe("comparePlaces", () => {
  it("orders by position, then by doId", () => {
    const places = [
      { position: "1", doId: "b" },
      { position: "0V", doId: "z" },
      { position: "1", doId: "a" },
    ].sort(comparePlaces);
    expect(places.map((place) => place.doId)).toEqual(["z", "a", "b"]);
  });
});
