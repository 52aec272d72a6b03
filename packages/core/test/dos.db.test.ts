import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/dynamo.ts";
import { AppError, createDeckService, createDoService, type Store } from "../src/index.ts";
import { callers, strictPolicy } from "./callers.ts";

const { owner, friend, unverified, stranger } = callers;
const policy = strictPolicy;

let store: Store & { counter: { calls: string[]; reset: () => void } };

beforeAll(async () => {
  store = await createTestStore("dos");
});

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
};

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

    expect(await codeOf(dos.create(unverified, deck.deckId, { text: "x" }))).toBe(
      "email_not_verified",
    );
    expect(await codeOf(dos.create(stranger, deck.deckId, { text: "x" }))).toBe("deck_not_found");

    const updated = await dos.update(friend, deck.deckId, milk.doId, { completed: true });
    expect(updated).toMatchObject({ text: "milk", completed: true });
    await dos.remove(owner, deck.deckId, eggs.doId);
    expect(await codeOf(dos.remove(owner, deck.deckId, eggs.doId))).toBe("do_not_found");
    expect(await codeOf(dos.update(owner, deck.deckId, eggs.doId, { text: "z" }))).toBe(
      "do_not_found",
    );
  });
});
