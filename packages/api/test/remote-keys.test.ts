import { AppError } from "@dodeck/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from "../../../test/support/issuer.ts";
import { createRemoteKeys, createTokenVerifier } from "../src";

/**
 * The issuer's key set as the verifier meets it, DB-free: real signed tokens, the real remote
 * key set, and an issuer whose answers, clock and fetch count the test controls. (Over real
 * HTTP and through the app: jwks-outage.db.test.ts and auth.db.test.ts.)
 */
type Answer = "keys" | "error500" | "garbage" | "redirect" | "down" | "hang" | "held";
type Line = { level: string; message: string; fields: Record<string, unknown> };

const JWKS_URL = "https://issuer.test/.well-known/jwks.json";

// Key pairs are slow to make: one issuer for the file, and one whose key is rotated in.
let issuer: TestIssuer;
let rotated: TestIssuer;
beforeAll(async () => {
  [issuer, rotated] = await Promise.all([createTestIssuer(), createTestIssuer("rotated-in")]);
});

async function setup(options: { maxStaleMs?: number; timeoutMs?: number } = {}) {
  // Each test's issuer publishes its own list of keys, so rotating one in stays local.
  const jwks = { keys: [...issuer.jwks.keys] };
  const start = Date.now();
  let clock = start;
  let answer: Answer = "keys";
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const lines: Line[] = [];
  let cancelledBodies = 0;
  let release: (() => void) | undefined;

  const fetchJwks = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    requests.push({ url: String(input), init });
    switch (answer) {
      case "keys":
        return Response.json(jwks);
      case "error500": {
        const body = new ReadableStream({
          cancel: () => {
            cancelledBodies++;
          },
        });
        return new Response(body, { status: 500 });
      }
      case "garbage":
        return new Response("<html>not a key set</html>", { status: 200 });
      case "redirect":
        return new Response(null, {
          status: 302,
          headers: { location: "https://elsewhere.test/" },
        });
      case "down":
        throw new TypeError("fetch failed");
      case "held":
        // Answers with the key set of the moment it is released.
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return Response.json(jwks);
      default:
        // Never answers; only the request's own timeout ends it.
        return new Promise((_, reject) => {
          const signal = init?.signal;
          signal?.addEventListener("abort", () => reject(signal.reason));
        });
    }
  };

  const keys = createRemoteKeys({
    url: JWKS_URL,
    fetch: fetchJwks as typeof fetch,
    now: () => clock,
    log: (level, message, fields = {}) => lines.push({ level, message, fields }),
    ...options,
  });
  const verify = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    claimsNamespace: "https://dodeck.app/",
    keys,
    now: () => clock,
  });
  let jti = 0;

  return {
    /** Publishes the rotated issuer's key next to the current one. */
    rotateIn: () => {
      jwks.keys.push(rotated.publicJwk);
    },
    /** Publishes a second key under the current key's kid (an issuer's misconfiguration). */
    duplicateKid: () => {
      jwks.keys.push({ ...rotated.publicJwk, kid: "test-key-1" });
    },
    /** Moves the clock to `ms` after the start. */
    at: (ms: number) => {
      clock = start + ms;
    },
    answer: (next: Answer) => {
      answer = next;
    },
    release: () => release?.(),
    fetches: () => requests.length,
    requests,
    lines,
    cancelledBodies: () => cancelledBodies,
    /** A fresh token (never in the verifier's cache), signed with `kid` if given. */
    token: (kid?: string) =>
      issuer.sign({ sub: "auth0|u", jti: `t${jti++}` }, { expiresIn: "3h", kid }),
    /** What a client would be told: "ok", "401", or "503 retry N" (its Retry-After). */
    outcome: async (token: string | Promise<string>): Promise<string> => {
      try {
        await verify(`Bearer ${await token}`);
        return "ok";
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return error.code === "service_unavailable" ? `503 retry ${error.retryAfter}` : "401";
      }
    },
  };
}

