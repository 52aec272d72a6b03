import { describe, expect, it } from "vitest";
import { deckFromAnyItem, deckIdOfAccessRow } from "../src/items.ts";

describe("reading items the migration meets", () => {
  it("reads a sparse deck item (attributes missing) with its id from the key, never 'undefined'", () => {
    expect(deckFromAnyItem({ PK: "DECK#d1", SK: "DECK" })).toEqual({
      deckId: "d1",
      name: "",
      ownerSub: "",
      collaborators: [],
      createdAt: "",
      updatedAt: "",
      version: 0,
      deleting: false,
      lastChangeAt: 0,
      doCount: 0,
    });
  });

  it("reads only deck items: another type, or a key that is no deck's, is no deck", () => {
    expect(deckFromAnyItem({ PK: "DECK#d1", SK: "DECK", type: "deck" })?.deckId).toBe("d1");
    expect(deckFromAnyItem({ PK: "DECK#d1", SK: "DECK", type: "do" })).toBeUndefined();
    expect(deckFromAnyItem({ PK: "DECK#d1", SK: "DO#x" })).toBeUndefined();
    expect(deckFromAnyItem({ PK: 7, SK: "DECK" })).toBeUndefined();
  });

  it("keeps each collaborator once, however the old service spelled their email", () => {
    const legacy = {
      PK: "DECK#d1",
      SK: "DECK",
      collaborators: { "Bob@Example.com": { addedAt: "x" }, "bob@example.com": { addedAt: "y" } },
    };
    expect(deckFromAnyItem(legacy)?.collaborators).toEqual(["bob@example.com"]);
    const set = {
      PK: "DECK#d1",
      SK: "DECK",
      collaborators: new Set(["b@x.io", "A@x.io", "a@x.io"]),
    };
    expect(deckFromAnyItem(set)?.collaborators).toEqual(["a@x.io", "b@x.io"]);
  });

  it("finds an access row's deck in its sort key when the row has no deckId, whatever the name holds", () => {
    expect(deckIdOfAccessRow({ PK: "ACCESS#USER#u", SK: "DECK#groceries#d1" })).toBe("d1");
    expect(deckIdOfAccessRow({ PK: "ACCESS#USER#u", SK: "DECK#a#b ##c#d2" })).toBe("d2");
    expect(deckIdOfAccessRow({ PK: "ACCESS#USER#u", SK: "DECK#x#d3", deckId: "d4" })).toBe("d4");
  });
});
