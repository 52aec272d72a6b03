import { timestampMicros } from "./timestamps.ts";

/**
 * A do's place in its deck: an opaque string, ordered as plain strings (code-unit order, which
 * for this ASCII alphabet is byte order, so DynamoDB and JavaScript agree), ties broken by doId.
 * Keys are fractions in base 62: a move writes one key strictly between its new neighbours'
 * (fractional indexing), so no sibling is renumbered. No key ends in the lowest digit, so there
 * is always a key strictly between two distinct keys, and always room above "" (the top).
 */
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE = DIGITS.length;
const ZERO = DIGITS[0] as string;

/**
 * Long enough for ~700 moves into one gap (a midpoint grows by one digit per ~6); past it a
 * move rebalances the dos around the gap instead (dos.ts). Also keeps the list cursor, which
 * carries a position, far below its own bound.
 */
export const MAX_POSITION_LENGTH = 128;

/** Width of a time key: 62^10 microseconds reach the year 28,000. */
const TIME_KEY_WIDTH = 10;

const WELL_FORMED = new RegExp(`^[0-9A-Za-z]{0,${MAX_POSITION_LENGTH - 1}}[1-9A-Za-z]$`);

/** Whether a stored position is one this module could have produced. */
export const isPosition = (value: unknown): value is string =>
  typeof value === "string" && WELL_FORMED.test(value);

/**
 * The key of an instant, in microseconds since the epoch: fixed width, then trailing zeros cut
 * (which keeps the order of fixed-width strings and the rule that no key ends in "0"). Dos get
 * one when created (so new dos go last) and when moved below the last one; dos without a stored
 * position (the old service's, DoDeck's before v1.1) get their creation instant's, so they
 * keep the order they were listed in and sort before any do created later.
 */
export function timeKey(micros: number): string {
  // From 1: the epoch's key would be empty, leaving no room above "".
  let rest = Math.max(1, Math.floor(micros));
  let out = "";
  for (let i = 0; i < TIME_KEY_WIDTH; i++) {
    out = DIGITS[rest % BASE] + out;
    rest = Math.floor(rest / BASE);
  }
  return out.replace(/0+$/, "");
}

/**
 * A stored do's position: its own, else its creation instant's time key (a timestamp neither
 * service wrote sorts last, as the old service's listing put it).
 */
export function positionOfItem(item: Record<string, unknown>): string {
  if (typeof item.position === "string") return item.position;
  const micros = timestampMicros(String(item.createdAt));
  return micros === undefined ? DIGITS[BASE - 1]!.repeat(TIME_KEY_WIDTH) : timeKey(micros);
}

/**
 * Time keys for new positions from one process: never twice the same and never going back
 * (two dos created in the same millisecond still go in creation order).
 */
export function createTimeKeys(nowMs: () => number): () => string {
  let last = -1;
  return () => {
    last = Math.max(nowMs() * 1000, last + 1);
    return timeKey(last);
  };
}

const digitOf = (char: string): number => DIGITS.indexOf(char);

/**
 * A key strictly between `lo` and `hi` (strings; "" is the top, null nothing above), not ending
 * in the lowest digit; requires lo < hi. The midpoint of the two as base-62 fractions, with as
 * few digits as the gap allows (rocicorp/fractional-indexing's algorithm).
 */
export function midpoint(lo: string, hi: string | null): string {
  if (hi !== null) {
    let n = 0;
    while ((lo[n] ?? ZERO) === hi[n]) n++;
    if (n > 0) return hi.slice(0, n) + midpoint(lo.slice(n), hi.slice(n));
  }
  const low = lo === "" ? 0 : digitOf(lo[0]!);
  const high = hi === null ? BASE : digitOf(hi[0]!);
  if (high - low > 1) return DIGITS[Math.round((low + high) / 2)]!;
  // Adjacent digits: hi's first digit alone lies between, if hi goes on after it.
  if (hi !== null && hi.length > 1) return hi.slice(0, 1);
  return DIGITS[low] + midpoint(lo.slice(1), null);
}

/**
 * A key for a place between two neighbours, or undefined when none fits: the neighbours tie
 * (equal positions, ordered by doId) or the key would be longer than MAX_POSITION_LENGTH.
 */
export function keyBetween(lo: string, hi: string | null): string | undefined {
  if (hi !== null && lo >= hi) return undefined;
  const key = midpoint(lo, hi);
  return key.length <= MAX_POSITION_LENGTH ? key : undefined;
}

/**
 * `count` increasing keys strictly between `lo` and `hi`, as short as the gap allows: the
 * midpoint, then each half recursively (so lengths grow with log(count), not with count).
 */
export function spread(lo: string, hi: string | null, count: number): string[] {
  if (count <= 0) return [];
  const mid = midpoint(lo, hi);
  const below = Math.floor((count - 1) / 2);
  return [...spread(lo, mid, below), mid, ...spread(mid, hi, count - 1 - below)];
}

/** The order of dos in a list: by position, then by doId. */
export function comparePlaces(
  a: { position: string; doId: string },
  b: { position: string; doId: string },
): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return a.doId < b.doId ? -1 : a.doId > b.doId ? 1 : 0;
}
