import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";

/** The same races as packages/core/test/concurrency.db.test.ts, seen as HTTP statuses. */
let t: TestApp;
let failBatchWrites = false;

beforeAll(async () => {
  t = await createTestApp();
  t.store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (failBatchWrites && context.commandName === "BatchWriteItemCommand") {
        throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      }
      return next(args);
    },
    { step: "initialize", name: "apiRaceFaults" },
  );
});

const leftovers = async (deckId: string) =>
  (await scanAll(t.store)).filter(
    (item) => item.deckId === deckId || String(item.PK) === `DECK#${deckId}`,
  );

async function newDeck(name: string): Promise<string> {
  const created = await t.call(users.owner, "POST", "/v1/decks", { name });
  expect(created.status).toBe(201);
  return created.body.deckId;
}

describe("concurrent requests", () => {
  it("answers exactly one 201 and otherwise 409 collaborator_exists to parallel shares of one email", async () => {
    for (let round = 0; round < 3; round++) {
      const deckId = await newDeck(`Dup ${round}`);
      const emails = ["sam@example.com", "Sam@Example.com", "SAM@EXAMPLE.COM", "sam@example.com"];
      const responses = await Promise.all(
        [...emails, ...emails].map((email) =>
          t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, { email }),
        ),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const response of responses.filter((r) => r.status === 409)) {
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(response.body.code).toBe("collaborator_exists");
      }
      const deck = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
      expect(deck.body.collaborators).toEqual(["sam@example.com"]);
    }
  });

  it("answers 200, never 500, to a case-only rename and a rename to the same name", async () => {
    const deckId = await newDeck("Chores");
    for (const email of ["a@example.com", "b@example.com"]) {
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, { email });
    }
    for (const name of ["CHORES", "CHORES", "chores", " chores "]) {
      const renamed = await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe(name.trim());
    }
    const parallel = await Promise.all(
      ["Chores", "CHORES", "cHoReS"].map((name) =>
        t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name }),
      ),
    );
    for (const response of parallel) expect([200, 503]).toContain(response.status);
    const listed = await t.call(
      { sub: "auth0|a", email: "a@example.com" },
      "GET",
      "/v1/decks?visibility=shared",
    );
    const current = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(listed.body.items).toEqual([
      { deckId, name: current.body.name, isOwner: false, collaborators: 2 },
    ]);
  });

  it("answers 204 to a delete racing creates of dos (201 or 404 each) and leaves nothing", async () => {
    for (let round = 0; round < 4; round++) {
      const deckId = await newDeck(`Race ${round}`);
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
        email: "friend@example.com",
      });
      const [removed, ...created] = await Promise.all([
        t.call(users.owner, "DELETE", `/v1/decks/${deckId}`),
        ...Array.from({ length: 8 }, (_, i) =>
          t.call(i % 2 ? users.friend : users.owner, "POST", `/v1/decks/${deckId}/dos`, {
            text: `racing ${i}`,
          }),
        ),
      ]);
      expect(removed?.status).toBe(204);
      for (const response of created) {
        expect([201, 404]).toContain(response.status);
        if (response.status === 404) expect(response.body.code).toBe("deck_not_found");
      }
      expect(await leftovers(deckId)).toEqual([]);
    }
  });

  it("answers 503 with Retry-After to a delete interrupted midway, hides the deck, and finishes on retry", async () => {
    const deckId = await newDeck("Interrupted");
    for (let i = 0; i < 5; i++) {
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/dos`, { text: `do ${i}` });
    }
    failBatchWrites = true;
    const interrupted = await t.call(users.owner, "DELETE", `/v1/decks/${deckId}`);
    failBatchWrites = false;
    expect(interrupted.status).toBe(503);
    expect(interrupted.headers.get("retry-after")).toBeTruthy();
    expect(interrupted.body.code).toBe("service_unavailable");
    expect((await leftovers(deckId)).length).toBeGreaterThan(0);

    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).status).toBe(404);
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`)).status).toBe(404);
    const list = await t.call(users.owner, "GET", "/v1/decks");
    expect(list.body.items.map((item: { deckId: string }) => item.deckId)).not.toContain(deckId);

    expect((await t.call(users.owner, "DELETE", `/v1/decks/${deckId}`)).status).toBe(204);
    expect(await leftovers(deckId)).toEqual([]);
  });
});
