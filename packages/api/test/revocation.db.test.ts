import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, createDo, expectProblem, share } from "./helpers.ts";

/**
 * A collaborator removed while they edit a do: the access check and the write of a PATCH are
 * one transaction, so no write of theirs lands after the removal has committed.
 */
let t: TestApp;
/** Runs once, just before the next write to a do goes out (and before that write is sent). */
let beforeDoWrite: (() => Promise<void>) | undefined;
/** Every write to a do as DynamoDB saw it: when it was sent and whether it was applied. */
let doWrites: { sentAt: number; applied: boolean }[] = [];
/** When the unshare's transaction was acknowledged: from then on it has committed. */
let unshareCommittedAt: number | undefined;

const WRITES = new Set(["TransactWriteItemsCommand", "UpdateItemCommand", "PutItemCommand"]);

beforeAll(async () => {
  t = await createTestApp();
  t.store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const text = JSON.stringify(args.input);
      if (!WRITES.has(String(context.commandName))) return next(args);
      if (text.includes("ACCESS#EMAIL#friend@example.com") && text.includes('"Delete"')) {
        const out = await next(args);
        unshareCommittedAt = performance.now();
        return out;
      }
      if (!text.includes("DO#")) return next(args);
      const hook = beforeDoWrite;
      beforeDoWrite = undefined;
      if (hook) await hook();
      const entry = { sentAt: performance.now(), applied: false };
      doWrites.push(entry);
      const out = await next(args);
      entry.applied = true;
      return out;
    },
    { step: "initialize", name: "revocationProbe" },
  );
});

describe("revocation-safe do updates", () => {
  it("refuses a PATCH whose collaborator is removed between the do's read and its write", async () => {
    const deckId = await createDeck(t, users.owner, "Revoked between read and write");
    await share(t, deckId, users.friend.email, users.owner);
    const item = await createDo(t, users.owner, deckId, "before");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    beforeDoWrite = async () => {
      const removed = await t.call(
        users.owner,
        "DELETE",
        `/v1/decks/${deckId}/collaborators/${users.friend.email}`,
      );
      expect(removed.status).toBe(204);
    };
    const patched = await t.call(users.friend, "PATCH", path, { text: "after removal" });
    expect(beforeDoWrite).toBeUndefined();
    expectProblem(patched, 404, "deck_not_found");
    const stored = await t.call(users.owner, "GET", `/v1/decks/${deckId}/dos`);
    expect(stored.body.items).toEqual([item]);
  });

  it("lets no write of a stream of PATCHes in after the removal commits", async () => {
    const deckId = await createDeck(t, users.owner, "Revoked mid-stream");
    await share(t, deckId, users.friend.email, users.owner);
    const item = await createDo(t, users.owner, deckId, "start");
    const path = `/v1/decks/${deckId}/dos/${item.doId}`;
    doWrites = [];
    unshareCommittedAt = undefined;
    let answered = 0;
    let removal: Promise<unknown> | undefined;
    let removalAnsweredAt: number | undefined;
    const sentAfterRemoval: number[] = [];
    const stream = async (id: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const startedAt = performance.now();
        const reply = await t.call(users.friend, "PATCH", path, { text: `stream ${id} edit ${i}` });
        statuses.push(reply.status);
        if (removalAnsweredAt !== undefined && startedAt > removalAnsweredAt) {
          sentAfterRemoval.push(reply.status);
          expectProblem(reply, 404, "deck_not_found");
        } else {
          expect([200, 404]).toContain(reply.status);
        }
        if (++answered === 12) {
          removal = t
            .call(users.owner, "DELETE", `/v1/decks/${deckId}/collaborators/${users.friend.email}`)
            .then((reply) => {
              expect(reply.status).toBe(204);
              removalAnsweredAt = performance.now();
            });
        }
      }
      return statuses;
    };
    const statuses = (await Promise.all([0, 1, 2, 3].map(stream))).flat();
    await removal;
    expect(unshareCommittedAt).toBeDefined();
    // Writes sent after the removal committed: there were some, and none was applied.
    const late = doWrites.filter((write) => write.sentAt > (unshareCommittedAt ?? 0));
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((write) => write.applied)).toEqual([]);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(sentAfterRemoval.length).toBeGreaterThan(0);
    // The do is as the last applied write left it, and the collaborator can no longer see it.
    expectProblem(
      await t.call(users.friend, "GET", `/v1/decks/${deckId}/dos`),
      404,
      "deck_not_found",
    );
  });
});