describe("the issuer's key set, while the issuer answers", () => {
  it("is fetched once and trusted for ten minutes, then fetched again", async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(1);
    t.at(10 * 60_000 - 1);
    expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(1);
    t.at(10 * 60_000);
    expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(2);
    expect(t.lines).toEqual([]);
  });

  it("is asked for as JSON, from the configured URL, without following redirects", async () => {
    const t = await setup();
    await t.outcome(t.token());
    const [request] = t.requests;
    expect(request?.url).toBe(JWKS_URL);
    expect(request?.init?.redirect).toBe("manual");
    expect(new Headers(request?.init?.headers).get("accept")).toBe("application/json");
    expect(request?.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it("is fetched again sooner when the stale window is shorter than ten minutes", async () => {
    const t = await setup({ maxStaleMs: 60_000 });
    expect(await t.outcome(t.token())).toBe("ok");
    t.at(59_999);
    expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(1);
    t.at(60_000);
    expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(2);
  });

  it("is shared by concurrent requests: one fetch for all of them", async () => {
    const t = await setup();
    t.answer("held");
    const tokens = await Promise.all(Array.from({ length: 10 }, () => t.token()));
    const outcomes = Promise.all(tokens.map((token) => t.outcome(token)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.release();
    expect(await outcomes).toEqual(Array(10).fill("ok"));
    expect(t.fetches()).toBe(1);
  });

  it("asks about an unknown kid only after 30 s, and then accepts a key rotated in", async () => {
    const t = await setup();
    expect(await t.outcome(t.token())).toBe("ok");
    // Right after a fetch, a kid the issuer did not list is the token's fault.
    t.at(29_999);
    expect(await t.outcome(t.token("rotated-in"))).toBe("401");
    expect(t.fetches()).toBe(1);

    t.rotateIn();
    t.at(30_000);
    expect(await t.outcome(rotated.sign({ sub: "auth0|r" }, { expiresIn: "3h" }))).toBe("ok");
    expect(t.fetches()).toBe(2);
    // The fetch just made answers the next unknown kid without asking again.
    expect(await t.outcome(t.token("never-published"))).toBe("401");
    expect(t.fetches()).toBe(2);
  });
});

describe("the issuer's key set, while the issuer cannot be reached", () => {
  it("backs off 1, 2, 4 … 30 s, and tells clients when to retry", async () => {
    const t = await setup();
    t.answer("error500");
    expect(await t.outcome(t.token())).toBe("503 retry 1");
    t.at(999);
    expect(await t.outcome(t.token())).toBe("503 retry 1");
    expect(t.fetches()).toBe(1);
    // Each line: when the back-off ends, a request asks again and is told the next back-off.
    for (const [at, retry] of [
      [1_000, 2],
      [3_000, 4],
      [7_000, 8],
      [15_000, 16],
      [31_000, 30],
      [61_000, 30],
    ] as const) {
      t.at(at - 1);
      const fetches = t.fetches();
      expect(await t.outcome(t.token())).toMatch(/^503 retry /);
      expect(t.fetches()).toBe(fetches);
      t.at(at);
      expect(await t.outcome(t.token())).toBe(`503 retry ${retry}`);
      expect(t.fetches()).toBe(fetches + 1);
    }
    t.at(62_500);
    expect(await t.outcome(t.token())).toBe("503 retry 29");
    // Every refused answer's body was let go, not left holding a connection.
    expect(t.cancelledBodies()).toBe(t.fetches());
    t.answer("keys");
    t.at(91_000);
    expect(await t.outcome(t.token())).toBe("ok");
  });

  it("starts the back-off from 1 s again after the issuer has answered", async () => {
    const t = await setup({ maxStaleMs: 60_000 });
    t.answer("down");
    expect(await t.outcome(t.token())).toBe("503 retry 1");
    t.at(1_000);
    expect(await t.outcome(t.token())).toBe("503 retry 2");
    t.answer("keys");
    t.at(3_000);
    expect(await t.outcome(t.token())).toBe("ok");
    t.answer("down");
    t.at(3_000 + 60_000);
    expect(await t.outcome(t.token())).toBe("503 retry 1");
  });

  it.each(["error500", "garbage", "redirect", "down"] as const)(
    "answers 503 at a cold start when the key set is unusable (%s), one fetch for many requests",
    async (answer) => {
      const t = await setup();
      t.answer(answer);
      for (let i = 0; i < 10; i++) expect(await t.outcome(t.token())).toBe("503 retry 1");
      expect(t.fetches()).toBe(1);
      expect(t.lines.map((line) => [line.level, line.message])).toEqual([
        ["error", "JWKS unreachable and no usable keys; answering 503"],
      ]);
    },
  );

  it("gives up on a hung issuer after the configured timeout", async () => {
    const t = await setup({ timeoutMs: 50 });
    t.answer("hang");
    const started = performance.now();
    expect(await t.outcome(t.token())).toBe("503 retry 1");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(t.lines[0]?.fields.error).toMatch(/^TimeoutError: /);
  });

  it("keeps verifying with the last keys for an hour, then answers 503, logging each change once", async () => {
    const t = await setup();
    expect(await t.outcome(t.token())).toBe("ok");
    t.answer("error500");
    t.at(11 * 60_000);
    for (let i = 0; i < 5; i++) expect(await t.outcome(t.token())).toBe("ok");
    expect(t.fetches()).toBe(2); // the others fell within the back-off
    t.at(60 * 60_000 - 1);
    expect(await t.outcome(t.token())).toBe("ok");
    t.at(60 * 60_000);
    expect(await t.outcome(t.token())).toMatch(/^503 retry /);
    t.answer("keys");
    t.at(61 * 60_000);
    expect(await t.outcome(t.token())).toBe("ok");

    expect(t.lines).toEqual([
      {
        level: "warn",
        message: "JWKS unreachable; verifying with stale keys",
        fields: { error: "JWKSFetchFailed: the JWKS answered HTTP 500", staleForMs: 11 * 60_000 },
      },
      {
        level: "error",
        message: "JWKS unreachable and no usable keys; answering 503",
        fields: { error: "JWKSFetchFailed: the JWKS answered HTTP 500" },
      },
      // Measured from the first failed fetch, not the last.
      { level: "info", message: "JWKS reachable again", fields: { outageMs: 50 * 60_000 } },
    ]);
  });

  it("answers 503, not 401, to a kid it cannot look up, and still verifies the kids it knows", async () => {
    const t = await setup();
    expect(await t.outcome(t.token())).toBe("ok");
    t.answer("down");
    // Fresh keys, past the unknown-kid cooldown: the issuer must be asked, and cannot be.
    t.at(31_000);
    expect(await t.outcome(t.token("rotated-in"))).toBe("503 retry 1");
    expect(await t.outcome(t.token())).toBe("ok");
    // Keys past their cache age, served stale.
    t.at(11 * 60_000);
    expect(await t.outcome(t.token())).toBe("ok");
    expect(await t.outcome(t.token("rotated-in"))).toMatch(/^503 retry /);
  });

  it("judges a kid listed twice as before the outage: 401, not 503", async () => {
    const t = await setup();
    t.duplicateKid();
    expect(await t.outcome(t.token())).toBe("401");
    t.answer("down");
    t.at(11 * 60_000);
    expect(await t.outcome(t.token())).toBe("401");
    expect(t.fetches()).toBe(2);
  });

  it("serves the kids the old keys know while a refresh is under way, without waiting for it", async () => {
    const t = await setup();
    expect(await t.outcome(t.token())).toBe("ok");
    t.at(11 * 60_000);
    t.answer("held");
    const waiting = t.outcome(t.token());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.fetches()).toBe(2);
    // Answered from the stale keys while the fetch is held.
    expect(await t.outcome(t.token())).toBe("ok");
    // A kid the old keys lack waits for the fetch under way and is judged by its result.
    const unknown = t.outcome(t.token("never-published"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.release();
    expect(await waiting).toBe("ok");
    expect(await unknown).toBe("401");
    expect(t.fetches()).toBe(2);
  });
});
