import { describe, expect, it } from "vitest";
import { latestPerEntity } from "../src/change-feed.ts";
import {
  changeItem,
  decodeSyncToken,
  encodeSyncToken,
  maxSyncTokenLength,
  nextPosition,
  type StoredChange,
  storedChangeOf,
} from "../src/changes.ts";
import type { Do } from "../src/model.ts";

const D = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
const aDo: Do = {
  doId: "01J00000000000000000000000",
  deckId: D,
  text: "Milk",
  completed: false,
  position: "1Ux8rJ4k",
  dueAt: null,
  createdAt: "2026-11-30T15:54:19.236Z",
  updatedAt: "2026-11-30T15:54:19.236Z",
};

describe("sync tokens", () => {
  it("round-trip the deck, position, horizon and a full sync's cursor, as opaque base64url", () => {
    for (const token of [
      { deckId: D, position: 0, horizon: 1_796_000_000_000_000 },
      { deckId: D, position: 1_796_000_000_000_001, horizon: 1_796_000_000_000_001, after: "DO#x" },
    ]) {
      const encoded = encodeSyncToken(token);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeSyncToken(encoded, D)).toEqual(token);
    }
  });

  it("refuses (422) another deck's token, another format version, bad numbers and anything malformed", () => {
    const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const good = { v: 1, d: D, p: 5, h: 6 };
    for (const token of [
      encodeSyncToken({ deckId: "01HYYYYYYYYYYYYYYYYYYYYYYY", position: 1, horizon: 1 }),
      raw({ ...good, v: 2 }),
      raw({ ...good, p: -1 }),
      raw({ ...good, p: 1.5 }),
      raw({ ...good, h: "6" }),
      raw({ ...good, a: "FEED#1" }),
      raw([1, D]),
      "not base64!",
      "x".repeat(maxSyncTokenLength + 1),
      "",
    ]) {
      expect(() => decodeSyncToken(token, D), token).toThrow(
        expect.objectContaining({ code: "validation_failed" }),
      );
    }
    expect(decodeSyncToken(raw(good), D)).toEqual({ deckId: D, position: 5, horizon: 6 });
  });
});

describe("sync tokens on the wire", () => {
  const standardBase64 = (token: object) => Buffer.from(JSON.stringify(token)).toString("base64");

  it("stay URL-safe and unpadded whatever bytes they hold ('+', '/' and '=' in plain base64)", () => {
    // A full sync's cursor is a do key; this one makes plain base64 use all three.
    const token = { deckId: D, position: 5, horizon: 6, after: "DO#~~~???>>" };
    const plain = standardBase64({ v: 1, d: D, p: 5, h: 6, a: token.after });
    expect([plain.includes("+"), plain.includes("/"), plain.endsWith("==")]).toEqual([
      true,
      true,
      true,
    ]);
    const encoded = encodeSyncToken(token);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encoded).toContain("-");
    expect(encoded).toContain("_");
    expect(decodeSyncToken(encoded, D)).toEqual(token);
  });

  it("refuse a token with anything around or inside it, though base64 decoding would skip it", () => {
    const encoded = encodeSyncToken({ deckId: D, position: 7, horizon: 8 });
    for (const token of [
      ` ${encoded}`,
      `${encoded}\n`,
      `${encoded.slice(0, 8)} ${encoded.slice(8)}`,
    ]) {
      expect(() => decodeSyncToken(token, D), JSON.stringify(token)).toThrow(
        expect.objectContaining({ code: "validation_failed" }),
      );
    }
  });

  it("refuse a well-formed token of this deck longer than the bound", () => {
    const long = { deckId: D, position: 1, horizon: 2, after: `DO#${"x".repeat(400)}` };
    const encoded = encodeSyncToken(long);
    expect(encoded.length).toBeGreaterThan(maxSyncTokenLength);
    expect(() => decodeSyncToken(encoded, D)).toThrow(
      expect.objectContaining({ code: "validation_failed" }),
    );
    // The longest that fits: exactly the bound.
    let fits = { ...long, after: "DO#" };
    while (encodeSyncToken({ ...fits, after: `${fits.after}x` }).length <= maxSyncTokenLength)
      fits = { ...fits, after: `${fits.after}x` };
    expect(encodeSyncToken(fits).length).toBe(maxSyncTokenLength);
    expect(decodeSyncToken(encodeSyncToken(fits), D)).toEqual(fits);
  });

  it("are refused as a field error on `since`, which is what a client shows", () => {
    expect(() => decodeSyncToken("AAAA", D)).toThrow(
      expect.objectContaining({
        code: "validation_failed",
        detail: "The sync token is not valid for this deck.",
        errors: [{ path: "since", message: "Invalid sync token" }],
      }),
    );
  });
});

