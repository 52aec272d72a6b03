import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@dodeck/core";
import { exportSPKI, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DEV_AUDIENCE, DEV_ISSUER, loadDevIssuer } from "../../../scripts/dev-issuer.ts";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createTestStore } from "../../../test/support/dynamo.ts";
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from "../../../test/support/issuer.ts";
import { type JwksServer, startJwksServer } from "../../../test/support/jwks-server.ts";
import { createApp, createDeps, createRemoteKeys, type DepsOverrides, parseConfig } from "../src";
import { authenticatedRoutes } from "./helpers.ts";

const nowSeconds = () => Math.floor(Date.now() / 1000);
let jti = 0;

/** Text that would mean a jose (or other internal) error message reached the client. */
const LEAK = /jose|ERR_|JWS[A-Z]|JWT[A-Z]|JWK|Algorithm|signature|claim|stack|TypeError/i;

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const text = await response.text();
  expect(text).not.toMatch(LEAK);
  expect(JSON.parse(text)).toMatchObject({ status: 401, code: "unauthorized" });
}

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  const text = await response.text();
  expect(text).not.toMatch(LEAK);
  expect(JSON.parse(text)).toMatchObject({ status: 503, code: "service_unavailable" });
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

describe("token attacks through the app", () => {
  let t: TestApp;
  const get = (authorization?: string) =>
    t.app.request("/v1/decks", authorization === undefined ? {} : { headers: { authorization } });

  beforeAll(async () => {
    t = await createTestApp();
  });

  it("accepts a valid RS256 token from the configured issuer (control)", async () => {
    const response = await t.app.request("/v1/decks", bearer(await t.issuer.tokenFor(users.owner)));
    expect(response.status).toBe(200);
  });

  it("answers 401 without an Authorization header", async () => {
    await expectUnauthorized(await get());
  });

  it("answers 401 to an unsigned token (alg none)", async () => {
    const token = new UnsecuredJWT({ sub: users.owner.sub })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("10m")
      .encode();
    await expectUnauthorized(await get(`Bearer ${token}`));
    // The same with the header spelled by hand and the kid of the real key.
    const header = b64url({ alg: "none", typ: "JWT", kid: "test-key-1" });
    const payload = b64url({
      sub: users.owner.sub,
      iss: TEST_ISSUER,
      aud: TEST_AUDIENCE,
      iat: nowSeconds(),
      exp: nowSeconds() + 600,
    });
    await expectUnauthorized(await get(`Bearer ${header}.${payload}.`));
  });

  it("answers 401 to HS256 signed with the public key as the HMAC secret", async () => {
    const pem = await exportSPKI(t.issuer.publicKey);
    const secrets = [
      new TextEncoder().encode(pem),
      new TextEncoder().encode(JSON.stringify(t.issuer.publicJwk)),
      new TextEncoder().encode(t.issuer.publicJwk.n ?? ""),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT({ sub: users.owner.sub })
        .setProtectedHeader({ alg: "HS256", kid: "test-key-1", typ: "JWT" })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(secret);
      await expectUnauthorized(await get(`Bearer ${token}`));
    }
  });

  it("answers 401 to a token signed by another key that carries the known kid", async () => {
    const impostor = await createTestIssuer("test-key-1");
    await expectUnauthorized(await get(`Bearer ${await impostor.tokenFor(users.owner)}`));
  });

  it("answers 401 to a token expired beyond the clock tolerance, and accepts one within it", async () => {
    const expired = await t.issuer.sign({ sub: users.owner.sub }, { expiresIn: nowSeconds() - 60 });
    await expectUnauthorized(await get(`Bearer ${expired}`));
    const justExpired = await t.issuer.sign(
      { sub: users.owner.sub },
      { expiresIn: nowSeconds() - 10 },
    );
    expect((await get(`Bearer ${justExpired}`)).status).toBe(200);
  });

  it("answers 401 to a token that is not valid yet (nbf beyond the tolerance)", async () => {
    const early = await t.issuer.sign({ sub: users.owner.sub, nbf: nowSeconds() + 120 });
    await expectUnauthorized(await get(`Bearer ${early}`));
  });

  it("answers 401 to a wrong issuer and to a wrong audience", async () => {
    for (const issuer of ["https://evil.example.com/", "https://test-tenant.example.com.evil/"]) {
      await expectUnauthorized(
        await get(`Bearer ${await t.issuer.sign({ sub: users.owner.sub }, { issuer })}`),
      );
    }
    for (const audience of ["https://other-api.example.com", ["https://other", "x"]]) {
      await expectUnauthorized(
        await get(`Bearer ${await t.issuer.sign({ sub: users.owner.sub }, { audience })}`),
      );
    }
  });

  it("answers 401 to a token without sub, with a numeric sub, or with an empty sub", async () => {
    await expectUnauthorized(await get(`Bearer ${await t.issuer.sign({})}`));
    const numeric = await t.issuer.sign({ sub: 42 } as unknown as JWTPayload);
    await expectUnauthorized(await get(`Bearer ${numeric}`));
    await expectUnauthorized(await get(`Bearer ${await t.issuer.sign({ sub: "" })}`));
  });

  it("answers 401 to a validly signed token without exp (jose would accept it as eternal)", async () => {
    const eternal = await new SignJWT({ sub: users.owner.sub })
      .setProtectedHeader({ alg: "RS256", kid: "test-key-1", typ: "JWT" })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setIssuedAt()
      .sign(t.issuer.privateKey);
    await expectUnauthorized(await get(`Bearer ${eternal}`));
  });

  it("answers 401 to garbage tokens", async () => {
    for (const token of ["garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"]) {
      await expectUnauthorized(await get(`Bearer ${token}`));
    }
    await expectUnauthorized(await get("Bearer "));
    await expectUnauthorized(await get("Bearer a b"));
  });

  it("answers 401 to a 20 KB Authorization header without verifying it", async () => {
    const big = await t.issuer.sign({ sub: users.owner.sub, padding: "x".repeat(20_000) });
    expect(big.length).toBeGreaterThan(20_000);
    await expectUnauthorized(await get(`Bearer ${big}`));
    // The bound leaves room for a token with many claims (Auth0 roles, permissions).
    const roomy = await t.issuer.sign({ sub: users.owner.sub, padding: "x".repeat(5_000) });
    expect(roomy.length).toBeGreaterThan(6_000);
    expect((await get(`Bearer ${roomy}`)).status).toBe(200);
  });

  it("answers 401 to the Basic scheme and to a token without a scheme", async () => {
    await expectUnauthorized(await get(`Basic ${btoa("owner:secret")}`));
    await expectUnauthorized(await get(await t.issuer.tokenFor(users.owner)));
    await expectUnauthorized(await get(`Token ${await t.issuer.tokenFor(users.owner)}`));
  });

  // Decision: the scheme is case-insensitive (RFC 9110 §11.1, RFC 6750), as in the old
  // FastAPI service (HTTPBearer lower-cases it); refusing "bearer" would break clients for no
  // security gain, since the token itself is still fully verified.
  it("accepts the scheme in lowercase, but still verifies the token behind it", async () => {
    const token = await t.issuer.tokenFor(users.owner);
    expect((await get(`bearer ${token}`)).status).toBe(200);
    const impostor = await createTestIssuer("test-key-1");
    await expectUnauthorized(await get(`bearer ${await impostor.tokenFor(users.owner)}`));
  });

  it("answers 401 on every /v1 route, not only the list", async () => {
    const forged = await (await createTestIssuer("test-key-1")).tokenFor(users.owner);
    const id = "01J00000000000000000000000";
    const requests = authenticatedRoutes({ deckId: id, doId: id });
    expect(requests.length).toBeGreaterThanOrEqual(11);
    for (const [method, path] of requests) {
      const response = await t.app.request(path, {
        method,
        headers: { authorization: `Bearer ${forged}`, "content-type": "application/json" },
        ...(method === "POST" || method === "PATCH" ? { body: '{"name":"x","text":"x"}' } : {}),
      });
      await expectUnauthorized(response);
    }
  });
});

