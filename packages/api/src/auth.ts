import type { Caller } from "@dodeck/core";
import { AppError, limits, normalizeEmail, utf8Bytes } from "@dodeck/core";
import { createLocalJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Logger } from "./logger.ts";

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

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const now = options.now ?? (() => Date.now());
  const issuerWithoutSlash = options.issuer.replace(/\/$/, "");
  const cache = new Map<string, { caller: Caller; expiresAt: number }>();
  const cacheSize = options.cacheSize ?? 1_000;

  return async (authorization) => {
    const token = bearerToken(authorization);
    const cached = cache.get(token);
    if (cached) {
      // Stryker disable next-line EqualityOperator: equivalent, at exactly `exp` jose's 30 s tolerance accepts the token again.
      if (cached.expiresAt > now()) return cached.caller;
      // Verified again below, it goes to the back of the cache instead of evicting a live one.
      cache.delete(token);
    }

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
              retryAfter:
                error instanceof KeySetUnavailable ? error.retryAfter : KEYS_RETRY_AFTER_SECONDS,
              cause: error,
            },
          )
        : unauthorized("The token is invalid or expired.", error);
    }
    // jose checks `iat` against the clock only when given a maximum token age; a token
    // issued in the future is a forged or mis-minted one, whatever its signature.
    if (typeof payload.iat !== "number" || payload.iat > now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
      throw unauthorized("The token's issue time is in the future.");
    }

    const caller = callerFrom(payload, options.claimsNamespace);
    // Stryker disable next-line StringLiteral: equivalent, reached only with cacheSize 0, where either key is absent.
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
  // The subject becomes a partition key (`ACCESS#USER#{sub}`): one DynamoDB would refuse is
  // not a user DoDeck can serve.
  if (utf8Bytes(payload.sub) > limits.keyBytes.sub) {
    throw unauthorized(`The token's subject is longer than ${limits.keyBytes.sub} bytes.`);
  }
  const claim = payload[`${namespace}email`] ?? payload.email;
  const verified = payload[`${namespace}email_verified`] ?? payload.email_verified;
  const email = typeof claim === "string" ? normalizeEmail(claim) : "";
  return {
    sub: payload.sub,
    // An address longer than any collaborator's (254 bytes) can match no share and would be
    // refused as a partition key: the caller is served as one without an email (own decks;
    // 403 email_required for shared ones), not with a 500 or a 422 about a request field.
    email: email.length > 0 && utf8Bytes(email) <= limits.keyBytes.email ? email : undefined,
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
  // Stryker disable next-line ObjectLiteral: equivalent outside a debugger, a 4xx's cause is neither sent nor logged (app.ts).
  return new AppError("unauthorized", detail, { cause });
}

export type RemoteKeysOptions = {
  url: string;
  timeoutMs?: number;
  /** How long keys from the last good fetch stay usable while the JWKS cannot be fetched. */
  maxStaleMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
  /** Told of each change of the key set's health (not of each request), for operators. */
  log?: Logger;
};

/** Keys are refetched at least this often while the issuer answers (jose's default too). */
const CACHE_MAX_AGE_MS = 10 * 60_000;
/** A token with an unknown `kid` triggers a refetch at most this often (a rotated-in key). */
const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** After a failed fetch the issuer is not asked again before this, doubling up to the cap. */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

/**
 * Thrown when the key set cannot be had (the issuer's JWKS is unreachable and no cached key
 * fits): the server's fault, a 503. The key set has already logged the outage, once per
 * change of state, so the request that meets it adds no log line of its own.
 */
export class KeySetUnavailable extends Error {
  // Stryker disable next-line StringLiteral: equivalent, a KeySetUnavailable is neither sent nor logged (the key set logs its health).
  override readonly name = "KeySetUnavailable";
  /** Seconds until the issuer will be asked again: the 503's Retry-After. */
  readonly retryAfter: number;

  constructor(message: string, retryAfter: number, cause?: unknown) {
    // Stryker disable next-line ObjectLiteral: equivalent, as above; the fetch error reaches the log through `failure.error`.
    super(message, { cause });
    this.retryAfter = retryAfter;
  }
}

/** Whether a 5xx cause has already been logged where it happened (see KeySetUnavailable). */
export function isReportedOutage(error: unknown): boolean {
  return error instanceof KeySetUnavailable;
}

type KeyHealth = "ok" | "stale" | "unavailable";

/**
 * The issuer's JWKS, fetched over HTTP and cached, with the guarantees jose's remote key set
 * lacks during an issuer outage:
 * - single flight: concurrent requests share one fetch;
 * - back-off: after a failed fetch the issuer is asked again only after 1 s, 2 s, 4 s … 30 s,
 *   whether or not keys are cached, so a flood of tokens (forged ones included) during an
 *   outage or a cold start costs one fetch per back-off, not one per request, and no request
 *   waits on a hung issuer except the one that found out;
 * - stale-if-error: keys from the last good fetch keep verifying for up to `maxStaleMs`
 *   (1 hour) while the issuer cannot be reached; jose would fail every request once its
 *   10-minute cache age passed, although those keys are still the issuer's keys;
 * - a token whose `kid` is not cached while the issuer cannot be asked is a 503, not a 401:
 *   the key may have been rotated in during the outage, and the client did nothing wrong;
 * - one log line per change of health (ok → stale → unavailable → ok), never per request.
 */
