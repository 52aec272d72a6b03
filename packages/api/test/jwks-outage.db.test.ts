import type { Store } from "@dodeck/core";
import type { JWTPayload } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { users } from "../../../test/support/app.ts";
import { createTestStore } from "../../../test/support/dynamo.ts";
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from "../../../test/support/issuer.ts";
import { type JwksServer, startJwksServer } from "../../../test/support/jwks-server.ts";
import { createApp, createDeps, createRemoteKeys, parseConfig } from "../src";

/**
 * The issuer's JWKS during an outage, over real HTTP on loopback, with the app as production
 * wires it. The clock is Date, faked and moved by hand (timers stay real, so fetch timeouts
 * are real); fetch attempts are counted at the client, since a refused connection never
 * reaches the server.
 */
type Line = { level: string; message: string; [field: string]: unknown };

let issuer: TestIssuer;
let store: Store;
const servers: JwksServer[] = [];
let jti = 0;

beforeAll(async () => {
  issuer = await createTestIssuer();
  store = await createTestStore("jwks-outage");
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function setup(options: { slowMs?: number; timeoutMs?: number; maxStaleMs?: number } = {}) {
  vi.useFakeTimers({ toFake: ["Date"] });
  const start = Date.now();
  vi.setSystemTime(start);
  const server = await startJwksServer(issuer.jwks, { slowMs: options.slowMs ?? 2_000 });
  servers.push(server);
  const lines: Line[] = [];
  const log = (level: string, message: string, fields: Record<string, unknown> = {}) =>
    lines.push({ level, message, ...fields });
  let attempts = 0;
  const keys = createRemoteKeys({
    url: server.url,
    log,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxStaleMs ? { maxStaleMs: options.maxStaleMs } : {}),
    fetch: (input, init) => {
      attempts++;
      return fetch(input, init);
    },
  });
  const config = parseConfig({
    AUTH0_ISSUER: TEST_ISSUER,
    AUTH0_AUDIENCE: TEST_AUDIENCE,
    AUTH0_JWKS_URL: server.url,
    TABLE_NAME: store.tableName,
    ENVIRONMENT: "prod",
  });
  const app = createApp(createDeps(config, { dynamo: store.client, log, keys }));
  return {
    server,
    lines,
    get attempts() {
      return attempts;
    },
    /** Moves the clock to `ms` after the start. */
    at: (ms: number) => vi.setSystemTime(start + ms),
    get: async (token: string) =>
      app.request("/v1/decks", { headers: { authorization: `Bearer ${token}` } }),
  };
}

const token = (claims: JWTPayload = {}, options: Parameters<TestIssuer["sign"]>[1] = {}) =>
  issuer.sign(
    { sub: users.owner.sub, jti: `o${jti++}`, ...claims },
    { expiresIn: "3h", ...options },
  );

async function expect503(response: Response) {
  expect(response.status).toBe(503);
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(await response.json()).toMatchObject({ code: "service_unavailable" });
}

/** Tokens of every shape a flood brings: valid, forged with the real kid, unknown kids. */
async function mixedTokens(count: number): Promise<string[]> {
  const impostor = await createTestIssuer("test-key-1");
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      i % 3 === 0
        ? token()
        : i % 3 === 1
          ? impostor.tokenFor(users.owner)
          : token({}, { kid: `made-up-${i}` }),
    ),
  );
}

/** A stack frame, as JSON-escaped inside a log line. */
const STACK = /\\n\s+at /;

