import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/dynamodb-local.ts";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../../../test/support/issuer.ts";
import { createApp, createDeps, createDynamoClient, parseConfig } from "../src";
import { expectProblem } from "./helpers.ts";

/** A stack frame, as JSON-escaped inside a log line. */
const STACK = /\\n\s+at /;

describe("token issue time", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });

  /** A valid token but for its `iat` (SignJWT's setIssuedAt would overwrite a claimed one). */
  async function issuedAt(iat: number): Promise<string> {
    return new SignJWT({ sub: users.owner.sub, iat })
      .setProtectedHeader({ alg: "RS256", kid: "test-key-1", typ: "JWT" })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setExpirationTime("2d")
      .sign(t.issuer.privateKey);
  }

  it("answers 401 to a token issued a day in the future", async () => {
    const reply = await t.call(
      await issuedAt(Math.floor(Date.now() / 1000) + 86_400),
      "GET",
      "/v1/decks",
    );
    expectProblem(reply, 401, "unauthorized");
  });

  it("answers 401 to a token issued beyond the clock tolerance, and accepts one within it", async () => {
    const now = Math.floor(Date.now() / 1000);
    expectProblem(await t.call(await issuedAt(now + 120), "GET", "/v1/decks"), 401, "unauthorized");
    expect((await t.call(await issuedAt(now + 10), "GET", "/v1/decks")).status).toBe(200);
  });
});

describe("JSON bodies in another charset", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });

  it.each(["iso-8859-1", "utf-16", "windows-1252", '"latin1"'])(
    "answers 415 to a JSON body declared as charset=%s, and stores nothing",
    async (charset) => {
      // "Café" in Latin-1: decoded as UTF-8 it would be stored as "Caf\uFFFD".
      const body = Buffer.from('{"name":"Caf\u00e9"}', "latin1");
      const response = await t.app.request("/v1/decks", {
        method: "POST",
        headers: {
          authorization: `Bearer ${await t.issuer.tokenFor(users.owner)}`,
          "content-type": `application/json; charset=${charset}`,
        },
        body,
      });
      const text = await response.text();
      expect(response.status).toBe(415);
      expect(JSON.parse(text)).toMatchObject({ code: "unsupported_media_type" });
      const list = await t.call(users.owner, "GET", "/v1/decks");
      expect(
        list.body.items.filter((deck: { name: string }) => deck.name.startsWith("Caf")),
      ).toEqual([]);
    },
  );

  it.each(["utf-8", "UTF-8", '"utf-8"', "utf8"])("accepts charset=%s", async (charset) => {
    const reply = await t.call(users.owner, "POST", "/v1/decks", JSON.stringify({ name: "Utf" }), {
      "content-type": `application/json; charset=${charset}`,
    });
    expect(reply.status).toBe(201);
  });
});

describe("logs during a DynamoDB outage", () => {
  it("logs each 503 in one line that names the cause, without a stack", async () => {
    const issuer = await createTestIssuer();
    // Nothing listens there: every call is refused, as when DynamoDB Local is stopped.
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      DYNAMODB_ENDPOINT_URL: endpoint,
      ENVIRONMENT: "local",
    });
    const lines: Record<string, unknown>[] = [];
    const app = createApp(
      createDeps(config, {
        keys: issuer.keys,
        dynamo: createDynamoClient(config),
        log: (level, message, fields) => lines.push({ level, message, ...fields }),
      }),
    );
    const token = await issuer.tokenFor(users.owner);
    for (let i = 0; i < 3; i++) {
      const response = await app.request("/v1/decks", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "never stored" }),
      });
      expect(response.status).toBe(503);
    }
    const warnings = lines.filter((line) => line.level !== "info");
    expect(warnings).toHaveLength(3);
    for (const line of warnings) {
      expect(line).toMatchObject({ level: "warn", code: "service_unavailable" });
      expect(String(line.cause)).toMatch(/^\w+: /);
      expect(JSON.stringify(line)).not.toMatch(STACK);
    }
  });
});
