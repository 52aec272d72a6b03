/**
 * ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford base32, so string order is
 * creation order (dos that tie on position are ordered by id). Monotonic within a process: ids
 * made in the same millisecond increment the random part instead of drawing a new one.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdGenerator = () => string;

export function createUlidGenerator(now: () => number = Date.now): IdGenerator {
  let lastTime = -1;
  let lastRandom: Uint8Array = new Uint8Array(10);

  return () => {
    const time = Math.max(now(), lastTime);
    if (time === lastTime) {
      lastRandom = increment(lastRandom);
    } else {
      lastTime = time;
      lastRandom = crypto.getRandomValues(new Uint8Array(10));
    }
    return encodeTime(time) + encodeRandom(lastRandom);
  };
}

function encodeTime(time: number): string {
  let out = "";
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  // Stryker disable next-line MethodExpression: equivalent, the caller replaces its bytes with the result.
  const next = bytes.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) {
      next[i] = 0;
      continue;
    }
    next[i] = (next[i] ?? 0) + 1;
    return next;
  }
  throw new Error("ULID random part overflowed within one millisecond");
}

export const isUlid = (value: string): boolean => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(value);

/**
 * Ids the old Python service minted (`str(uuid4())`: lower-case, hyphenated). Migrated decks and
 * dos keep them forever, because clients hold them in URLs.
 */
export const isLegacyId = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);

/** Any id a deck or do can have: a ULID (DoDeck) or a UUID (the old service). */
export const isItemId = (value: string): boolean => isUlid(value) || isLegacyId(value);
