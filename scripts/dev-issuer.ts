import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config, DepsOverrides } from "@dodeck/api";
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

/**
 * The local development issuer: a key pair made on first use and kept in `.dodeck/` (git-
 * ignored), so a newcomer without an Auth0 tenant can mint tokens with `npm run token`.
 * Only `npm run dev` wires it in, and only for ENVIRONMENT=local: no variable turns it on.
 */
export const DEV_ISSUER = "https://dev-issuer.dodeck.local/";
export const DEV_AUDIENCE = "dodeck-local";
export const DEV_KEY_FILE = ".dodeck/dev-issuer.json";
const KID = "dodeck-dev";

type StoredKeys = { privateJwk: JWK; publicJwk: JWK };

export async function loadDevIssuer(file = DEV_KEY_FILE) {
  const stored = await readKeys(file);
  const privateKey = await importJWK(stored.privateJwk, "RS256");
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    jwks: { keys: [stored.publicJwk] },
    async sign(
      claims: { sub: string; email?: string; emailVerified?: boolean },
      expiresIn = "12h",
    ) {
      return new SignJWT({
        ...(claims.email
          ? {
              "https://dodeck.app/email": claims.email,
              "https://dodeck.app/email_verified": claims.emailVerified ?? true,
            }
          : {}),
      })
        .setProtectedHeader({ alg: "RS256", kid: KID, typ: "JWT" })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setSubject(claims.sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey);
    },
  };
}

export type DevIssuer = Awaited<ReturnType<typeof loadDevIssuer>>;

/** The dependency override that makes the app trust the dev key; refuses outside `local`. */
export function devIssuerOverrides(config: Config, issuer: DevIssuer): DepsOverrides {
  assertDevIssuerAllowed(config);
  return { keys: createLocalJWKSet(issuer.jwks) };
}

/** Throws unless the dev issuer may be trusted; call it before any key material is made. */
export function assertDevIssuerAllowed(config: Config): void {
  if (config.environment !== "local") {
    throw new Error(
      `the local development issuer cannot be enabled with ENVIRONMENT=${config.environment}`,
    );
  }
  if (config.auth.issuer !== DEV_ISSUER) {
    throw new Error(`the local development issuer needs AUTH0_ISSUER=${DEV_ISSUER}`);
  }
}

async function readKeys(file: string): Promise<StoredKeys> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as StoredKeys;
  } catch {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const stored: StoredKeys = {
      privateJwk: { ...(await exportJWK(privateKey)), kid: KID, alg: "RS256" },
      publicJwk: { ...(await exportJWK(publicKey)), kid: KID, alg: "RS256", use: "sig" },
    };
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    return stored;
  }
}
