import { limits } from "@dodeck/core";
import { describe, expect, it } from "vitest";
import type * as z from "zod";
import {
  CreateDeckBody,
  CreateDoBody,
  IdempotencyHeaders,
  ListDecksQuery,
  ShareDeckBody,
} from "../src/schemas.ts";

/**
 * The words a client shows for a refused field (422's `errors[].message`): one finding per
 * value, the one that tells the user what to change.
 */
const findings = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe("validation messages", () => {
  it("for a deck name or do text", () => {
    const name = (value: string) => findings(CreateDeckBody(), { name: value });
    expect(name("a\ud800b")).toEqual(["Must not contain a lone surrogate (\\ud800–\\udfff)"]);
    expect(name(" \t ")).toEqual(["Must not be empty or only whitespace"]);
    expect(name("\u200b\u0301")).toEqual(["Must contain a visible character"]);
    expect(name("x".repeat(limits.deckName.max + 1))).toEqual([
      `Must be at most ${limits.deckName.max} characters after trimming`,
    ]);
    // Counted in characters, not UTF-16 units, after trimming.
    expect(name(` ${"𝔸".repeat(limits.deckName.max)} `)).toEqual([]);
    const text = (value: string) => findings(CreateDoBody(), { text: value });
    expect(text("x".repeat(limits.doText.max + 1))).toEqual([
      `Must be at most ${limits.doText.max} characters after trimming`,
    ]);
    expect(text("x".repeat(limits.doText.max))).toEqual([]);
  });

  it("for an email address", () => {
    const email = (value: string) => findings(ShareDeckBody(), { email: value });
    // ASCII: one byte a character, so both bounds are passed at once.
    expect(email(`${"a".repeat(250)}@x.io`)).toEqual([
      `Must be at most ${limits.email.max} characters`,
      `Must be at most ${limits.keyBytes.email} bytes in UTF-8`,
    ]);
    expect(email(` ${"a".repeat(249)}@x.io `)).toEqual([]);
    // Few enough characters, too many bytes: a partition key is bounded in bytes.
    expect(email(`${"é".repeat(130)}@x.io`)).toEqual([
      `Must be at most ${limits.keyBytes.email} bytes in UTF-8`,
    ]);
    expect(email("not an address")).toEqual(["Invalid email address"]);
  });

  it("for a due date, a page size and an Idempotency-Key", () => {
    // RFC 3339 allows a leap second (:60); no runtime's date parser does, and both checks say so.
    expect(findings(CreateDoBody(), { text: "x", dueAt: "2026-12-31T23:59:60Z" })).toEqual([
      "Invalid ISO datetime",
      "Not a valid date-time",
    ]);
    for (const limit of ["0x10", "1e1", " 16", "", "12345"])
      expect(findings(ListDecksQuery(), { limit }), limit).toHaveLength(1);
    expect(findings(ListDecksQuery(), { limit: "16" })).toEqual([]);
    expect(findings(IdempotencyHeaders(), { "idempotency-key": "has space" })).toEqual([
      "Must be 1–255 visible ASCII characters",
    ]);
  });
});