describe("change items", () => {
  it("take the writer's clock, or just past the deck's last change when that is ahead", () => {
    expect(nextPosition(100, 0)).toBe(100);
    expect(nextPosition(100, 100)).toBe(101);
    expect(nextPosition(100, 5_000)).toBe(5_001);
  });

  it("record a deletion with its retention and a TTL an hour past it; read back as written", () => {
    const position = 1_796_000_000_123_456;
    const item = changeItem(D, position, { kind: "do.deleted", doId: aDo.doId }, 60);
    expect(item).toEqual({
      PK: `DECK#${D}`,
      SK: "FEED#1796000000123456",
      type: "change",
      deckId: D,
      position,
      change: "do.deleted",
      doId: aDo.doId,
      retainUntil: position + 60_000_000,
      expiresAt: 1_796_000_001 + 60 + 3_600,
    });
    expect(storedChangeOf(item)).toEqual({
      position,
      expiresAtMicros: position + 60_000_000,
      record: { kind: "do.deleted", doId: aDo.doId },
    });
  });

  it("record a deck change with the deck as it became, collaborators sorted", () => {
    const position = 1_796_000_000_000_001;
    const deck = {
      deckId: D,
      name: "Groceries",
      ownerSub: "auth0|owner",
      collaborators: ["zoe@example.com", "al@example.com"],
      createdAt: "2026-11-30T10:00:00.000Z",
      updatedAt: "2026-11-30T11:00:00.000Z",
      version: 3,
      deleting: false,
      lastChangeAt: 7,
      doCount: 2,
    };
    const item = changeItem(D, position, { kind: "deck.updated", deck }, 60);
    expect(item.snapshot).toEqual({
      deckId: D,
      name: "Groceries",
      ownerSub: "auth0|owner",
      collaborators: ["al@example.com", "zoe@example.com"],
      createdAt: deck.createdAt,
      updatedAt: deck.updatedAt,
    });
    expect(storedChangeOf(item).record).toMatchObject({
      kind: "deck.updated",
      deck: { name: "Groceries", collaborators: ["al@example.com", "zoe@example.com"] },
    });
  });

  it("refuse to read a change item of a kind no writer records", () => {
    expect(() => storedChangeOf({ position: 1, change: "do.renamed", doId: "x" })).toThrow(
      "unknown kind",
    );
  });

  it("collapse to one entry per deck or do, its latest, in the order of those latest changes", () => {
    const change = (position: number, record: StoredChange["record"]): StoredChange => ({
      position,
      expiresAtMicros: position + 1,
      record,
    });
    const a1 = change(1, { kind: "do.upserted", do: { ...aDo, doId: "a" } });
    const b2 = change(2, { kind: "do.upserted", do: { ...aDo, doId: "b" } });
    const deck3 = change(3, { kind: "do.deleted", doId: "c" });
    const a4 = change(4, { kind: "do.deleted", doId: "a" });
    expect(latestPerEntity([a1, b2, deck3, a4])).toEqual([b2, deck3, a4]);
  });
});
