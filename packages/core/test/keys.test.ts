import { describe, expect, it } from "vitest";
import { keys } from "../src/keys.ts";
import { limits, utf8Bytes } from "../src/limits.ts";

// Golden values: these strings are the stored data model (SPEC.md "Data") shared with the old
// service's table. Changing one orphans every existing item, so a change must fail here first.
describe("keys", () => {
  it("builds the deck item key", () => {
    expect(keys.deck("d1")).toEqual({ PK: "DECK#d1", SK: "DECK" });
  });

  it("builds a do key in the deck's partition", () => {
    expect(keys.do("d1", "01J0")).toEqual({ PK: "DECK#d1", SK: "DO#01J0" });
    expect(keys.deckPartition("d1")).toBe("DECK#d1");
    expect(keys.doPrefix).toBe("DO#");
    expect(keys.deckSortKey).toBe("DECK");
  });

  it("keeps a deck's change feed in its partition, after its dos, in position order", () => {
    expect(keys.change("d1", 1_796_067_390_400_000)).toEqual({
      PK: "DECK#d1",
      SK: "FEED#1796067390400000",
    });
    expect(keys.changeSortKey(42)).toBe("FEED#0000000000000042");
    expect(keys.changePrefix).toBe("FEED#");
    // "DECK" < every "DO#…" < dosEnd < every "FEED#…": the deck-and-dos Query never meets one.
    const sorted = ["FEED#0000000000000001", keys.dosEnd, "DO#zzzz", "DECK", "DO#0000"].sort();
    expect(sorted).toEqual(["DECK", "DO#0000", "DO#zzzz", keys.dosEnd, "FEED#0000000000000001"]);
    expect(keys.changeSortKey(9) < keys.changeSortKey(10)).toBe(true);
  });

  it("lists decks being deleted in one known partition, keyed by deck id", () => {
    expect(keys.pendingDeletion("d1")).toEqual({ PK: "DELETING", SK: "DECK#d1" });
    expect(keys.pendingDeletionPartition).toBe("DELETING");
  });

  it("builds the owner access row key from sub, lower-cased name and deck id", () => {
    expect(keys.ownerAccess("auth0|u1", "focus", "d1")).toEqual({
      PK: "ACCESS#USER#auth0|u1",
      SK: "DECK#focus#d1",
    });
    expect(keys.ownerPartition("auth0|u1")).toBe("ACCESS#USER#auth0|u1");
  });

  it("builds the collaborator access row key from the email", () => {
    expect(keys.collaboratorAccess("friend@example.com", "focus", "d1")).toEqual({
      PK: "ACCESS#EMAIL#friend@example.com",
      SK: "DECK#focus#d1",
    });
    expect(keys.collaboratorPartition("friend@example.com")).toBe(
      "ACCESS#EMAIL#friend@example.com",
    );
  });

  it("makes the search prefix a prefix of every matching access sort key", () => {
    expect(keys.accessPrefix("fo")).toBe("DECK#fo");
    expect(keys.accessPrefix("")).toBe("DECK#");
    expect(keys.ownerAccess("u", "focus", "d1").SK.startsWith(keys.accessPrefix("fo"))).toBe(true);
  });

  it("sorts the deck item before its dos, so one Query reads the deck first", () => {
    const sorted = [keys.do("d1", "0"), keys.deck("d1"), keys.do("d1", "Z")]
      .map((key) => key.SK)
      .sort();
    expect(sorted[0]).toBe("DECK");
  });

  it("reserves a readiness key no item uses", () => {
    expect(keys.readiness()).toEqual({ PK: "HEALTH", SK: "HEALTH" });
  });

  it("keeps the largest bounded values within DynamoDB's key sizes (PK 2048, SK 1024 bytes)", () => {
    const bytes = (n: number) => "\u{1F600}".repeat(n / 4); // 4 bytes each
    const uuid = "507c7963-1c48-4437-8174-71eb0c4bb5c4";
    const name = bytes(limits.keyBytes.deckName);
    const owner = keys.ownerAccess(bytes(limits.keyBytes.sub), name, uuid);
    const shared = keys.collaboratorAccess(`${"é".repeat(124)}@x.io`, name, uuid);
    expect(utf8Bytes(owner.PK)).toBeLessThanOrEqual(2048);
    expect(utf8Bytes(shared.PK)).toBeLessThanOrEqual(2048);
    expect(utf8Bytes(owner.SK)).toBeLessThanOrEqual(1024);
    expect(utf8Bytes(keys.accessPrefix(bytes(limits.keyBytes.search)))).toBeLessThanOrEqual(1024);
  });
});