describe("a JWKS outage with no usable cached keys", () => {
  it.each(["down", "error500", "garbage"] as const)(
    "costs one fetch for 50 requests at a cold start (JWKS %s), each answered 503",
    async (mode) => {
      const t = await setup();
      await t.server.setMode(mode);
      for (const each of await mixedTokens(50)) await expect503(await t.get(each));
      expect(t.attempts).toBe(1);
    },
  );

  it("makes only the first request wait on a hung JWKS, not every request", async () => {
    const t = await setup({ slowMs: 5_000, timeoutMs: 300 });
    await t.server.setMode("slow");
    const started = performance.now();
    for (let i = 0; i < 10; i++) await expect503(await t.get(await token()));
    // Ten fetches would take ten timeouts (3 s); one takes one.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(t.attempts).toBe(1);
  });

  it("shares one fetch among concurrent requests while the JWKS hangs", async () => {
    const t = await setup({ slowMs: 5_000, timeoutMs: 300 });
    await t.server.setMode("slow");
    const tokens = await mixedTokens(30);
    const responses = await Promise.all(tokens.map((each) => t.get(each)));
    for (const response of responses) await expect503(response);
    expect(t.attempts).toBe(1);
  });

  it("backs off too when the cached keys are older than the stale window", async () => {
    const t = await setup({ maxStaleMs: 60_000 });
    expect((await t.get(await token())).status).toBe(200);
    await t.server.setMode("error500");
    t.at(11 * 60_000);
    for (const each of await mixedTokens(30)) await expect503(await t.get(each));
    expect(t.attempts).toBe(2);
  });

  it("asks the issuer again after a back-off that doubles, and recovers", async () => {
    const t = await setup();
    await t.server.setMode("error500");
    await expect503(await t.get(await token()));
    expect(t.attempts).toBe(1);
    t.at(900);
    const waiting = await t.get(await token());
    await expect503(waiting);
    expect(t.attempts).toBe(1);
    t.at(1_000); // the first back-off (1 s) is over
    await expect503(await t.get(await token()));
    expect(t.attempts).toBe(2);
    t.at(2_900); // the second back-off is 2 s
    await expect503(await t.get(await token()));
    expect(t.attempts).toBe(2);
    await t.server.setMode("ok");
    t.at(3_000);
    expect((await t.get(await token())).status).toBe(200);
    expect(t.attempts).toBe(3);
  });

  it("logs one line per change of state, without stacks, not one per request", async () => {
    const t = await setup();
    await t.server.setMode("down");
    for (const each of await mixedTokens(30)) await expect503(await t.get(each));
    t.at(5_000);
    for (const each of await mixedTokens(10)) await expect503(await t.get(each));
    await t.server.setMode("ok");
    t.at(60_000);
    for (let i = 0; i < 5; i++) expect((await t.get(await token())).status).toBe(200);

    const notable = t.lines.filter((line) => line.message !== "request");
    expect(notable).toEqual([
      expect.objectContaining({
        level: "error",
        message: "JWKS unreachable and no usable keys; answering 503",
      }),
      expect.objectContaining({ level: "info", message: "JWKS reachable again" }),
    ]);
    for (const line of t.lines) expect(JSON.stringify(line)).not.toMatch(STACK);
  });

  it("logs the move from stale keys to none, and back, once each", async () => {
    const t = await setup({ maxStaleMs: 20 * 60_000 });
    expect((await t.get(await token())).status).toBe(200);
    await t.server.setMode("error500");
    t.at(11 * 60_000);
    for (let i = 0; i < 10; i++) expect((await t.get(await token())).status).toBe(200);
    t.at(21 * 60_000);
    for (let i = 0; i < 10; i++) await expect503(await t.get(await token()));
    await t.server.setMode("ok");
    t.at(22 * 60_000);
    expect((await t.get(await token())).status).toBe(200);
    expect(
      t.lines.filter((line) => line.message !== "request").map((line) => line.message),
    ).toEqual([
      "JWKS unreachable; verifying with stale keys",
      "JWKS unreachable and no usable keys; answering 503",
      "JWKS reachable again",
    ]);
  });
});

describe("a key rotated in during an outage", () => {
  it("answers 503, not 401, to a kid that is not cached while the JWKS is unreachable", async () => {
    const t = await setup();
    expect((await t.get(await token())).status).toBe(200);
    await t.server.setMode("down");

    // Keys fresh, past the unknown-kid cooldown: the issuer must be asked, and cannot be.
    t.at(31_000);
    await expect503(await t.get(await token({}, { kid: "rotated-in" })));
    // During the back-off that follows.
    t.at(31_500);
    await expect503(await t.get(await token({}, { kid: "rotated-in" })));
    // Keys past their cache age, served stale: the known kid verifies, the new one cannot.
    t.at(11 * 60_000);
    expect((await t.get(await token())).status).toBe(200);
    await expect503(await t.get(await token({}, { kid: "rotated-in" })));
  });

  it("still answers 401 to an unknown kid when the JWKS answers and does not have it", async () => {
    const t = await setup();
    expect((await t.get(await token())).status).toBe(200);
    t.at(31_000);
    expect((await t.get(await token({}, { kid: "never-published" }))).status).toBe(401);
  });

  it("accepts the rotated key once the JWKS answers again with it", async () => {
    const rotated = await createTestIssuer("rotated-in");
    const t = await setup();
    expect((await t.get(await token())).status).toBe(200);
    await t.server.setMode("down");
    t.at(31_000);
    await expect503(await t.get(await rotated.tokenFor(users.owner)));
    issuer.jwks.keys.push(rotated.publicJwk);
    try {
      await t.server.setMode("ok");
      t.at(33_000);
      expect((await t.get(await rotated.tokenFor(users.owner))).status).toBe(200);
    } finally {
      issuer.jwks.keys.pop();
    }
  });
});
