import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

export const TEST_ISSUER = "https://test-tenant.example.com/";
export const TEST_AUDIENCE = "https://api.dodeck.test";

export type TestUser = { sub: string; email?: string; emailVerified?: boolean };

/** A real RS256 key pair and JWKS; tokens are signed exactly as an Auth0 tenant would. */
export async function createTestIssuer(kid = "test-key-1") {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const jwks = { keys: [publicJwk] };

  async function sign(
    claims: JWTPayload,
    options: {
      expiresIn?: string | number;
      issuer?: string;
      audience?: string | string[];
      kid?: string;
    } = {},
  ): Promise<string> {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: options.kid ?? kid, typ: "JWT" })
      .setIssuer(options.issuer ?? TEST_ISSUER)
      .setAudience(options.audience ?? [TEST_AUDIENCE, "https://test-tenant.example.com/userinfo"])
      .setIssuedAt();
    if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
    else jwt.setExpirationTime("10m");
    return jwt.sign(privateKey);
  }

  /** A token for a user, with the email claims in Auth0's namespaced form. */
  function tokenFor(user: TestUser): Promise<string> {
    return sign({
      sub: user.sub,
      ...(user.email === undefined
        ? {}
        : {
            "https://dodeck.app/email": user.email,
            "https://dodeck.app/email_verified": user.emailVerified ?? true,
          }),
    });
  }

  return { jwks, keys: createLocalJWKSet(jwks), publicJwk, privateKey, publicKey, sign, tokenFor };
}

export type TestIssuer = Awaited<ReturnType<typeof createTestIssuer>>;
