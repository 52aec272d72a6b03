import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../src/cursor.ts";
import { AppError } from "../src/errors.ts";

const state = { list: "dos|D1", key: { PK: "DECK#D1", SK: "DO#01ABC" } };
const expectation = { list: "dos|D1", partitions: ["DECK#D1"], sortKeyPrefix: "DO#" };

function rejection(run: () => unknown): AppError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  return undefined;
}

describe("cursors", () => {
  it("round-trip the list and the last key", () => {
    expect(decodeCursor(encodeCursor(state), expectation)).toEqual(state);
  });

  it("are URL-safe base64 without padding", () => {
    const cursor = encodeCursor({
      list: "decks|all|é",
      key: { PK: "ACCESS#EMAIL#a+b@example.com", SK: "DECK#ü?>#01" },
    });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(
      decodeCursor(cursor, {
        list: "decks|all|é",
        partitions: ["ACCESS#EMAIL#a+b@example.com"],
        sortKeyPrefix: "DECK#",
      }).key.SK,
    ).toBe("DECK#ü?>#01");
  });

  it("reject a cursor from another list as a 422 on `cursor`", () => {
    const error = rejection(() =>
      decodeCursor(encodeCursor(state), { ...expectation, list: "dos|D2" }),
    );
    expect(error?.code).toBe("validation_failed");
    expect(error?.errors).toEqual([{ path: "cursor", message: "Invalid cursor" }]);
    expect(error?.detail).toBe("The cursor is not valid for this list.");
  });

  it("reject a key outside the partitions the request reads", () => {
    const foreign = encodeCursor({ list: "dos|D1", key: { PK: "DECK#D2", SK: "DO#01" } });
    expect(rejection(() => decodeCursor(foreign, expectation))?.code).toBe("validation_failed");
  });

  it("reject a key outside the expected sort key prefix", () => {
    const deckKey = encodeCursor({ list: "dos|D1", key: { PK: "DECK#D1", SK: "DECK" } });
    expect(rejection(() => decodeCursor(deckKey, expectation))?.code).toBe("validation_failed");
  });

  it("reject garbage, tampering, wrong shapes and oversized input without throwing anything else", () => {
    const good = encodeCursor(state);
    const json = (value: unknown) =>
      btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    const bad = [
      "",
      "!!!",
      "a b",
      "abc=",
      `${good.slice(0, -3)}`,
      `x${good}`,
      good.replace(/^./, (c) => (c === "A" ? "B" : "A")),
      json(null),
      json([1, 2]),
      json({ l: "dos|D1" }),
      json({ l: "dos|D1", k: ["DECK#D1"] }),
      json({ l: "dos|D1", k: ["DECK#D1", 5] }),
      json({ l: "dos|D1", k: ["DECK#D1", "DO#1", "DO#2"] }),
      json({ l: 1, k: ["DECK#D1", "DO#1"] }),
      "A".repeat(2_049),
    ];
    for (const cursor of bad) {
      expect(rejection(() => decodeCursor(cursor, expectation))?.code, cursor).toBe(
        "validation_failed",
      );
    }
  });
});

describe("cursors over real keys (mutation-testing survivors)", () => {
  // Keys whose JSON encodes to base64 with "/" and "+" (URL-safe "_" and "-") and to one or two
  // "=" of padding: a cursor that breaks on some ids would break a client's next page.
  const keysThatExercise = (test: (cursor: string) => boolean) => {
    for (let i = 0; i < 2_000; i++) {
      const candidate = {
        list: "dos|D1",
        key: { PK: "DECK#D1", SK: `DO#${"?".repeat(i % 7)}${i}>~` },
      };
      if (test(encodeCursorRaw(candidate))) return candidate;
    }
    throw new Error("no key exercises that case");
  };

  it.each([
    ["contains '_' (base64 '/')", (raw: string) => raw.includes("/")],
    ["contains '-' (base64 '+')", (raw: string) => raw.includes("+")],
    ["needs two '=' of padding", (raw: string) => raw.endsWith("==")],
    ["needs one '=' of padding", (raw: string) => raw.endsWith("=") && !raw.endsWith("==")],
  ])("round-trips a cursor that %s", (_, test) => {
    const state = keysThatExercise(test);
    const cursor = encodeCursor(state);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(
      decodeCursor(cursor, { list: "dos|D1", partitions: ["DECK#D1"], sortKeyPrefix: "DO#" }),
    ).toEqual(state);
  });

  it("refuses a well-formed cursor longer than 2,048 characters", () => {
    const long = { list: "dos|D1", key: { PK: "DECK#D1", SK: `DO#${"x".repeat(1_600)}` } };
    const cursor = encodeCursor(long);
    expect(cursor.length).toBeGreaterThan(2_048);
    expect(rejection(() => decodeCursor(cursor, expectation))?.code).toBe("validation_failed");
    const fits = { list: "dos|D1", key: { PK: "DECK#D1", SK: `DO#${"x".repeat(1_400)}` } };
    expect(encodeCursor(fits).length).toBeLessThanOrEqual(2_048);
    expect(decodeCursor(encodeCursor(fits), expectation)).toEqual(fits);
  });

  it("refuses a cursor with whitespace inserted, though atob would ignore it", () => {
    const cursor = encodeCursor(state);
    for (const broken of [
      ` ${cursor}`,
      `${cursor.slice(0, 4)} ${cursor.slice(4)}`,
      `${cursor}\n`,
    ]) {
      expect(rejection(() => decodeCursor(broken, expectation))?.code).toBe("validation_failed");
    }
  });
});

/** Standard base64 of a cursor's JSON, to find keys that exercise each encoding case. */
function encodeCursorRaw(value: { list: string; key: { PK: string; SK: string } }): string {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ l: value.list, k: [value.key.PK, value.key.SK] }),
  );
  return btoa(String.fromCharCode(...bytes));
}

describe("the cursor length guard", () => {
  it("accepts a cursor of exactly 2,048 characters", () => {
    let state = { list: "dos|D1", key: { PK: "DECK#D1", SK: "DO#" } };
    while (encodeCursor(state).length < 2_048)
      state = { ...state, key: { ...state.key, SK: `${state.key.SK}x` } };
    expect(encodeCursor(state)).toHaveLength(2_048);
    expect(decodeCursor(encodeCursor(state), expectation)).toEqual(state);
  });
});
