import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("smoke", () => {
  it("creates a deck, shares it, adds a do, and lists", async () => {
    const created = await t.call(users.owner, "POST", "/v1/decks", { name: " Groceries " });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe("Groceries");
    const id = created.body.deckId;
    const shared = await t.call(users.owner, "POST", `/v1/decks/${id}/collaborators`, {
      email: "friend@example.com",
    });
    expect(shared.status).toBe(201);
    expect(shared.body.collaborators).toEqual(["friend@example.com"]);
    const made = await t.call(users.friend, "POST", `/v1/decks/${id}/dos`, { text: "milk" });
    expect(made.status).toBe(201);
    const list = await t.call(users.friend, "GET", "/v1/decks");
    expect(list.body).toEqual({
      items: [{ deckId: id, name: "Groceries", isOwner: false, collaborators: 1 }],
      nextCursor: null,
    });
    const openapi = await t.call(null, "GET", "/openapi.json");
    expect(openapi.status).toBe(200);
    const renamed = await t.call(users.owner, "PATCH", `/v1/decks/${id}`, { name: "Food" });
    expect(renamed.status).toBe(200);
    const gone = await t.call(users.owner, "DELETE", `/v1/decks/${id}`);
    expect(gone.status).toBe(204);
    const after = await t.call(users.owner, "GET", `/v1/decks/${id}`);
    expect(after.status).toBe(404);
    expect(after.body.code).toBe("deck_not_found");
    const wrong = await t.call(users.owner, "PUT", `/v1/decks/${id}`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD");
  });
});
