import { createDoDeckClient, type ProblemCodeOf } from "@dodeck/client";
import { beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { readReply } from "../../../test/support/http.ts";
import type { TestUser } from "../../../test/support/issuer.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

/** The published typed client, talking to the in-process app; every reply checked against the document. */
function clientFor(user: TestUser) {
  return createDoDeckClient({
    baseUrl: "http://dodeck.test",
    token: () => t.issuer.tokenFor(user),
    fetch: async (request) => {
      const response = await t.app.request(request);
      const url = new URL(request.url);
      await readReply(response.clone(), { method: request.method, path: url.pathname });
      return response;
    },
  });
}

describe("smoke, through the typed client", () => {
  it("creates a deck, shares it, adds a do, lists, renames and deletes", async () => {
    const owner = clientFor(users.owner);
    const friend = clientFor(users.friend);

    const created = await owner.POST("/v1/decks", { body: { name: " Groceries " } });
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe("Groceries");
    const deckId = created.data!.deckId;
    const params = { path: { deckId } };

    const shared = await owner.POST("/v1/decks/{deckId}/collaborators", {
      params,
      body: { email: "friend@example.com" },
    });
    expect(shared.data?.collaborators).toEqual(["friend@example.com"]);

    const made = await friend.POST("/v1/decks/{deckId}/dos", { params, body: { text: "milk" } });
    expect(made.response.status).toBe(201);
    expect(made.data).toMatchObject({ deckId, text: "milk", completed: false });

    const list = await friend.GET("/v1/decks", { params: { query: { visibility: "shared" } } });
    expect(list.data).toEqual({
      items: [{ deckId, name: "Groceries", isOwner: false, collaborators: 1 }],
      nextCursor: null,
    });

    const openapi = await owner.GET("/openapi.json");
    expect(openapi.data?.openapi).toMatch(/^3\.1\./);

    const renamed = await owner.PATCH("/v1/decks/{deckId}", { params, body: { name: "Food" } });
    expect(renamed.data?.name).toBe("Food");

    const refused = await friend.PATCH("/v1/decks/{deckId}", { params, body: { name: "Mine" } });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.code).toBe("owner_only");

    const gone = await owner.DELETE("/v1/decks/{deckId}", { params });
    expect(gone.response.status).toBe(204);
    const after = await owner.GET("/v1/decks/{deckId}", { params });
    expect(after.response.status).toBe(404);
    expect(after.error?.code).toBe("deck_not_found");

    // Not expressible through the client (PUT is no operation): the raw 405 with Allow.
    const wrong = await t.call(users.owner, "PUT", `/v1/decks/${deckId}`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD");
  });

  it("types each route's problem codes", () => {
    expectTypeOf<ProblemCodeOf<"getDeck">>().toEqualTypeOf<
      | "unauthorized"
      | "email_not_verified"
      | "deck_not_found"
      | "service_unavailable"
      | "internal_error"
    >();
    expectTypeOf<ProblemCodeOf<"getHealth">>().toEqualTypeOf<"internal_error">();
    expectTypeOf<"no_updates_provided">().toExtend<ProblemCodeOf<"updateDo">>();
    expectTypeOf<"owner_only">().not.toExtend<ProblemCodeOf<"updateDo">>();
  });
});