describe("issuer configuration and claims", () => {
  it("accepts Auth0's trailing-slash iss when the issuer is configured without the slash", async () => {
    const t = await createTestApp({ AUTH0_ISSUER: TEST_ISSUER.replace(/\/$/, "") });
    expect(t.config.auth.issuer).toBe(TEST_ISSUER);
    const withSlash = await t.issuer.tokenFor(users.owner);
    expect((await t.app.request("/v1/decks", bearer(withSlash))).status).toBe(200);
    const withoutSlash = await t.issuer.sign(
      { sub: users.owner.sub },
      { issuer: TEST_ISSUER.replace(/\/$/, "") },
    );
    expect((await t.app.request("/v1/decks", bearer(withoutSlash))).status).toBe(200);
  });

  describe("email claims", () => {
    let t: TestApp;
    let deckId: string;
    beforeAll(async () => {
      t = await createTestApp();
      const created = await t.call(users.owner, "POST", "/v1/decks", { name: "Shared" });
      deckId = created.body.deckId;
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
        email: "friend@example.com",
      });
    });
    const open = async (claims: JWTPayload) =>
      t.app.request(
        `/v1/decks/${deckId}`,
        bearer(await t.issuer.sign({ sub: "auth0|claims", ...claims })),
      );

    it("reads the namespaced email claim, lower-cased", async () => {
      const response = await open({
        "https://dodeck.app/email": "FRIEND@Example.COM",
        "https://dodeck.app/email_verified": true,
      });
      expect(response.status).toBe(200);
    });

    it("prefers the namespaced email over the plain one", async () => {
      const response = await open({
        "https://dodeck.app/email": "friend@example.com",
        "https://dodeck.app/email_verified": true,
        email: "someone-else@example.com",
        email_verified: true,
      });
      expect(response.status).toBe(200);
      const other = await open({
        "https://dodeck.app/email": "someone-else@example.com",
        "https://dodeck.app/email_verified": true,
        email: "friend@example.com",
        email_verified: true,
      });
      expect(other.status).toBe(404);
    });

    it("falls back to the plain email and email_verified claims, lower-cased", async () => {
      const response = await open({ email: "Friend@EXAMPLE.com", email_verified: true });
      expect(response.status).toBe(200);
    });

    it("answers 403 email_not_verified when email_verified is false, missing or not a boolean", async () => {
      for (const claims of [
        { email: "friend@example.com", email_verified: false },
        { email: "friend@example.com" },
        { email: "friend@example.com", email_verified: "true" },
        {
          "https://dodeck.app/email": "friend@example.com",
          "https://dodeck.app/email_verified": false,
          email_verified: true,
        },
      ]) {
        const response = await open(claims);
        expect(response.status).toBe(403);
        expect((await response.json()).code).toBe("email_not_verified");
      }
    });

    it("treats a caller without an email as a stranger to shared decks", async () => {
      expect((await open({})).status).toBe(404);
      const shared = await t.app.request(
        "/v1/decks?visibility=shared",
        bearer(await t.issuer.sign({ sub: "auth0|claims" })),
      );
      expect(shared.status).toBe(403);
      expect((await shared.json()).code).toBe("email_required");
    });

    it("honours a configured claims namespace", async () => {
      const custom = await createTestApp({ AUTH0_CLAIMS_NAMESPACE: "https://example.org/claims/" });
      const created = await custom.call(users.owner, "POST", "/v1/decks", { name: "Ns" });
      await custom.call(users.owner, "POST", `/v1/decks/${created.body.deckId}/collaborators`, {
        email: "friend@example.com",
      });
      const token = await custom.issuer.sign({
        sub: "auth0|ns",
        "https://example.org/claims/email": "Friend@Example.com",
        "https://example.org/claims/email_verified": true,
      });
      const response = await custom.app.request(`/v1/decks/${created.body.deckId}`, bearer(token));
      expect(response.status).toBe(200);
    });
  });
});

