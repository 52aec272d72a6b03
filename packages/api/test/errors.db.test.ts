import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import { readReply } from "../../../test/support/http.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../../../test/support/issuer.ts";
import { authenticatedRoutes, createDeck, createDo, expectProblem } from "./helpers.ts";

let t: TestApp;
let deckId: string;
let doId: string;
beforeAll(async () => {
  t = await createTestApp();
  deckId = await createDeck(t, users.owner, "Hygiene");
  doId = (await createDo(t, users.owner, deckId, "original")).doId;
});

const json = { "content-type": "application/json" };
const stored = async () =>
  (await scanAll(t.store)).map((item) => JSON.stringify(item, (_, v) => v)).sort();

describe("request bodies", () => {
  it("answers 400 invalid_json to malformed JSON on every JSON route", async () => {
    const before = await stored();
    const routes: [string, string][] = [
      ["POST", "/v1/decks"],
      ["PATCH", `/v1/decks/${deckId}`],
      ["POST", `/v1/decks/${deckId}/collaborators`],
      ["POST", `/v1/decks/${deckId}/dos`],
      ["PATCH", `/v1/decks/${deckId}/dos/${doId}`],
    ];
    for (const [method, path] of routes) {
      for (const body of ['{"name":', "", "nope", "{'a':1}"]) {
        const reply = await t.call(users.owner, method, path, body, json);
        expectProblem(reply, 400, "invalid_json");
      }
    }
    expect(await stored()).toEqual(before);
  });

  it("answers 422 to JSON that is not an object", async () => {
    for (const body of ["[]", "null", '"name"', "42"]) {
      expectProblem(
        await t.call(users.owner, "POST", "/v1/decks", body, json),
        422,
        "validation_failed",
      );
    }
  });

  it("answers 415 unsupported_media_type to text/plain or form bodies, and to a PATCH without a body", async () => {
    const before = await stored();
    const cases: [string, string, string | undefined, Record<string, string>][] = [
      ["POST", "/v1/decks", '{"name":"plain"}', { "content-type": "text/plain" }],
      ["POST", "/v1/decks", "name=form", { "content-type": "application/x-www-form-urlencoded" }],
      ["POST", "/v1/decks", '{"name":"untyped"}', {}],
      ["PATCH", `/v1/decks/${deckId}`, '{"name":"plain"}', { "content-type": "text/plain" }],
      ["PATCH", `/v1/decks/${deckId}`, undefined, {}],
      [
        "PATCH",
        `/v1/decks/${deckId}/dos/${doId}`,
        '{"completed":true}',
        { "content-type": "text/plain" },
      ],
      ["PATCH", `/v1/decks/${deckId}/dos/${doId}`, undefined, {}],
      ["POST", `/v1/decks/${deckId}/dos`, '{"text":"x"}', { "content-type": "text/json" }],
      ["POST", `/v1/decks/${deckId}/collaborators`, undefined, {}],
    ];
    for (const [method, path, body, headers] of cases) {
      const reply = await t.call(users.owner, method, path, body, headers);
      expectProblem(reply, 415, "unsupported_media_type");
    }
    expect(await stored()).toEqual(before);
  });

  it("accepts application/json with a charset", async () => {
    const reply = await t.call(users.owner, "POST", "/v1/decks", '{"name":"charset"}', {
      "content-type": "application/json; charset=utf-8",
    });
    expect(reply.status).toBe(201);
  });

  it("answers 413 payload_too_large to a body over 16 KiB, with or without Content-Length", async () => {
    const before = await stored();
    const big = JSON.stringify({ name: "x".repeat(16 * 1024) });
    expectProblem(
      await t.call(users.owner, "POST", "/v1/decks", big, json),
      413,
      "payload_too_large",
    );
    expectProblem(
      await t.call(users.owner, "POST", "/v1/decks", big, {
        ...json,
        "content-length": String(big.length),
      }),
      413,
      "payload_too_large",
    );
    expectProblem(
      await t.call(users.owner, "PATCH", `/v1/decks/${deckId}/dos/${doId}`, big, json),
      413,
      "payload_too_large",
    );
    // Exactly 16 KiB is within the limit: it fails validation instead.
    const exact = JSON.stringify({ name: "x".repeat(16 * 1024 - 11) });
    expect(exact.length).toBe(16 * 1024);
    expectProblem(
      await t.call(users.owner, "POST", "/v1/decks", exact, json),
      422,
      "validation_failed",
    );
    expect(await stored()).toEqual(before);
  });
});

