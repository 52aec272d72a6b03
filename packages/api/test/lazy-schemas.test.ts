import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../../../test/support/issuer.ts";

/**
 * The cold start builds no zod schema: each is built on its first use (docs/performance.md).
 * Observed through zod's registry of named schemas, which a schema joins when it is built.
 * Each test file runs in a fresh process, and these tests run in order: the first request
 * that needs a schema is the one that builds it. No table is touched: every request here is
 * answered before the app reads one.
 */
const built = () => [...z.globalRegistry._idmap.keys()].sort();

describe("zod schemas built on first use", () => {
  it("building the app builds none, nor do /healthz and a request refused for its token", async () => {
    const issuer = await createTestIssuer();
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      ENVIRONMENT: "local",
    });
    const app = createApp(createDeps(config, { keys: issuer.keys, log: () => {} }));
    expect(built()).toEqual([]);

    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/v1/decks", { method: "POST" })).status).toBe(401);
    expect(built()).toEqual([]);

    // A body the schema refuses is answered before any read: it builds its route's schema only.
    const token = await issuer.tokenFor({ sub: "auth0|lazy", email: "lazy@example.com" });
    const refused = await app.request("/v1/decks", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "" }),
    });
    expect(refused.status).toBe(422);
    expect(built()).toEqual(["CreateDeck"]);

    // The document names every schema, so serving it builds them all.
    expect((await app.request("/openapi.json")).status).toBe(200);
    expect(built()).toEqual(
      expect.arrayContaining(["CreateDeck", "CreateDo", "DeckDetail", "DoPage", "Problem"]),
    );
  });
});
