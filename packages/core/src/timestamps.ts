/**
 * DoDeck writes timestamps as `Date#toISOString()` (`2026-11-30T15:42:52.089Z`). The old service
 * wrote Python's `isoformat()` (`2026-11-30T15:42:52.089446+00:00`, and no fraction at all when
 * the microsecond is 0). Legacy dos keep their stored strings, because their creation order
 * lives in the microseconds; every response renders the one DoDeck format.
 */
const STORED =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

type Parsed = { epochMs: number; micros: number };

function parse(stored: string): Parsed | undefined {
  const match = STORED.exec(stored);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = "", zone = "Z"] = match;
  const offsetMinutes =
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, "Z" parses as +00:00.
    zone === "Z"
      ? 0
      : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const digits = fraction.padEnd(6, "0");
  const epochMs =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) -
    offsetMinutes * 60_000 +
    Number(digits.slice(0, 3));
  // Stryker disable next-line ConditionalExpression: defensive; the pattern admits digits only.
  if (Number.isNaN(epochMs)) return undefined;
  return { epochMs, micros: Number(digits.slice(3, 6)) };
}

/** Whether a stored string is a timestamp either service wrote. */
export const isStoredTimestamp = (stored: string): boolean => parse(stored) !== undefined;

/**
 * DoDeck's own format, which nearly every stored timestamp is, so a list of 50 dos does not
 * parse and re-render 100 of them (2 % of `GET …/dos`'s CPU in a profile). Days past the 28th
 * and years before 1000 take the long way, which rolls over impossible dates as it always has.
 */
const CANONICAL =
  /^[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * The response format for any stored timestamp. Sub-millisecond digits are cut, not rounded,
 * as JavaScript's own parser does; a string neither service wrote passes through unchanged.
 */
export function canonicalTimestamp(stored: string): string {
  // Stryker disable next-line ConditionalExpression: equivalent when forced false, a fast path: a canonical timestamp parsed and rendered again is itself.
  if (CANONICAL.test(stored)) return stored;
  const parsed = parse(stored);
  return parsed === undefined ? stored : new Date(parsed.epochMs).toISOString();
}

/** Microseconds since the epoch of a stored timestamp; undefined for one neither service wrote. */
export function timestampMicros(stored: string): number | undefined {
  const parsed = parse(stored);
  return parsed === undefined ? undefined : parsed.epochMs * 1000 + parsed.micros;
}
