import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { canonicalTimestamp, nameLowerOf, positionOfItem } from "@dodeck/core";
import { expect } from "vitest";
import type { TestApp } from "../support/app.ts";
import { endpoint } from "../support/dynamo.ts";
import type { TestUser } from "../support/issuer.ts";
import type { Recorded } from "../support/legacy.ts";

const root = resolve(import.meta.dirname, "../..");

/** Runs `npm run migrate` exactly as the README tells an operator to, against a test table. */
export async function runMigrateCommand(tableName: string, ...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      "npm",
      ["run", "-s", "migrate", ...(args.length > 0 ? ["--", ...args] : [])],
      {
        cwd: root,
        env: { ...process.env, TABLE_NAME: tableName, DYNAMODB_ENDPOINT_URL: endpoint() },
        timeout: 120_000,
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

/** A GET as the user, following `nextCursor` so a paginated list compares with an unpaged one. */
export async function getAll(app: TestApp, user: TestUser, path: string) {
  const first = await app.call(user, "GET", path);
  if (first.status !== 200 || !isPage(first.body)) return first;
  const items = [...first.body.items];
  let cursor = first.body.nextCursor;
  while (cursor) {
    const separator = path.includes("?") ? "&" : "?";
    const next = await app.call(
      user,
      "GET",
      `${path}${separator}cursor=${encodeURIComponent(cursor)}`,
    );
    expect(next.status).toBe(200);
    const page = next.body as { items: unknown[]; nextCursor?: string | null };
    items.push(...page.items);
    cursor = page.nextCursor ?? null;
  }
  return { ...first, body: { items } };
}

const isPage = (body: unknown): body is { items: unknown[]; nextCursor?: string | null } =>
  typeof body === "object" && body !== null && Array.isArray((body as { items?: unknown }).items);

/**
 * What DoDeck answers where the old service answered `recorded`, by the differences
 * `docs/migration.md` lists as deliberate: one timestamp format; 404 instead of 403 for
 * non-members; problem+json bodies whose `code` is the old `detail`; deck lists in sort-key
 * order (owned first, then `DECK#{nameLower}#{deckId}` by UTF-8 bytes).
 */
export function expectedAnswer(recorded: Recorded): { status: number; body: unknown } {
  const body = recorded.body as Record<string, unknown>;
  if (recorded.status === 403 && body.detail === "forbidden")
    return { status: 404, body: { code: "deck_not_found" } };
  if (recorded.status >= 400) return { status: recorded.status, body: { code: body.detail } };
  if (/^GET \/v1\/decks(\?|$)/.test(recorded.request))
    return { status: 200, body: { items: inListOrder(body.items as Summary[]) } };
  return { status: recorded.status, body: withCanonicalTimestamps(body) };
}

type Summary = { deckId: string; name: string; isOwner: boolean; collaborators: number };

export function inListOrder(items: Summary[]): Summary[] {
  const sortKey = (item: Summary) => Buffer.from(`DECK#${nameLowerOf(item.name)}#${item.deckId}`);
  return [...items].sort(
    (a, b) => Number(b.isOwner) - Number(a.isOwner) || Buffer.compare(sortKey(a), sortKey(b)),
  );
}

function withCanonicalTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withCanonicalTimestamps);
  if (typeof value !== "object" || value === null) return value;
  // v1.1 adds `dueAt` to every do (additive); the old service had none, so it is null.
  const entries = Object.entries(value);
  if ("doId" in value && !("dueAt" in value)) entries.splice(4, 0, ["dueAt", null]);
  // And `position`: for the old service's dos, the time key of their creation instant (to the
  // microsecond it stored), which is what keeps them in the old order.
  if ("doId" in value && !("position" in value) && "createdAt" in value)
    entries.push(["position", positionOfItem({ createdAt: value.createdAt })]);
  return Object.fromEntries(
    entries.map(([key, field]) => [
      key,
      (key === "createdAt" || key === "updatedAt") && typeof field === "string"
        ? canonicalTimestamp(field)
        : withCanonicalTimestamps(field),
    ]),
  );
}

/** Compares an answer with the expected one; problem bodies only by their `code`. */
export function expectAnswer(
  actual: { status: number; body: unknown },
  expected: { status: number; body: unknown },
  what: string,
) {
  expect(actual.status, what).toBe(expected.status);
  if (expected.status >= 400) expect(actual.body, what).toMatchObject(expected.body as object);
  else expect(actual.body, what).toEqual(expected.body);
}
