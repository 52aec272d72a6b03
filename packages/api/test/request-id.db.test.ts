import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";

/**
 * The request id is set on the finished response's headers (not by rebuilding the response,
 * which the benchmark showed to be costly): every kind of response must still carry it, with
 * its body intact.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("x-request-id", () => {
  it("is on a JSON success response, whose body and type are untouched", async () => {
    const created = await t.call(users.owner, "POST", "/v1/decks", { name: "Request ids" });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-request-id")).toMatch(UUID);
    expect(created.headers.get("content-type")).toMatch(/^application\/json/);
    expect(created.body.name).toBe("Request ids");
  });

  it("is on a 204 with no body", async () => {
    const { body } = await t.call(users.owner, "POST", "/v1/decks", { name: "Gone soon" });
    const removed = await t.call(users.owner, "DELETE", `/v1/decks/${body.deckId}`);
    expect(removed.status).toBe(204);
    expect(removed.headers.get("x-request-id")).toMatch(UUID);
  });

  it("is on problem responses from onError, notFound and 405", async () => {
    for (const [user, method, path, status] of [
      [null, "GET", "/v1/decks", 401],
      [users.owner, "GET", "/v1/decks/01ARZ3NDEKTSV4RRFFQ69G5FAV", 404],
      [null, "GET", "/nowhere", 404],
      [null, "DELETE", "/healthz", 405],
    ] as const) {
      const reply = await t.call(user, method, path);
      expect(reply.status).toBe(status);
      expect(reply.headers.get("x-request-id")).toMatch(UUID);
      expect(reply.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(reply.body.status).toBe(status);
    }
  });

  it("is a fresh id per request, never the client's", async () => {
    const a = await t.call(null, "GET", "/healthz", undefined, { "x-request-id": "chosen" });
    const b = await t.call(null, "GET", "/healthz");
    expect(a.headers.get("x-request-id")).not.toBe("chosen");
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });
});
