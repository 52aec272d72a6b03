import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import type { TestUser } from "../../../test/support/issuer.ts";
import { createDeck, createDo, expectProblem, share } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

let userCount = 0;
/** A user of their own per test, so lists in one table do not see each other's decks. */
function freshUser(overrides: Partial<TestUser> = {}): Required<Pick<TestUser, "sub">> & TestUser {
  userCount++;
  return { sub: `auth0|list-${userCount}`, email: `List${userCount}@Example.com`, ...overrides };
}

type Summary = { deckId: string; name: string; isOwner: boolean; collaborators: number };

async function list(user: TestUser, query = "") {
  const reply = await t.call(user, "GET", `/v1/decks${query}`);
  expect(reply.status).toBe(200);
  return reply.body as { items: Summary[]; nextCursor: string | null };
}
const namesOf = (page: { items: Summary[] }) => page.items.map((item) => item.name);

/** Follows nextCursor to the end, returning every item and the number of pages. */
async function walk(user: TestUser, path: string, limit: number, fullPages = true) {
  const items: { [key: string]: unknown }[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const query = `${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const reply = await t.call(user, "GET", `${path}${query}`);
    expect(reply.status).toBe(200);
    expect(reply.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...reply.body.items);
    cursor = reply.body.nextCursor;
    pages++;
    if (cursor !== null && fullPages) expect(reply.body.items).toHaveLength(limit);
  } while (cursor !== null);
  return { items, pages };
}

describe("GET /v1/decks: visibility", () => {
  it("defaults to all: owned decks first, then shared ones, each by name case-insensitively", async () => {
    const me = freshUser();
    const other = freshUser();
    for (const name of ["banana", "Apple", "cherry"]) await createDeck(t, me, name);
    for (const name of ["zulu", "Alpha", "mango"]) {
      const id = await createDeck(t, other, name);
      await share(t, id, me.email!, other);
    }
    const page = await list(me);
    expect(namesOf(page)).toEqual(["Apple", "banana", "cherry", "Alpha", "mango", "zulu"]);
    expect(page.items.map((item) => item.isOwner)).toEqual([true, true, true, false, false, false]);
    expect(page.nextCursor).toBeNull();
    expect(await list(me, "?visibility=all")).toEqual(page);
  });

  it("mine lists only owned decks; shared lists only decks shared with the caller", async () => {
    const me = freshUser();
    const other = freshUser();
    const mine = await createDeck(t, me, "Mine");
    const theirs = await createDeck(t, other, "Theirs");
    await share(t, theirs, me.email!, other);
    expect((await list(me, "?visibility=mine")).items).toEqual([
      { deckId: mine, name: "Mine", isOwner: true, collaborators: 0 },
    ]);
    expect((await list(me, "?visibility=shared")).items).toEqual([
      { deckId: theirs, name: "Theirs", isOwner: false, collaborators: 1 },
    ]);
  });

  it("answers 403 email_required for shared when the token has no email, but lists own decks for all and mine", async () => {
    const me = freshUser({ email: undefined });
    await createDeck(t, me, "Own");
    expectProblem(await t.call(me, "GET", "/v1/decks?visibility=shared"), 403, "email_required");
    expect(namesOf(await list(me))).toEqual(["Own"]);
    expect(namesOf(await list(me, "?visibility=mine"))).toEqual(["Own"]);
  });

  it("answers 403 email_not_verified for shared to an unverified caller, who still sees own decks with all", async () => {
    const me = freshUser({ emailVerified: false });
    const other = freshUser();
    await createDeck(t, me, "Own");
    const theirs = await createDeck(t, other, "Shared with unverified");
    await share(t, theirs, me.email!, other);
    expectProblem(
      await t.call(me, "GET", "/v1/decks?visibility=shared"),
      403,
      "email_not_verified",
    );
    expect(namesOf(await list(me))).toEqual(["Own"]);
  });

  it("answers 422 for an unknown visibility", async () => {
    expectProblem(
      await t.call(users.owner, "GET", "/v1/decks?visibility=everyone"),
      422,
      "validation_failed",
    );
  });
});

describe("GET /v1/decks: search", () => {
  it("matches a case-insensitive prefix of the name, in owned and shared decks", async () => {
    const me = freshUser();
    const other = freshUser();
    for (const name of ["Apple pie", "apricot", "grape", "Banana"]) await createDeck(t, me, name);
    const shared = await createDeck(t, other, "APex");
    await share(t, shared, me.email!, other);
    await createDeck(t, other, "Apple of their eye");

    expect(namesOf(await list(me, "?search=AP"))).toEqual(["Apple pie", "apricot", "APex"]);
    expect(namesOf(await list(me, "?search=apple%20P"))).toEqual(["Apple pie"]);
    expect(namesOf(await list(me, "?search=ape"))).toEqual(["APex"]);
    expect(namesOf(await list(me, "?search=rape"))).toEqual([]);
    expect(namesOf(await list(me, "?search=ap&visibility=mine"))).toEqual(["Apple pie", "apricot"]);
    expect(namesOf(await list(me, "?search="))).toHaveLength(5);
  });

  it("does not match a shorter name through the '#' that separates name and id in the key", async () => {
    const me = freshUser();
    for (const name of ["Go", "go#2", "C# notes", "C"]) await createDeck(t, me, name);
    expect(namesOf(await list(me, "?search=go%23"))).toEqual(["go#2"]);
    expect(namesOf(await list(me, "?search=c%23"))).toEqual(["C# notes"]);
    // Order aside (see the known sort deviation below), "c" finds both.
    expect(namesOf(await list(me, "?search=c")).sort()).toEqual(["C", "C# notes"]);
    // Rows the key prefix matches but the name does not are skipped after the read, so such a
    // search may return a short page before the last one; it still yields each match once.
    const paged = await walk(me, "/v1/decks?search=go%23", 1, false);
    expect(paged.items.map((item) => item.name)).toEqual(["go#2"]);
  });

  it("answers 422 for a search longer than 120 characters", async () => {
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks?search=${"a".repeat(121)}`),
      422,
      "validation_failed",
    );
  });
});

