/**
 * Versions and preconditions in the domain's terms. Every deck and do carries a version that
 * each change bumps; the API derives its ETags from it and turns If-Match into a
 * `Precondition`. HTTP stays in packages/api: core only compares numbers.
 */

/** What the writer expects to find: any existing version (`If-Match: *`) or one of these. */
export type Precondition = "any" | readonly number[];

/** Whether a resource at `version` satisfies the precondition (none given: always). */
export const satisfies = (precondition: Precondition | undefined, version: number): boolean =>
  precondition === undefined || precondition === "any" || precondition.includes(version);

/**
 * The version a result was written or read at, and whether it is an idempotent replay. Kept
 * beside the result rather than in it, so core's results stay exactly the documented response
 * bodies (packages/api/test/schemas.test.ts) and existing callers see the same values.
 */
type Meta = { version: number; replayed: boolean };
const meta = new WeakMap<object, Meta>();

export function versioned<T extends object>(value: T, version: number, replayed = false): T {
  meta.set(value, { version, replayed });
  return value;
}

/** The version a service result carries; undefined for values no service returned. */
export const versionOf = (value: object): number | undefined => meta.get(value)?.version;

/** Whether an Idempotency-Key-protected create answered with the first request's result. */
export const wasReplayed = (value: object): boolean => meta.get(value)?.replayed === true;
