import type { Caller } from "@dodeck/core";
import { AppError, normalizeEmail } from "@dodeck/core";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";

export type TokenVerifier = (authorization: string | undefined) => Promise<Caller>;

export type VerifierOptions = {
  issuer: string;
  audience: string;
  claimsNamespace: string;
  keys: JWTVerifyGetKey;
  /** Verified tokens remembered (by the whole token, until `exp`) so repeat calls skip RSA. */
  cacheSize?: number;
  now?: () => number;
};

/** Above this an Authorization header is refused unread: jose would verify a 1 MB token. */
const MAX_AUTHORIZATION_LENGTH = 8_192;
const CLOCK_TOLERANCE_SECONDS = 30;
const KEYS_RETRY_AFTER_SECONDS = 5;
/** While stale keys serve during a JWKS outage, the issuer is asked again at most this often. */
const FAILED_FETCH_BACKOFF_MS = 30_000;

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const issuerWithoutSlash = options.issuer.replace(/\/$/, "");
  const cache = new Map<string, { caller: Caller; expiresAt: number }>();
  const cacheSize = options.cacheSize ?? 1_000;

  return async (authorization) => {
    const token = bearerToken(authorization);
    const cached = cache.get(token);
    if (cached && cached.expiresAt > now()) return cached.caller;
    if (cached) cache.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        issuer: [options.issuer, issuerWithoutSlash],
        audience: options.audience,
        algorithms: ["RS256"],
        // jose accepts a token without exp (it never expires) or sub unless told otherwise.
        requiredClaims: ["exp", "iat", "sub"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw isKeySourceFailure(error)
        ? new AppError(
            "service_unavailable",
            "Token keys cannot be fetched right now; try again shortly.",
            {
              retryAfter: KEYS_RETRY_AFTER_SECONDS,
              cause: error,
            },
          )
        : unauthorized("The token is invalid or expired.", error);
    }

    const caller = callerFrom(payload, options.claimsNamespace);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value ?? "");
    cache.set(token, { caller, expiresAt: (payload.exp ?? 0) * 1000 });
    return caller;
  };
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined)
    throw unauthorized("Send a bearer token in the Authorization header.");
  if (authorization.length > MAX_AUTHORIZATION_LENGTH)
    throw unauthorized("The Authorization header is too large.");
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw unauthorized("The Authorization header must be 'Bearer <token>'.");
  return match[1];
}

function callerFrom(payload: JWTPayload, namespace: string): Caller {
  if (typeof payload.sub !== "string" || payload.sub.length === 0) {
    throw unauthorized("The token's subject must be a string.");
  }
  const email = payload[`${namespace}email`] ?? payload.email;
  const verified = payload[`${namespace}email_verified`] ?? payload.email_verified;
  return {
    sub: payload.sub,
    email: typeof email === "string" && email.length > 0 ? normalizeEmail(email) : undefined,
    emailVerified: verified === true,
  };
}

/**
 * Whether verification failed because the key set could not be had, which is our fault, not
 * the token's: a refused connection (a plain TypeError from fetch), a timeout, a non-200 or
 * non-JSON answer (generic JOSEError) or a malformed key set. Only "no matching key",
 * "several matching keys" and claim or signature failures are the token's.
 */
export function isKeySourceFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === "ERR_JOSE_GENERIC";
  return true;
}

function unauthorized(detail: string, cause?: unknown): AppError {
  return new AppError("unauthorized", detail, { cause });
}

export type RemoteKeysOptions = {
  url: string;
  timeoutMs?: number;
  /** How long keys from the last good fetch stay usable while the JWKS cannot be fetched. */
  maxStaleMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Told each time a fetch fails and stale keys serve instead, so operators see the outage. */
  onStale?: (details: { error: string; staleForMs: number }) => void;
};

/**
 * The issuer's JWKS, fetched by jose (cached across requests; an unknown-kid flood refetches
 * at most once per 30 s cooldown) plus stale-if-error: jose drops its cache after 10 minutes
 * and then fails every request while the JWKS is unreachable, although the keys it had are
 * still the issuer's keys. We keep serving the last good set for up to `maxStaleMs` (1 hour)
 * during such an outage, then answer 503.
 */
export function createRemoteKeys(options: RemoteKeysOptions): JWTVerifyGetKey {
  const now = options.now ?? Date.now;
  const maxStaleMs = options.maxStaleMs ?? 60 * 60 * 1000;
  const fetchImpl = options.fetch ?? fetch;
  let lastGood: { keys: JWTVerifyGetKey; at: number } | undefined;

  const remote = createRemoteJWKSet(new URL(options.url), {
    timeoutDuration: options.timeoutMs ?? 3_000,
    [customFetch]: async (url: string, init: RequestInit) => {
      const response = await fetchImpl(url, init);
      if (response.ok) {
        try {
          lastGood = { keys: createLocalJWKSet(await response.clone().json()), at: now() };
        } catch {
          // jose reports the malformed body itself.
        }
      }
      return response;
    },
  });

  let failedAt: number | undefined;
  const usable = (entry: typeof lastGood): entry is NonNullable<typeof lastGood> =>
    entry !== undefined && now() - entry.at < maxStaleMs;

  return async (header, token) => {
    // During an outage jose would refetch on every request (each one waiting up to the
    // timeout on a hung issuer); while stale keys serve, ask the issuer again only after a
    // back-off.
    if (failedAt !== undefined && now() - failedAt < FAILED_FETCH_BACKOFF_MS && usable(lastGood)) {
      return lastGood.keys(header, token);
    }
    try {
      const key = await remote(header, token);
      failedAt = undefined;
      return key;
    } catch (error) {
      if (!isKeySourceFailure(error)) throw error;
      failedAt = now();
      if (!usable(lastGood)) throw error;
      options.onStale?.({
        error: error instanceof Error ? error.name : "Error",
        staleForMs: now() - lastGood.at,
      });
      return lastGood.keys(header, token);
    }
  };
}
