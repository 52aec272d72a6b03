import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, expectProblem, itemsOf, share } from "./helpers.ts";

/** RFC 9110 conditional requests: ETag, If-Match (412, writes nothing), If-None-Match (304). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const STRONG = /^"[^"]+"$/;
const ifMatch = (etag: string) => ({ "if-match": etag });

describe("ETag", () => {
  it("tags deck detail and every do response, and changes the tag whenever the resource changes", async () => {
    const created = await t.call(users.owner, "POST", "/v1/decks", { name: "Tagged" });
    const deckId = created.body.deckId;
    const first = created.headers.get("etag")!;
    expect(first).toMatch(STRONG);
    const read = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
    expect(read.headers.get("etag")).toBe(first);
    const renamed = await t.call(users.owner, "PATCH", `/v1/decks/${deckId}`, { name: "Re" });
    const shared = await t.call(users.owner, "POST", `/v1/decks/${deckId}/collaborators`, {
      email: users.friend.email,
    });
    const deckTags = [first, renamed.headers.get("etag"), shared.headers.get("etag")];
    expect(new Set(deckTags).size).toBe(3);
    expect((await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).headers.get("etag")).toBe(
      deckTags[2],
    );
    // A collaborator's representation differs (isOwner), so its tag does too.
    const seenByFriend = await t.call(users.friend, "GET", `/v1/decks/${deckId}`);
    expect(seenByFriend.headers.get("etag")).toMatch(STRONG);
    expect(seenByFriend.headers.get("etag")).not.toBe(deckTags[2]);

    const made = await t.call(users.friend, "POST", `/v1/decks/${deckId}/dos`, { text: "a" });
    const path = `/v1/decks/${deckId}/dos/${made.body.doId}`;
    const doTags = [made.headers.get("etag")];
    doTags.push((await t.call(users.owner, "GET", path)).headers.get("etag"));
    expect(doTags[1]).toBe(doTags[0]);
    for (const body of [{ completed: true }, { text: "b" }, { text: "b" }]) {
      const patched = await t.call(users.owner, "PATCH", path, body);
      doTags.push(patched.headers.get("etag"));
      expect((await t.call(users.friend, "GET", path)).headers.get("etag")).toBe(doTags.at(-1));
    }
    // Every write is a change (updatedAt moves), so every write gets a new tag.
    expect(new Set(doTags).size).toBe(4);
    for (const tag of doTags) expect(tag).toMatch(STRONG);
  });
});

describe("If-None-Match", () => {
  it("answers 304 with no body and the ETag when the tag matches, 200 otherwise", async () => {
    const deckId = await createDeck(t, users.owner, "Cached");
    await share(t, deckId, users.friend.email, users.owner);
    const item = await createDo(t, users.owner, deckId, "cached do");
    for (const [user, path] of [
      [users.owner, `/v1/decks/${deckId}`],
      [users.friend, `/v1/decks/${deckId}`],
      [users.friend, `/v1/decks/${deckId}/dos/${item.doId}`],
    ] as const) {
      const tag = (await t.call(user, "GET", path)).headers.get("etag")!;
      for (const header of [tag, `W/${tag}`, `"nope", ${tag}`, "*"]) {
        const cached = await t.call(user, "GET", path, undefined, { "if-none-match": header });
        expect({ status: cached.status, body: cached.body }).toEqual({
          status: 304,
          body: undefined,
        });
        expect(cached.headers.get("etag")).toBe(tag);
      }
      const stale = await t.call(user, "GET", path, undefined, { "if-none-match": '"0"' });
      expect(stale.status).toBe(200);
      expect(stale.headers.get("etag")).toBe(tag);
    }
    // Access is checked first: a stranger with a matching tag still gets 404.
    const tag = (await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).headers.get("etag")!;
    expectProblem(
      await t.call(users.stranger, "GET", `/v1/decks/${deckId}`, undefined, {
        "if-none-match": tag,
      }),
      404,
      "deck_not_found",
    );
  });
});

describe("If-Match", () => {
  it("applies each write when the tag is current and answers 412 precondition_failed, writing nothing, when stale", async () => {
    const deckId = await createDeck(t, users.owner, "Guarded");
    const deckPath = `/v1/decks/${deckId}`;
    let tag = (await t.call(users.owner, "GET", deckPath)).headers.get("etag")!;
    const renamed = await t.call(users.owner, "PATCH", deckPath, { name: "G2" }, ifMatch(tag));
    expect(renamed.status).toBe(200);
    const stale = tag;
    tag = renamed.headers.get("etag")!;

    const before = await itemsOf(t, deckId);
    const refusals = [
      ["PATCH", deckPath, { name: "lost" }],
      ["POST", `${deckPath}/collaborators`, { email: "x@example.com" }],
      ["DELETE", deckPath, undefined],
    ] as const;
    for (const [method, path, body] of refusals) {
      for (const header of [stale, `W/${tag}`, '"999"', "garbage"]) {
        expectProblem(
          await t.call(users.owner, method, path, body, ifMatch(header)),
          412,
          "precondition_failed",
        );
      }
    }
    expect(await itemsOf(t, deckId)).toEqual(before);

    const shared = await t.call(
      users.owner,
      "POST",
      `${deckPath}/collaborators`,
      { email: users.friend.email },
      ifMatch(`"1", ${tag}`),
    );
    expect(shared.status).toBe(201);
    expectProblem(
      await t.call(
        users.owner,
        "DELETE",
        `${deckPath}/collaborators/${users.friend.email}`,
        undefined,
        ifMatch(tag),
      ),
      412,
      "precondition_failed",
    );
    const unshared = await t.call(
      users.owner,
      "DELETE",
      `${deckPath}/collaborators/${users.friend.email}`,
      undefined,
      ifMatch(shared.headers.get("etag")!),
    );
    expect(unshared.status).toBe(204);

    const item = await createDo(t, users.owner, deckId, "guarded do");
    const doPath = `${deckPath}/dos/${item.doId}`;
    const doTag = (await t.call(users.owner, "GET", doPath)).headers.get("etag")!;
    const patched = await t.call(users.owner, "PATCH", doPath, { completed: true }, ifMatch(doTag));
    expect(patched.status).toBe(200);
    const doBefore = await itemsOf(t, deckId);
    for (const header of [doTag, `W/${patched.headers.get("etag")}`, '"999"', "garbage"]) {
      expectProblem(
        await t.call(users.owner, "PATCH", doPath, { text: "lost" }, ifMatch(header)),
        412,
        "precondition_failed",
      );
      expectProblem(
        await t.call(users.owner, "DELETE", doPath, undefined, ifMatch(header)),
        412,
        "precondition_failed",
      );
    }
    expect(await itemsOf(t, deckId)).toEqual(doBefore);
    const removed = await t.call(
      users.owner,
      "DELETE",
      doPath,
      undefined,
      ifMatch(patched.headers.get("etag")!),
    );
    expect(removed.status).toBe(204);
  });

  it("matches any existing resource with *, and answers 404 (not 412) when there is none", async () => {
    const deckId = await createDeck(t, users.owner, "Star");
    const item = await createDo(t, users.owner, deckId, "star");
    const doPath = `/v1/decks/${deckId}/dos/${item.doId}`;
    expect((await t.call(users.owner, "PATCH", doPath, { text: "s" }, ifMatch("*"))).status).toBe(
      200,
    );
    expect((await t.call(users.owner, "DELETE", doPath, undefined, ifMatch("*"))).status).toBe(204);
    expectProblem(
      await t.call(users.owner, "PATCH", doPath, { text: "s" }, ifMatch("*")),
      404,
      "do_not_found",
    );
    expectProblem(
      await t.call(users.owner, "DELETE", doPath, undefined, ifMatch('"1"')),
      404,
      "do_not_found",
    );
    const renamed = await t.call(
      users.owner,
      "PATCH",
      `/v1/decks/${deckId}`,
      { name: "S" },
      ifMatch("*"),
    );
    expect(renamed.status).toBe(200);
    // Refusals that do not depend on the version come before 412: a stranger still gets 404.
    expectProblem(
      await t.call(users.stranger, "PATCH", doPath, { text: "s" }, ifMatch('"9"')),
      404,
      "deck_not_found",
    );
    expectProblem(
      await t.call(users.friend, "PATCH", `/v1/decks/${deckId}`, { name: "x" }, ifMatch('"9"')),
      404,
      "deck_not_found",
    );
  });

  it('takes a do written before versions existed as version "1", for PATCH and DELETE', async () => {
    const deckId = await createDeck(t, users.owner, "Unversioned");
    const dos = [
      await createDo(t, users.owner, deckId, "a"),
      await createDo(t, users.owner, deckId, "b"),
    ];
    for (const { doId } of dos)
      await t.store.client.send(
        new UpdateCommand({
          TableName: t.store.tableName,
          Key: { PK: `DECK#${deckId}`, SK: `DO#${doId}` },
          UpdateExpression: "REMOVE #v",
          ExpressionAttributeNames: { "#v": "version" },
        }),
      );
    const [first, second] = dos.map(({ doId }) => `/v1/decks/${deckId}/dos/${doId}`);
    expect((await t.call(users.owner, "GET", first!)).headers.get("etag")).toBe('"1"');
    expectProblem(
      await t.call(users.owner, "PATCH", first!, { text: "x" }, ifMatch('"2"')),
      412,
      "precondition_failed",
    );
    const patched = await t.call(users.owner, "PATCH", first!, { text: "x" }, ifMatch('"1"'));
    expect(patched.status).toBe(200);
    expect(patched.headers.get("etag")).toBe('"2"');
    expect((await t.call(users.owner, "DELETE", second!, undefined, ifMatch('"1"'))).status).toBe(
      204,
    );
  });

  it("never lets a stale If-Match write under concurrent editors: one 200 per version, the rest 412", async () => {
    const deckId = await createDeck(t, users.owner, "Contended");
    await share(t, deckId, users.friend.email, users.owner);
    const item = await createDo(t, users.owner, deckId, "contended");
    const doPath = `/v1/decks/${deckId}/dos/${item.doId}`;
    for (let round = 0; round < 3; round++) {
      const tag = (await t.call(users.owner, "GET", doPath)).headers.get("etag")!;
      const replies = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.call(
            i % 2 ? users.friend : users.owner,
            "PATCH",
            doPath,
            { text: `round ${round} editor ${i}` },
            ifMatch(tag),
          ),
        ),
      );
      const winners = replies.filter((reply) => reply.status === 200);
      expect(winners).toHaveLength(1);
      for (const reply of replies.filter((r) => r.status !== 200))
        expectProblem(reply, 412, "precondition_failed");
      // The stored do is the winner's write, whole.
      const now = await t.call(users.owner, "GET", doPath);
      expect(now.body).toEqual(winners[0]!.body);
      expect(now.headers.get("etag")).toBe(winners[0]!.headers.get("etag"));
    }
    for (let round = 0; round < 3; round++) {
      const tag = (await t.call(users.owner, "GET", `/v1/decks/${deckId}`)).headers.get("etag")!;
      const replies = await Promise.all(
        ["A", "B", "C", "D", "E", "F"].map((name) =>
          t.call(
            users.owner,
            "PATCH",
            `/v1/decks/${deckId}`,
            { name: `${name}${round}` },
            ifMatch(tag),
          ),
        ),
      );
      const winners = replies.filter((reply) => reply.status === 200);
      expect(winners).toHaveLength(1);
      for (const reply of replies.filter((r) => r.status !== 200))
        expectProblem(reply, 412, "precondition_failed");
      const now = await t.call(users.owner, "GET", `/v1/decks/${deckId}`);
      expect(now.body.name).toBe(winners[0]!.body.name);
    }
  });
});

describe("CORS", () => {
  it("lets browsers send If-Match and If-None-Match and read ETag", async () => {
    const cors = await createTestApp({ CORS_ALLOWED_ORIGINS: "https://app.example.com" });
    const origin = { origin: "https://app.example.com" };
    const preflight = await cors.app.request("/v1/decks/x", {
      method: "OPTIONS",
      headers: {
        ...origin,
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "if-match, if-none-match",
      },
    });
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/if-match/);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/if-none-match/);
    const created = await cors.call(users.owner, "POST", "/v1/decks", { name: "Cors" }, origin);
    expect(created.headers.get("access-control-expose-headers")).toMatch(/etag/);
  });
});
