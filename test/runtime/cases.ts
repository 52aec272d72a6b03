import { describe, expect, it } from "vitest";
import { readReply } from "../support/http.ts";
import type { TestIssuer, TestUser } from "../support/issuer.ts";
import { CORS_ORIGIN, type Target } from "./support.ts";

export type RuntimeContext = { target: Target; issuer: TestIssuer };

const owner: TestUser = { sub: "auth0|runtime-owner", email: "owner@example.com" };
const stranger: TestUser = { sub: "auth0|runtime-stranger", email: "stranger@example.com" };

type Call = {
  user?: TestUser | string;
  body?: unknown;
  headers?: Record<string, string>;
};

/**
 * The one list of HTTP cases every runtime must pass, the way Hono's own `runtime-tests/`
 * run one app everywhere. A behaviour that differs between runtimes is a bug, so no case
 * knows which runtime it is talking to.
 */
export function describeRuntime(name: string, context: () => RuntimeContext) {
  async function call(method: string, path: string, options: Call = {}) {
    const { target, issuer } = context();
    const headers = new Headers(options.headers);
    if (options.user !== undefined) {
      const token =
        typeof options.user === "string" ? options.user : await issuer.tokenFor(options.user);
      headers.set("authorization", `Bearer ${token}`);
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const response = await target.fetch(
      new Request(`http://dodeck.test${path}`, { method, headers, body }),
    );
    return readReply(response, { method, path });
  }

  const expectProblem = (
    response: Awaited<ReturnType<typeof call>>,
    status: number,
    code: string,
  ) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code, type: expect.any(String) });
  };

  describe(`${name}: shared runtime cases`, () => {
    it("answers /healthz with version and environment, and its own request id", async () => {
      const health = await call("GET", "/healthz");
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ ok: true, version: expect.any(String), environment: "local" });
      expect(health.headers.get("cache-control")).toBe("no-store");
      expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const spoofed = await call("GET", "/healthz", { headers: { "x-request-id": "chosen" } });
      expect(spoofed.headers.get("x-request-id")).not.toBe("chosen");
    });

    it("answers /readyz 200 when the table answers", async () => {
      const ready = await call("GET", "/readyz");
      expect(ready.status).toBe(200);
    });

    it("serves the OpenAPI document and the docs page", async () => {
      const doc = await call("GET", "/openapi.json");
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe("3.1.0");
      expect(Object.keys(doc.body.paths)).toContain("/v1/decks/{deckId}/dos/{doId}");
      const docs = await call("GET", "/docs");
      expect(docs.status).toBe(200);
      expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    });

    it("answers 401 problem+json without a token, with garbage, and with a foreign key", async () => {
      expectProblem(await call("GET", "/v1/decks"), 401, "unauthorized");
      expectProblem(await call("GET", "/v1/decks", { user: "not.a.jwt" }), 401, "unauthorized");
      const foreign = await context().issuer.sign({ sub: owner.sub }, { kid: "unknown-kid" });
      expectProblem(await call("GET", "/v1/decks", { user: foreign }), 401, "unauthorized");
    });

    it("creates, reads, lists by query, adds a do, deletes a deck with a real signed token", async () => {
      const name = `Café ☕ ${crypto.randomUUID().slice(0, 8)}`;
      const created = await call("POST", "/v1/decks", { user: owner, body: { name: ` ${name} ` } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name, isOwner: true, ownerSub: owner.sub });
      const deckId = created.body.deckId as string;

      const read = await call("GET", `/v1/decks/${deckId}`, { user: owner });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);

      const search = encodeURIComponent(name.slice(0, 6).toLowerCase());
      const listed = await call("GET", `/v1/decks?search=${search}&visibility=mine&limit=5`, {
        user: owner,
      });
      expect(listed.status).toBe(200);
      expect(listed.body.items).toContainEqual({ deckId, name, isOwner: true, collaborators: 0 });

      const made = await call("POST", `/v1/decks/${deckId}/dos`, {
        user: owner,
        body: { text: "oat milk" },
      });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ deckId, text: "oat milk", completed: false });

      const hidden = await call("GET", `/v1/decks/${deckId}`, { user: stranger });
      expectProblem(hidden, 404, "deck_not_found");

      const deleted = await call("DELETE", `/v1/decks/${deckId}`, { user: owner });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectProblem(
        await call("GET", `/v1/decks/${deckId}`, { user: owner }),
        404,
        "deck_not_found",
      );
    });

    it("renders client errors as problem+json: bad JSON, wrong media type, schema, route, method", async () => {
      expectProblem(
        await call("POST", "/v1/decks", { user: owner, body: "{not json" }),
        400,
        "invalid_json",
      );
      expectProblem(
        await call("POST", "/v1/decks", {
          user: owner,
          body: "name=x",
          headers: { "content-type": "text/plain" },
        }),
        415,
        "unsupported_media_type",
      );
      const invalid = await call("POST", "/v1/decks", { user: owner, body: { name: "   " } });
      expectProblem(invalid, 422, "validation_failed");
      expect(invalid.body.errors).toEqual([{ path: "name", message: expect.any(String) }]);
      expectProblem(await call("GET", "/nope"), 404, "not_found");
      const wrongMethod = await call("PUT", "/v1/decks/some-id", { user: owner });
      expectProblem(wrongMethod, 405, "method_not_allowed");
      expect(wrongMethod.headers.get("allow")).toBe("GET, PATCH, DELETE, HEAD");
    });

    it("passes repeated headers, cookies and repeated query parameters through unchanged", async () => {
      const headers = new Headers({ cookie: "session=abc; theme=dark", "x-forwarded-for": "a" });
      headers.append("accept", "application/json");
      headers.append("accept", "application/problem+json");
      const listed = await call("GET", "/v1/decks?visibility=mine&limit=1", {
        user: owner,
        headers: Object.fromEntries(headers),
      });
      expect(listed.status).toBe(200);
      // Repeated query keys reach the validator as a list on every runtime, so it is a 422.
      const repeated = await call("GET", "/v1/decks?visibility=mine&visibility=all", {
        user: owner,
      });
      expectProblem(repeated, 422, "validation_failed");
    });

    it("answers a CORS preflight for an allowed origin and ignores others", async () => {
      const preflight = await call("OPTIONS", "/v1/decks", {
        headers: {
          origin: CORS_ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN);
      expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
      expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
      expect(preflight.headers.get("access-control-max-age")).toBe("600");

      const foreign = await call("OPTIONS", "/v1/decks", {
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull();

      const actual = await call("GET", "/healthz", { headers: { origin: CORS_ORIGIN } });
      expect(actual.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN);
      expect(actual.headers.get("access-control-expose-headers")).toMatch(/x-request-id/);
    });
  });
}
