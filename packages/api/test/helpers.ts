import { apiRoutes } from "@dodeck/api";
import { expect } from "vitest";
import type { TestApp } from "../../../test/support/app.ts";
import { scanAll } from "../../../test/support/dynamo.ts";
import type { TestUser } from "../../../test/support/issuer.ts";

type Reply = Awaited<ReturnType<TestApp["call"]>>;

/** Text that must never reach a client: stack frames, AWS SDK or jose internals. */
const LEAKS = [
  /\bat .+:\d+:\d+/,
  /node_modules/,
  /Exception\b/,
  /\$metadata/,
  /ConditionalCheck/,
  /DynamoDB/i,
  /\bAWS\b|amazonaws/i,
  /jose|JWS|JWT[A-Z]\w+|ERR_J/,
];

/** Asserts an RFC 9457 problem with the contract's shape, status and code. */
export function expectProblem(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const { type, title, detail, errors, ...rest } = reply.body;
  expect(rest).toEqual({ status, code });
  expect(type).toBe(`https://dodeck.app/problems/${code.replaceAll("_", "-")}`);
  // Only a "try again" answer says when, and only it must not be cached.
  if (status !== 503) {
    expect(reply.headers.get("retry-after")).toBeNull();
    expect(reply.headers.get("cache-control")).toBeNull();
  }
  expect(typeof title).toBe("string");
  expect(typeof detail).toBe("string");
  if (status === 422) {
    expect(errors).toEqual(
      expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
    );
    for (const error of errors) expect(Object.keys(error).sort()).toEqual(["message", "path"]);
  } else {
    expect(errors).toBeUndefined();
  }
  const text = JSON.stringify(reply.body);
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
}

export async function createDeck(t: TestApp, user: TestUser, name: string): Promise<string> {
  const reply = await t.call(user, "POST", "/v1/decks", { name });
  expect(reply.status).toBe(201);
  return reply.body.deckId;
}

export async function share(t: TestApp, deckId: string, email: string, owner: TestUser) {
  const reply = await t.call(owner, "POST", `/v1/decks/${deckId}/collaborators`, { email });
  expect(reply.status).toBe(201);
  return reply.body;
}

export async function createDo(t: TestApp, user: TestUser, deckId: string, text: string) {
  const reply = await t.call(user, "POST", `/v1/decks/${deckId}/dos`, { text });
  expect(reply.status).toBe(201);
  return reply.body;
}

/** Every stored item that belongs to a deck: its own partition and any access row naming it. */
export async function itemsOf(t: TestApp, deckId: string) {
  const items = await scanAll(t.store);
  return items.filter((item) => item.PK === `DECK#${deckId}` || item.deckId === deckId);
}

/** Runs a request with the DynamoDB call counter reset, returning the reply and the calls. */
export async function counted(t: TestApp, run: () => Promise<Reply>) {
  t.store.counter.reset();
  const reply = await run();
  return { reply, calls: [...t.store.counter.calls] };
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Every authenticated route of the app as a concrete [method, path], taken from the route
 * registry the app mounts and documents, so a new route is covered by default.
 */
export function authenticatedRoutes(ids: { deckId: string; doId: string; email?: string }) {
  const values: Record<string, string> = { email: "a@example.com", ...ids };
  return apiRoutes
    .filter((route) => route.auth)
    .map((route): [string, string] => [
      route.method.toUpperCase(),
      route.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name),
    ]);
}