describe("the dev issuer outside local", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dodeck-dev-issuer-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a dev-issuer token in an app configured for prod", async () => {
    const dev = await loadDevIssuer(join(dir, "dev-issuer.json"));
    const t = await createTestApp({ ENVIRONMENT: "prod" });
    const token = await dev.sign({ sub: "alice", email: "alice@example.com" });
    await expectUnauthorized(await t.app.request("/v1/decks", bearer(token)));
    // Even with the dev issuer's kid and claims, only the configured key set counts.
    const spoof = await t.issuer.sign(
      { sub: "alice" },
      { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, kid: "dodeck-dev" },
    );
    await expectUnauthorized(await t.app.request("/v1/decks", bearer(spoof)));
  });
});

describe("the issuer's JWKS over real HTTP", () => {
  let issuer: TestIssuer;
  let store: Store;
  const servers: JwksServer[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer();
    store = await createTestStore("jwks");
  });
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  async function jwksServer(options?: { slowMs?: number }) {
    const server = await startJwksServer(issuer.jwks, options);
    servers.push(server);
    return server;
  }

  /** The app as production builds it: its key set is the remote JWKS at AUTH0_JWKS_URL. */
  function remoteApp(jwksUrl: string, overrides: Pick<DepsOverrides, "keys" | "log"> = {}) {
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      AUTH0_JWKS_URL: jwksUrl,
      TABLE_NAME: store.tableName,
      ENVIRONMENT: "prod",
    });
    expect(config.auth.jwksUrl).toBe(jwksUrl);
    return createApp(
      createDeps(config, { dynamo: store.client, log: () => undefined, ...overrides }),
    );
  }

  const token = (claims: JWTPayload = {}, options: Parameters<TestIssuer["sign"]>[1] = {}) =>
    issuer.sign({ sub: users.owner.sub, jti: `t${jti++}`, ...claims }, options);

  it("fetches the JWKS once across many requests", async () => {
    const server = await jwksServer();
    const app = remoteApp(server.url);
    for (let i = 0; i < 20; i++) {
      expect((await app.request("/v1/decks", bearer(await token()))).status).toBe(200);
    }
    const parallel = await Promise.all(
      Array.from(
        { length: 20 },
        async () => (await app.request("/v1/decks", bearer(await token()))).status,
      ),
    );
    expect(parallel.every((status) => status === 200)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it("shares one JWKS fetch among the parallel requests of a cold start", async () => {
    const server = await jwksServer();
    const app = remoteApp(server.url);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => token()));
    const statuses = await Promise.all(
      tokens.map(async (t) => (await app.request("/v1/decks", bearer(t))).status),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(server.requests).toBe(1);
  });

  it.each([
    ["refuses connections", "down"],
    ["answers 500", "error500"],
    ["answers non-JSON garbage", "garbage"],
    ["answers JSON that is not a key set", "notJwks"],
    ["redirects", "redirect"],
  ] as const)(
    "answers 503 with Retry-After when the JWKS %s, never 401 or 500",
    async (_, mode) => {
      const server = await jwksServer();
      await server.setMode(mode);
      const app = remoteApp(server.url);
      await expectUnavailable(await app.request("/v1/decks", bearer(await token())));
      // A token that would be refused anyway is not blamed on the issuer either way: the key
      // set cannot be had, so nothing about the token can be decided.
      await expectUnavailable(await app.request("/v1/decks", bearer(await token())));
    },
  );

  it("answers 503 with Retry-After when the JWKS is slower than the fetch timeout", async () => {
    const server = await jwksServer({ slowMs: 2_000 });
    await server.setMode("slow");
    const app = remoteApp(server.url, {
      keys: createRemoteKeys({ url: server.url, timeoutMs: 100 }),
    });
    const started = Date.now();
    await expectUnavailable(await app.request("/v1/decks", bearer(await token())));
    expect(Date.now() - started).toBeLessThan(1_900); // not the slow answer at 2 s
  });

  it("recovers once the JWKS answers again, after its back-off", async () => {
    let clock = Date.now();
    const server = await jwksServer();
    await server.setMode("error500");
    const app = remoteApp(server.url, {
      keys: createRemoteKeys({ url: server.url, now: () => clock }),
    });
    await expectUnavailable(await app.request("/v1/decks", bearer(await token())));
    await server.setMode("ok");
    // The first failure backs off for 1 s (jwks-outage.db.test.ts covers the back-off).
    clock += 1_000;
    expect((await app.request("/v1/decks", bearer(await token()))).status).toBe(200);
  });

  it("answers 401 to a token whose kid the JWKS does not have", async () => {
    const server = await jwksServer();
    const app = remoteApp(server.url);
    await expectUnauthorized(
      await app.request("/v1/decks", bearer(await token({}, { kid: "rotated-away" }))),
    );
  });

  // Decision under test: jose drops its cache after 10 minutes and would then fail every
  // request during an outage. We keep verifying with the last good key set for up to 1 hour
  // after the last good fetch (stale-if-error), then answer 503: the keys an issuer published
  // an hour ago are still its keys, and an hour bounds how long a revoked key could linger.
  it("keeps verifying with the last good keys while the JWKS is down past jose's cache age, then 503 past maxStale", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const server = await jwksServer();
    const app = remoteApp(server.url);
    const long = { expiresIn: "3h" };

    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
    expect(server.requests).toBe(1);

    await server.setMode("down");
    vi.setSystemTime(start + 11 * 60_000); // past jose's 10-minute cacheMaxAge
    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
    await server.setMode("error500");
    vi.setSystemTime(start + 40 * 60_000);
    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
    expect(server.requests).toBeGreaterThan(1); // it did try the issuer first
    // Stale keys still refuse what they always refused.
    const impostor = await createTestIssuer("test-key-1");
    await expectUnauthorized(
      await app.request("/v1/decks", bearer(await impostor.tokenFor(users.owner))),
    );

    vi.setSystemTime(start + 61 * 60_000); // past maxStale (1 h from the last good fetch)
    await expectUnavailable(await app.request("/v1/decks", bearer(await token({}, long))));

    await server.setMode("ok");
    vi.setSystemTime(start + 62 * 60_000); // past the back-off after that failed fetch
    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
  });

  it("logs a warning each time it falls back to stale keys, so the outage is visible before the 503s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const server = await jwksServer();
    const lines: { level: string; message: string; error?: unknown }[] = [];
    const app = remoteApp(server.url, {
      log: (level, message, fields) => lines.push({ level, message, ...fields }),
    });
    const long = { expiresIn: "3h" };
    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
    expect(lines.filter((line) => line.level === "warn")).toEqual([]);
    await server.setMode("down");
    vi.setSystemTime(start + 11 * 60_000);
    expect((await app.request("/v1/decks", bearer(await token({}, long)))).status).toBe(200);
    expect(lines.filter((line) => line.level === "warn")).toEqual([
      expect.objectContaining({ message: "JWKS unreachable; verifying with stale keys" }),
    ]);
  });

  it("does not ask a failing issuer again on every request while it serves the last good keys", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const server = await jwksServer();
    const app = remoteApp(server.url);
    expect(
      (await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })))).status,
    ).toBe(200);
    await server.setMode("error500");
    vi.setSystemTime(start + 11 * 60_000);
    server.resetRequests();
    for (let i = 0; i < 20; i++) {
      const response = await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })));
      expect(response.status).toBe(200);
    }
    expect(server.requests).toBe(1);
    // After a short back-off it tries the issuer again, and picks up its keys once it answers.
    await server.setMode("ok");
    vi.setSystemTime(start + 12 * 60_000);
    expect(
      (await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })))).status,
    ).toBe(200);
    expect(server.requests).toBe(2);
  });

  it("does not add the fetch timeout to every request while a hung JWKS is served stale", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const server = await jwksServer({ slowMs: 10_000 });
    const timeoutMs = 1_000;
    const app = remoteApp(server.url, { keys: createRemoteKeys({ url: server.url, timeoutMs }) });
    const request = async () =>
      (await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })))).status;
    expect(await request()).toBe(200);
    await server.setMode("slow");
    vi.setSystemTime(start + 11 * 60_000);
    server.resetRequests();
    for (let i = 0; i < 5; i++) expect(await request()).toBe(200);
    // One request waited for the hung issuer; the others were served from the stale keys
    // without asking it (counted at the server, not timed: timing is the benchmarks' job).
    expect(server.requests).toBe(1);
  });

  it("measures staleness from the injected clock", async () => {
    let clock = Date.now();
    const server = await jwksServer();
    const keys = createRemoteKeys({ url: server.url, now: () => clock, maxStaleMs: 5_000 });
    const app = remoteApp(server.url, { keys });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(clock);
    expect(
      (await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })))).status,
    ).toBe(200);
    await server.setMode("down");
    vi.setSystemTime(clock + 11 * 60_000);
    clock += 4_000;
    expect(
      (await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" })))).status,
    ).toBe(200);
    clock += 2_000;
    await expectUnavailable(
      await app.request("/v1/decks", bearer(await token({}, { expiresIn: "2h" }))),
    );
  });

  it("refetches at most once for a flood of 200 concurrent tokens with unknown kids", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const server = await jwksServer();
    const app = remoteApp(server.url);
    expect((await app.request("/v1/decks", bearer(await token()))).status).toBe(200);
    expect(server.requests).toBe(1);

    // Inside jose's 30 s cooldown an unknown kid causes no fetch at all.
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => token({}, { kid: `unknown-${i}` })),
    );
    const flood = () =>
      Promise.all(tokens.map(async (t) => (await app.request("/v1/decks", bearer(t))).status));
    expect(new Set(await flood())).toEqual(new Set([401]));
    expect(server.requests).toBe(1);

    // Past the cooldown (cache still fresh) the whole flood shares one refetch.
    vi.setSystemTime(start + 31_000);
    server.resetRequests();
    expect(new Set(await flood())).toEqual(new Set([401]));
    expect(server.requests).toBeLessThanOrEqual(1);
    // And valid tokens keep working after it.
    expect((await app.request("/v1/decks", bearer(await token()))).status).toBe(200);
  });
});