describe("GET /v1/decks: sorting", () => {
  it("sorts names case-insensitively, whatever characters they contain", async () => {
    const me = freshUser();
    for (const name of ["b", "A", "a2", "Z", "_x", "0"]) await createDeck(t, me, name);
    expect(namesOf(await list(me))).toEqual(["0", "_x", "A", "a2", "b", "Z"]);
  });

  // Known deviation, kept visible: the access row's sort key is SPEC's `DECK#{nameLower}#{id}`,
  // and " ", "!" and '"' sort before "#", so "Go home" lists before "Go". Fixing it means a
  // different key layout than SPEC's data model. `it.fails` turns red once it is fixed.
  it.fails("sorts a name before its own extensions with a space ('Go' before 'Go home')", async () => {
    const me = freshUser();
    for (const name of ["Go home", "Go"]) await createDeck(t, me, name);
    expect(namesOf(await list(me))).toEqual(["Go", "Go home"]);
  });
});

describe("GET /v1/decks: pagination", () => {
  it("defaults to 50 per page and ends with nextCursor null", async () => {
    const me = freshUser();
    for (let i = 0; i < 51; i++) await createDeck(t, me, `deck ${String(i).padStart(2, "0")}`);
    const first = await list(me, "?visibility=mine");
    expect(first.items).toHaveLength(50);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(
      me,
      `?visibility=mine&cursor=${encodeURIComponent(first.nextCursor!)}`,
    );
    expect(namesOf(second)).toEqual(["deck 50"]);
    expect(second.nextCursor).toBeNull();
  }, 60_000); // 51 sequential creates: slow on a loaded machine

  it("walks owned then shared pages, yielding every deck exactly once and in order", async () => {
    const me = freshUser();
    const other = freshUser();
    for (const name of ["d", "B", "a", "C"]) await createDeck(t, me, name);
    for (const name of ["z", "X", "y"]) {
      const id = await createDeck(t, other, name);
      await share(t, id, me.email!, other);
    }
    const everything = (await list(me)).items;
    expect(namesOf({ items: everything })).toEqual(["a", "B", "C", "d", "X", "y", "z"]);
    for (const limit of [1, 2, 3, 4, 7, 100]) {
      const walked = await walk(me, "/v1/decks", limit);
      expect(walked.items, `limit ${limit}`).toEqual(everything);
      expect(walked.pages).toBe(Math.max(1, Math.ceil(everything.length / limit)));
    }
    const shared = await walk(me, "/v1/decks?visibility=shared", 2);
    expect(shared.items.map((item) => item.name)).toEqual(["X", "y", "z"]);
  });

  it("answers nextCursor null when the last page is exactly full", async () => {
    const me = freshUser();
    await createDeck(t, me, "one");
    await createDeck(t, me, "two");
    expect((await list(me, "?limit=2")).nextCursor).toBeNull();
    expect((await list(me, "?limit=2&visibility=mine")).nextCursor).toBeNull();
  });

  it("answers 422 for limit 0, 101, 1.5, abc or a non-decimal form (0x10, 1e1), and accepts 1 and 100", async () => {
    for (const limit of ["0", "101", "1.5", "abc", "-1", "0x10", "1e1", "%2016", "016.0", ""]) {
      const reply = await t.call(users.owner, "GET", `/v1/decks?limit=${limit}`);
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors[0].path).toBe("limit");
    }
    for (const limit of ["1", "100"]) {
      expect((await t.call(users.owner, "GET", `/v1/decks?limit=${limit}`)).status).toBe(200);
    }
  });

  it("answers 422 (never 500) for a garbage, tampered, foreign or other-list cursor", async () => {
    const me = freshUser();
    const other = freshUser();
    for (const name of ["a", "b", "c"]) await createDeck(t, me, name);
    for (const name of ["a", "b", "c"]) await createDeck(t, other, name);
    const mine = (await list(me, "?limit=1")).nextCursor!;
    const theirs = (await list(other, "?limit=1")).nextCursor!;
    const mineOnly = (await list(me, "?limit=1&visibility=mine")).nextCursor!;
    const searched = (await list(me, "?limit=1&search=a")).nextCursor;
    expect(searched).toBeNull();
    const withSearch = (await list(me, "?limit=1&search=")).nextCursor!;
    expect(withSearch).toEqual(expect.any(String));

    const flipped = `${mine.slice(0, 10)}${mine[10] === "A" ? "B" : "A"}${mine.slice(11)}`;
    const bad = [
      "garbage",
      "!!!",
      "%00",
      flipped,
      mine.slice(0, -4),
      theirs, // another caller's partition
      mineOnly, // another visibility
      "A".repeat(3_000),
    ];
    for (const cursor of bad) {
      const reply = await t.call(
        me,
        "GET",
        `/v1/decks?limit=1&cursor=${encodeURIComponent(cursor)}`,
      );
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors[0].path).toBe("cursor");
    }
    // A cursor from a search list does not continue another search.
    const b = await t.call(me, "GET", `/v1/decks?limit=1&search=b&cursor=${mine}`);
    expectProblem(b, 422, "validation_failed");
  });
});

