import { limits, utf8Bytes } from "@dodeck/core";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, expectProblem } from "./helpers.ts";

// Issue 13 item 7: values that become part of a DynamoDB key (partition key ≤ 2048 bytes, sort
// key ≤ 1024) are bounded in UTF-8 bytes, so an oversized one is the client's 4xx, never a 500.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const emoji = "\u{1F600}"; // 4 bytes in UTF-8, 2 UTF-16 units, 1 code point

describe("key sizes", () => {
  it("answers 401 to a token whose sub is too long to be a key (~3 KB)", async () => {
    const long = { sub: `auth0|${"x".repeat(3_000)}`, email: "long@example.com" };
    const created = await t.call(long, "POST", "/v1/decks", { name: "Never" });
    expectProblem(created, 401, "unauthorized");
    expectProblem(await t.call(long, "GET", "/v1/decks"), 401, "unauthorized");
  });

  it("accepts a sub at the bound, counted in bytes, multi-byte characters included", async () => {
    const sub = emoji.repeat(limits.keyBytes.sub / 4);
    expect(utf8Bytes(sub)).toBe(limits.keyBytes.sub);
    const user = { sub, email: "at-bound@example.com" };
    const created = await t.call(user, "POST", "/v1/decks", { name: "Fits" });
    expect(created.status).toBe(201);
    expect((await t.call(user, "GET", "/v1/decks")).body.items).toHaveLength(1);
    expectProblem(
      await t.call({ ...user, sub: `${sub}x` }, "GET", "/v1/decks"),
      401,
      "unauthorized",
    );
  });

  it("treats an email claim too long to be a key as no email: own decks, never a 500", async () => {
    const user = { sub: "auth0|long-email", email: `${"é".repeat(1_500)}@example.com` };
    await createDeck(t, user, "Mine");
    const all = await t.call(user, "GET", "/v1/decks");
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(1);
    expectProblem(await t.call(user, "GET", "/v1/decks?visibility=shared"), 403, "email_required");
  });

  it("answers 422 to a collaborator email over 254 bytes, however few characters", async () => {
    const deckId = await createDeck(t, users.owner, "Shared");
    const email = `${"é".repeat(125)}@x.io`; // 130 characters, 255 bytes
    expect(utf8Bytes(email)).toBe(255);
    expectProblem(
      await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, { email }),
      422,
      "validation_failed",
    );
    const fits = `${"é".repeat(124)}@x.io`;
    const shared = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
      email: fits,
    });
    expect(shared.status).toBe(201);
  });

  it("keeps the longest multi-byte deck name and search prefix within the sort key", async () => {
    const name = emoji.repeat(limits.deckName.max);
    const created = await t.call(users.owner, "POST", "/v1/decks", { name });
    expect(created.status).toBe(201);
    const search = await t.call(
      users.owner,
      "GET",
      `/v1/decks?visibility=mine&search=${encodeURIComponent(emoji.repeat(60))}`,
    );
    expect(search.status).toBe(200);
    expect(search.body.items.map((d: { name: string }) => d.name)).toEqual([name]);
    expectProblem(
      await t.call(users.owner, "GET", `/v1/decks?search=${encodeURIComponent("é".repeat(250))}`),
      422,
      "validation_failed",
    );
  });
});
