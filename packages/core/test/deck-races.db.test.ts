import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  beforeTransactions,
  createTestStore,
  keyOf,
  type TransactAction,
  transactionConflict,
} from "../../../test/support/dynamo.ts";
import {
  AppError,
  createDeckService,
  type DeckService,
  keys,
  type Store,
  versionOf,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

/**
 * Deck writes that lose races with other processes' transactions (DynamoDB cancels them with
 * TransactionConflict), made to happen on cue; and refusals whose words a client shows.
 */
const { owner, friend, unverified } = callers;

let store: Store;
let decks: DeckService;
/** Transactions that write a deck item to cancel with TransactionConflict, from the next on. */
let conflictsLeft = 0;
let deckTransactions = 0;

const writesDeck = (action: TransactAction) => keyOf(action)?.SK === keys.deckSortKey;

beforeAll(async () => {
  store = await createTestStore("deck-races");
  beforeTransactions(store, (actions) => {
    if (!actions.some(writesDeck)) return;
    deckTransactions++;
    if (conflictsLeft > 0) {
      conflictsLeft--;
      throw transactionConflict(actions, writesDeck);
    }
  });
  decks = createDeckService({ store, policy: strictPolicy });
});

beforeEach(() => {
  conflictsLeft = 0;
  deckTransactions = 0;
});

async function gaveUp(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: "service_unavailable", retryAfter: 1 });
  expect((error as AppError).cause).toBeInstanceOf(TransactionCanceledException);
}

describe("a deck write that loses to conflicting transactions", () => {
  it("creating retries the race, then gives up with 503 and Retry-After after eight attempts", async () => {
    conflictsLeft = 3;
    const made = await decks.create(owner, { name: "After three" });
    expect(deckTransactions).toBe(4);
    expect(await decks.get(owner, made.deckId)).toMatchObject({ name: "After three" });

    conflictsLeft = 100;
    deckTransactions = 0;
    await gaveUp(decks.create(owner, { name: "Never" }));
    expect(deckTransactions).toBe(8);
    const names = (await decks.list(owner, { visibility: "mine", limit: 50 })).items.map(
      (item) => item.name,
    );
    expect(names).not.toContain("Never");
  });

  it("renaming and sharing retry the race, then give up the same way, and the deck is as it was", async () => {
    const { deckId } = await decks.create(owner, { name: "Contended" });
    conflictsLeft = 2;
    deckTransactions = 0;
    await decks.share(owner, deckId, { email: friend.email });
    expect(deckTransactions).toBe(3);

    conflictsLeft = 100;
    deckTransactions = 0;
    await gaveUp(decks.rename(owner, deckId, { name: "Never" }));
    expect(deckTransactions).toBe(8);
    await gaveUp(decks.unshare(owner, deckId, friend.email));
    conflictsLeft = 0;
    expect(await decks.get(owner, deckId)).toMatchObject({
      name: "Contended",
      collaborators: [friend.email],
    });
  });
});

describe("a deck's version", () => {
  it("goes up by one with each rename, share and unshare, so every ETag a client holds goes stale", async () => {
    const made = await decks.create(owner, { name: "Versions" });
    const versions = [versionOf(made)];
    versions.push(versionOf(await decks.rename(owner, made.deckId, { name: "Renamed" })));
    versions.push(versionOf(await decks.share(owner, made.deckId, { email: friend.email })));
    await decks.unshare(owner, made.deckId, friend.email);
    versions.push(versionOf(await decks.get(owner, made.deckId)));
    expect(versions).toEqual([1, 2, 3, 4]);
  });
});

describe("a deck's collaborators", () => {
  it("are listed in order, whatever order they were added in", async () => {
    const { deckId } = await decks.create(owner, { name: "Ordered" });
    await decks.share(owner, deckId, { email: "zed@example.com" });
    const shared = await decks.share(owner, deckId, { email: "amy@example.com" });
    expect(shared.collaborators).toEqual(["amy@example.com", "zed@example.com"]);
    expect((await decks.get(owner, deckId)).collaborators).toEqual(shared.collaborators);
  });
});

describe("refusals a client shows", () => {
  it("a full owner is told the quota, and the deck is not made", async () => {
    const quotas = { decksPerOwner: 1, dosPerDeck: 10 };
    const limited = createDeckService({ store, policy: strictPolicy, quotas });
    const owner2 = { ...owner, sub: `auth0|quota-${Date.now()}` };
    await limited.create(owner2, { name: "Only" });
    const error = await limited.create(owner2, { name: "Second" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "deck_limit",
      detail: "An owner has at most 1 decks; delete one first.",
    });
  });

  it("listing shared decks without a usable email says which is missing", async () => {
    const noEmail = { sub: "auth0|no-email", emailVerified: false };
    expect(
      await decks.list(noEmail, { visibility: "shared", limit: 10 }).catch((e: unknown) => e),
    ).toMatchObject({ code: "email_required", detail: "Your token carries no email address." });
    expect(
      await decks.list(unverified, { visibility: "shared", limit: 10 }).catch((e: unknown) => e),
    ).toMatchObject({
      code: "email_not_verified",
      detail: "Verify your email address to list shared decks.",
    });
  });
});

describe("searching decks by name", () => {
  it("ignores the spaces around the search, and a '#' in it matches names, not the key's separator", async () => {
    const searcher = { ...owner, sub: `auth0|search-${Date.now()}` };
    for (const name of ["go", "go#team", "Golf"]) await decks.create(searcher, { name });
    const names = async (search: string) =>
      (await decks.list(searcher, { visibility: "mine", limit: 10, search })).items
        .map((item) => item.name)
        .sort();
    expect(await names("  go  ")).toEqual(["Golf", "go", "go#team"].sort());
    expect(await names("go#")).toEqual(["go#team"]);
    expect(await outcomeOf(decks.list(searcher, { visibility: "mine", limit: 10 }))).toBe("ok");
  });
});

describe("an Idempotency-Key reused for another request", () => {
  it("is refused for another deck name or another collaborator, and replays the same one", async () => {
    const who = { ...owner, sub: `auth0|keys-${Date.now()}` };
    const made = await decks.create(who, { name: "Keyed" }, { idempotencyKey: "create-1" });
    expect(
      await outcomeOf(decks.create(who, { name: "Other" }, { idempotencyKey: "create-1" })),
    ).toBe("idempotency_key_reused");
    expect(await decks.create(who, { name: "Keyed" }, { idempotencyKey: "create-1" })).toEqual(
      made,
    );

    await decks.share(who, made.deckId, { email: friend.email }, { idempotencyKey: "share-1" });
    expect(
      await outcomeOf(
        decks.share(
          who,
          made.deckId,
          { email: "other@example.com" },
          { idempotencyKey: "share-1" },
        ),
      ),
    ).toBe("idempotency_key_reused");
    expect((await decks.get(who, made.deckId)).collaborators).toEqual([friend.email]);
  });
});
