import { AppError } from "@dodeck/core";
import { type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createTestIssuer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIssuer,
} from "../../../test/support/issuer.ts";
import { createTokenVerifier } from "../src";

/**
 * What the verifier makes of an Authorization header, DB-free, with real RS256 tokens: the
 * caller it serves, or the 401/503 a client is told. (Through the app: auth.db.test.ts.)
 */
const NAMESPACE = "https://dodeck.app/";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});

function verifier(now?: () => number) {
  let lookups = 0;
  const verify = createTokenVerifier({
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    claimsNamespace: NAMESPACE,
    keys: (header, token) => {
      lookups++;
      return issuer.keys(header, token);
    },
    ...(now ? { now } : {}),
  });
  return { verify, lookups: () => lookups };
}

/** The 401's detail (what the client reads), or "ok". */
async function refusal(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return "ok";
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect(error.code).toBe("unauthorized");
    return error.detail ?? "";
  }
}

const token = (claims: JWTPayload = {}) => issuer.sign({ sub: "auth0|u", ...claims });

describe("the Authorization header", () => {
  it("accepts the Bearer scheme in any case, with any spaces around the token", async () => {
    const { verify } = verifier();
    const jwt = await token();
    for (const header of [
      `Bearer ${jwt}`,
      `bearer ${jwt}`,
      `BEARER ${jwt}`,
      `Bearer    ${jwt}`,
      `  Bearer ${jwt}  `,
    ]) {
      expect((await verify(header)).sub, header).toBe("auth0|u");
    }
  });

  it("refuses anything but one bearer token, saying what is expected", async () => {
    const { verify, lookups } = verifier();
    const jwt = await token();
    expect(await refusal(verify(undefined))).toBe(
      "Send a bearer token in the Authorization header.",
    );
    for (const header of [
      "",
      "Bearer",
      "Bearer ",
      `Basic ${jwt}`,
      `Token ${jwt}`,
      `xBearer ${jwt}`,
      `Bearer${jwt}`,
      `Bearer ${jwt} extra`,
      `Bearer ${jwt}!`,
      `Bearer "${jwt}"`,
    ]) {
      expect(await refusal(verify(header)), header).toBe(
        "The Authorization header must be 'Bearer <token>'.",
      );
    }
    // None of these reached the key set, let alone RSA.
    expect(lookups()).toBe(0);
  });

  it("refuses a header over 8 KiB unread, and reads one of exactly 8 KiB", async () => {
    const { verify, lookups } = verifier();
    const jwt = await token();
    const exactly = `Bearer ${jwt}`.padEnd(8_192, " ");
    expect(exactly).toHaveLength(8_192);
    expect((await verify(exactly)).sub).toBe("auth0|u");
    expect(lookups()).toBe(1);
    expect(await refusal(verify(`${exactly} `))).toBe("The Authorization header is too large.");
    expect(lookups()).toBe(1);
  });
});

describe("the token's claims", () => {
  it("accepts the issuer as Auth0 writes it and without its trailing slash, and no other", async () => {
    const { verify } = verifier();
    const from = async (iss: string) =>
      refusal(verify(`Bearer ${await issuer.sign({ sub: "auth0|u" }, { issuer: iss })}`));
    expect(await from(TEST_ISSUER)).toBe("ok");
    expect(await from(TEST_ISSUER.replace(/\/$/, ""))).toBe("ok");
    expect(await from(`${TEST_ISSUER}/`)).toBe("The token is invalid or expired.");
    expect(await from("https://other-tenant.example.com/")).toBe(
      "The token is invalid or expired.",
    );
  });

  /** A token that says when it was issued and whether it expires (issuer.sign stamps both). */
  const signed = (iat: number, exp: number | undefined) => {
    const jwt = new SignJWT({ sub: "auth0|u" })
      .setProtectedHeader({ alg: "RS256", kid: "test-key-1" })
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setIssuedAt(iat);
    if (exp !== undefined) jwt.setExpirationTime(exp);
    return jwt.sign(issuer.privateKey);
  };

  it("refuses a token issued in the future beyond 30 s of clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { verify } = verifier(() => now * 1_000);
    expect(await refusal(verify(`Bearer ${await signed(now + 30, now + 600)}`))).toBe("ok");
    expect(await refusal(verify(`Bearer ${await signed(now + 31, now + 600)}`))).toBe(
      "The token's issue time is in the future.",
    );
  });

  it("refuses a token that never expires", async () => {
    const { verify } = verifier();
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(verify(`Bearer ${await signed(now, undefined)}`))).toBe(
      "The token is invalid or expired.",
    );
  });

  it("refuses a subject that is empty, not a string, or too long for a key", async () => {
    const { verify } = verifier();
    expect(await refusal(verify(`Bearer ${await token({ sub: "" })}`))).toBe(
      "The token's subject must be a string.",
    );
    expect(
      await refusal(verify(`Bearer ${await token({ sub: 42 as unknown as string })}`)),
    ).not.toBe("ok");
    expect(await refusal(verify(`Bearer ${await token({ sub: "s".repeat(1_024) })}`))).toBe("ok");
    // Bytes, not characters: 513 two-byte characters are 1,026 bytes.
    expect(await refusal(verify(`Bearer ${await token({ sub: "é".repeat(513) })}`))).toBe(
      "The token's subject is longer than 1024 bytes.",
    );
  });

  it("reads the email from the namespaced claims first, then the plain ones", async () => {
    const { verify } = verifier();
    const caller = (claims: JWTPayload) => token(claims).then((jwt) => verify(`Bearer ${jwt}`));
    expect(
      await caller({
        [`${NAMESPACE}email`]: " Alice@Example.COM ",
        [`${NAMESPACE}email_verified`]: true,
        email: "other@example.com",
        email_verified: false,
      }),
    ).toEqual({ sub: "auth0|u", email: "alice@example.com", emailVerified: true });
    expect(await caller({ email: "Bob@Example.com", email_verified: true })).toEqual({
      sub: "auth0|u",
      email: "bob@example.com",
      emailVerified: true,
    });
    // Only a boolean true verifies an address.
    expect(await caller({ email: "c@example.com", email_verified: "true" })).toMatchObject({
      emailVerified: false,
    });
    expect(await caller({})).toEqual({ sub: "auth0|u", email: undefined, emailVerified: false });
  });

  it("serves a caller whose email is unusable as one without an email", async () => {
    const { verify } = verifier();
    const caller = (claims: JWTPayload) => token(claims).then((jwt) => verify(`Bearer ${jwt}`));
    const local = "a".repeat(64);
    const fits = `${local}@${"b".repeat(254 - local.length - 6)}.test`;
    expect(fits).toHaveLength(254);
    expect((await caller({ email: fits })).email).toBe(fits);
    expect((await caller({ email: `${fits}x` })).email).toBeUndefined();
    expect((await caller({ email: "   " })).email).toBeUndefined();
    expect((await caller({ email: 7 })).email).toBeUndefined();
  });
});

describe("a key set that fails", () => {
  it("tells the client to retry in 5 s when the keys cannot be had", async () => {
    const verify = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      claimsNamespace: NAMESPACE,
      keys: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const error = await verify(`Bearer ${await token()}`).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "service_unavailable",
      retryAfter: 5,
      detail: "Token keys cannot be fetched right now; try again shortly.",
    });
  });

  it("answers 401 to a token signed by another key with the same kid", async () => {
    const impostor = await createTestIssuer("test-key-1");
    const { verify } = verifier();
    expect(await refusal(verify(`Bearer ${await impostor.sign({ sub: "auth0|u" })}`))).toBe(
      "The token is invalid or expired.",
    );
  });
});