describe("GET /v1/decks/{deckId}/dos: pagination", () => {
  it("walks every do exactly once in creation order, with limit 1..n", async () => {
    const me = freshUser();
    const deckId = await createDeck(t, me, "Paged dos");
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await createDo(t, me, deckId, `do ${i}`));
    for (const limit of [1, 3, 7, 50]) {
      const walked = await walk(me, `/v1/decks/${deckId}/dos`, limit);
      expect(walked.items, `limit ${limit}`).toEqual(made);
      expect(walked.pages).toBe(Math.ceil(made.length / limit));
    }
  });

  it("answers 422 for a bad limit or a cursor from another deck or list, and 404 to a stranger with a cursor", async () => {
    const me = freshUser();
    const a = await createDeck(t, me, "A");
    const b = await createDeck(t, me, "B");
    for (let i = 0; i < 3; i++) {
      await createDo(t, me, a, `a${i}`);
      await createDo(t, me, b, `b${i}`);
    }
    await createDeck(t, me, "C");
    const cursorA = (await t.call(me, "GET", `/v1/decks/${a}/dos?limit=1`)).body.nextCursor;
    const decksCursor = (await list(me, "?limit=1")).nextCursor!;
    for (const limit of ["0", "101", "abc"]) {
      expectProblem(
        await t.call(me, "GET", `/v1/decks/${a}/dos?limit=${limit}`),
        422,
        "validation_failed",
      );
    }
    for (const cursor of [cursorA, decksCursor, "nope", `${cursorA}x`]) {
      const reply = await t.call(
        me,
        "GET",
        `/v1/decks/${b}/dos?cursor=${encodeURIComponent(cursor)}`,
      );
      expectProblem(reply, 422, "validation_failed");
    }
    const stranger = await t.call(users.stranger, "GET", `/v1/decks/${a}/dos?cursor=${cursorA}`);
    expectProblem(stranger, 404, "deck_not_found");
  });
});
