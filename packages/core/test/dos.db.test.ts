import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/dynamo.ts";
import { createDeckService, createDoService, type Store } from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

const { owner, friend, unverified, stranger } = callers;
const policy = strictPolicy;

let store: Store & { counter: { calls: string[]; reset: () => void } };

beforeAll(async () => {
  store = await createTestStore("dos");
});

describe("dos", () => {
  it("creates, lists, updates and deletes a do for the owner and a collaborator", async () => {
    const decks = createDeckService({ store, policy });
    const dos = createDoService({ store, policy });
    const deck = await decks.create(owner, { name: "Groceries" });
    await decks.share(owner, deck.deckId, { email: "friend@example.com" });
    await decks.share(owner, deck.deckId, { email: "unverified@example.com" });

    store.counter.reset();
    const milk = await dos.create(friend, deck.deckId, { text: "milk" });
    expect(store.counter.calls).toEqual(["TransactWriteItems"]);
    const eggs = await dos.create(owner, deck.deckId, { text: "eggs" });
    store.counter.reset();
    const page = await dos.list(owner, deck.deckId, { limit: 50 });
    expect(store.counter.calls).toEqual(["Query"]);
    expect(page.items.map((item) => item.text)).toEqual(["milk", "eggs"]);
    expect(page.nextCursor).toBeNull();

    expect(await outcomeOf(dos.create(unverified, deck.deckId, { text: "x" }))).toBe(
      "email_not_verified",
    );
    expect(await outcomeOf(dos.create(stranger, deck.deckId, { text: "x" }))).toBe(
      "deck_not_found",
    );

    const updated = await dos.update(friend, deck.deckId, milk.doId, { completed: true });
    expect(updated).toMatchObject({ text: "milk", completed: true });
    await dos.remove(owner, deck.deckId, eggs.doId);
    expect(await outcomeOf(dos.remove(owner, deck.deckId, eggs.doId))).toBe("do_not_found");
    expect(await outcomeOf(dos.update(owner, deck.deckId, eggs.doId, { text: "z" }))).toBe(
      "do_not_found",
    );
  });
});