describe("routing", () => {
  it("answers 404 not_found to unknown routes, in problem+json", async () => {
    expectProblem(await t.call(null, "GET", "/nope"), 404, "not_found");
    expectProblem(await t.call(null, "GET", "/"), 404, "not_found");
    expectProblem(await t.call(users.owner, "GET", "/v1/nope"), 404, "not_found");
    expectProblem(await t.call(users.owner, "GET", "/v2/decks"), 404, "not_found");
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos/${doId}/extra`),
      404,
      "not_found",
    );
  });

  it("answers 405 method_not_allowed with Allow for a known path and a wrong method", async () => {
    const cases: [string, string, string[]][] = [
      ["PUT", "/v1/decks", ["GET", "HEAD", "POST"]],
      ["DELETE", "/v1/decks", ["GET", "HEAD", "POST"]],
      ["PUT", `/v1/decks/${deckId}`, ["DELETE", "GET", "HEAD", "PATCH"]],
      ["POST", `/v1/decks/${deckId}`, ["DELETE", "GET", "HEAD", "PATCH"]],
      ["GET", `/v1/decks/${deckId}/collaborators`, ["POST"]],
      ["PATCH", `/v1/decks/${deckId}/collaborators/a@example.com`, ["DELETE"]],
      ["PUT", `/v1/decks/${deckId}/dos`, ["GET", "HEAD", "POST"]],
      ["PUT", `/v1/decks/${deckId}/dos/${doId}`, ["DELETE", "GET", "HEAD", "PATCH"]],
      ["POST", "/healthz", ["GET", "HEAD"]],
      ["DELETE", "/openapi.json", ["GET", "HEAD"]],
    ];
    for (const [method, path, allowed] of cases) {
      const reply = await t.call(users.owner, method, path);
      expectProblem(reply, 405, "method_not_allowed");
      const allow = reply.headers.get("allow")?.split(", ").sort();
      expect(allow, `${method} ${path}`).toEqual(allowed);
    }
  });

  it("answers HEAD on GET routes without a body", async () => {
    const reply = await t.app.request("/healthz", { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(await reply.text()).toBe("");
  });
});

describe("authentication", () => {
  it("answers 401 unauthorized on every /v1 route without a valid bearer token, touching no data", async () => {
    const expired = await t.issuer.sign({ sub: users.owner.sub }, { expiresIn: "-5m" });
    const wrongAudience = await t.issuer.sign(
      { sub: users.owner.sub },
      { audience: "https://other.example" },
    );
    const wrongIssuer = await t.issuer.sign(
      { sub: users.owner.sub },
      { issuer: "https://evil.example.com/" },
    );
    const noSub = await t.issuer.sign({});
    const otherKey = await (await createTestIssuer()).sign({ sub: users.owner.sub });
    const routes = authenticatedRoutes({ deckId, doId });
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const before = await stored();
    for (const [method, path] of routes) {
      t.store.counter.reset();
      const body = method === "POST" || method === "PATCH" ? { name: "x" } : undefined;
      expectProblem(await t.call(null, method, path, body), 401, "unauthorized");
      expect(t.store.counter.calls).toEqual([]);
    }
    for (const token of [
      expired,
      wrongAudience,
      wrongIssuer,
      noSub,
      otherKey,
      "garbage",
      "a.b.c",
    ]) {
      expectProblem(await t.call(token, "GET", `/v1/decks/${deckId}`), 401, "unauthorized");
    }
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "x".repeat(9_000)]) {
      expectProblem(
        await t.call(null, "GET", "/v1/decks", undefined, { authorization }),
        401,
        "unauthorized",
      );
    }
    expect(await stored()).toEqual(before);
  });

  it("checks the token before the body, so strangers learn nothing from validation", async () => {
    expectProblem(await t.call(null, "POST", "/v1/decks", "{bad", json), 401, "unauthorized");
    expectProblem(
      await t.call(null, "POST", "/v1/decks", "x".repeat(20_000), json),
      401,
      "unauthorized",
    );
  });
});

describe("server-side faults", () => {
  it("answers 500 internal_error without AWS text when the table is missing, and logs the cause", async () => {
    const broken = await createTestApp({ TABLE_NAME: "dodeck-table-that-does-not-exist" });
    const reply = await broken.call(users.owner, "GET", "/v1/decks");
    expectProblem(reply, 500, "internal_error");
    expect(JSON.stringify(reply.body)).not.toMatch(/non-existent|ResourceNotFound|table/i);
    expect(broken.logs.join("\n")).toMatch(/ResourceNotFound/);
    const write = await broken.call(users.owner, "POST", "/v1/decks", { name: "x" });
    expectProblem(write, 500, "internal_error");
  });

  it("answers 503 service_unavailable with Retry-After when DynamoDB cannot be reached", async () => {
    const issuer = await createTestIssuer();
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      DYNAMODB_ENDPOINT_URL: "http://127.0.0.1:1",
      TABLE_NAME: "unreachable",
    });
    const app = createApp(createDeps(config, { keys: issuer.keys, log: () => {} }));
    const token = await issuer.tokenFor(users.owner);
    const response = await app.request("/v1/decks", {
      headers: { authorization: `Bearer ${token}` },
    });
    const reply = await readReply(response, { method: "GET", path: "/v1/decks" });
    expectProblem(reply, 503, "service_unavailable");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(reply.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it("answers 503 service_unavailable with Retry-After, not 401, when the JWKS cannot be fetched", async () => {
    const issuer = await createTestIssuer();
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      AUTH0_JWKS_URL: "http://127.0.0.1:1/.well-known/jwks.json",
      TABLE_NAME: t.store.tableName,
    });
    const app = createApp(createDeps(config, { dynamo: t.store.client, log: () => {} }));
    const token = await issuer.tokenFor(users.owner);
    const response = await app.request("/v1/decks", {
      headers: { authorization: `Bearer ${token}` },
    });
    const reply = await readReply(response, { method: "GET", path: "/v1/decks" });
    expectProblem(reply, 503, "service_unavailable");
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});