export function createRemoteKeys(options: RemoteKeysOptions): JWTVerifyGetKey {
  const now = options.now ?? (() => Date.now());
  const maxStaleMs = options.maxStaleMs ?? 60 * 60 * 1000;
  // Keys are never trusted longer without asking than they may be used stale.
  const freshMs = Math.min(CACHE_MAX_AGE_MS, maxStaleMs);
  const timeoutMs = options.timeoutMs ?? 3_000;
  const fetchImpl = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);

  let keys: { get: JWTVerifyGetKey; at: number } | undefined;
  let failure: { since: number; count: number; retryAt: number; error: string } | undefined;
  let inflight: Promise<void> | undefined;
  let health: KeyHealth = "ok";

  const usable = () => (keys !== undefined && now() - keys.at < maxStaleMs ? keys : undefined);

  function enter(next: KeyHealth): void {
    if (next === health) return;
    health = next;
    if (next === "stale") {
      log("warn", "JWKS unreachable; verifying with stale keys", {
        error: failure?.error,
        staleForMs: keys ? now() - keys.at : undefined,
      });
    } else if (next === "unavailable") {
      log("error", "JWKS unreachable and no usable keys; answering 503", {
        error: failure?.error,
      });
    } else {
      log("info", "JWKS reachable again", {
        outageMs: failure ? now() - failure.since : undefined,
      });
    }
  }

  function unavailable(detail: string, cause?: unknown): KeySetUnavailable {
    const wait = failure ? Math.ceil((failure.retryAt - now()) / 1000) : 1;
    return new KeySetUnavailable(detail, Math.min(Math.max(wait, 1), 30), cause);
  }

  async function download(): Promise<JWTVerifyGetKey> {
    // Redirects are not followed: a key set does not move without a configuration change.
    const response = await fetchImpl(options.url, {
      redirect: "manual",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw Object.assign(new Error(`the JWKS answered HTTP ${response.status}`), {
        name: "JWKSFetchFailed",
      });
    }
    return createLocalJWKSet(await response.json());
  }

  /** Fetches the key set once for all waiting requests; refuses at once during a back-off. */
  function refresh(): Promise<void> {
    if (inflight) return inflight;
    if (failure && now() < failure.retryAt) {
      // Stryker disable next-line StringLiteral: equivalent, the message is neither sent nor logged (the 503 says the verifier's).
      return Promise.reject(unavailable("The issuer's key set is unreachable (backing off)."));
    }
    inflight = download()
      .then(
        (get) => {
          keys = { get, at: now() };
          enter("ok");
          failure = undefined;
        },
        (error: unknown) => {
          const count = (failure?.count ?? 0) + 1;
          failure = {
            since: failure?.since ?? now(),
            count,
            retryAt: now() + Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (count - 1)),
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          };
          enter(usable() ? "stale" : "unavailable");
          // Stryker disable next-line StringLiteral: equivalent, as above.
          throw unavailable("The issuer's key set cannot be fetched.", error);
        },
      )
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  /** Verifying with keys kept from before the outage: a kid they lack cannot be judged. */
  async function fromStale(stale: NonNullable<typeof keys>, ...args: Parameters<JWTVerifyGetKey>) {
    try {
      return await stale.get(...args);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // Stryker disable next-line StringLiteral: equivalent, as above.
      throw unavailable("The token's key is not among those cached before the outage.", error);
    }
  }

  return async (header, token) => {
    const current = keys;
    const age = current ? now() - current.at : Number.POSITIVE_INFINITY;
    if (current && age < freshMs) {
      try {
        return await current.get(header, token);
      } catch (error) {
        // An unknown kid right after a fetch is the token's fault; later it may be a key the
        // issuer has rotated in since, so ask the issuer (shared, and at most once a cooldown).
        if (!(error instanceof errors.JWKSNoMatchingKey) || age < UNKNOWN_KID_COOLDOWN_MS) {
          throw error;
        }
      }
      await refresh();
      return (keys ?? current).get(header, token);
    }

    const stale = usable();
    // Keys past their cache age: while another request is asking the issuer, the old keys
    // answer for the kids they know, instead of everyone waiting on a possibly hung fetch.
    if (stale && inflight) {
      try {
        return await stale.get(header, token);
      } catch {
        // An unknown kid waits for the fetch under way.
      }
    }
    try {
      await refresh();
    } catch (error) {
      if (!stale) {
        enter("unavailable");
        throw error;
      }
      enter("stale");
      return fromStale(stale, header, token);
    }
    const fetched = keys;
    // Stryker disable next-line StringLiteral: unreachable, a refresh that resolved has set the keys; and as above.
    if (!fetched) throw unavailable("The issuer's key set cannot be fetched.");
    return fetched.get(header, token);
  };
}
