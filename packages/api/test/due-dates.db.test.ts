import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createDeck, expectProblem, itemsOf, share } from "./helpers.ts";

let t: TestApp;
let deckId: string;
beforeAll(async () => {
  t = await createTestApp();
  deckId = await createDeck(t, users.owner, "Due");
  await share(t, deckId, users.friend.email, users.owner);
});

const dosPath = () => `/v1/decks/${deckId}/dos`;

describe("dueAt", () => {
  it("is null on a do created without one and set, in UTC, on a do created with one", async () => {
    const plain = await t.call(users.owner, "POST", dosPath(), { text: "whenever" });
    expect(plain.body.dueAt).toBeNull();
    const due = await t.call(users.friend, "POST", dosPath(), {
      text: "on time",
      dueAt: "2026-12-24T17:00:00+01:00",
    });
    expect(due.status).toBe(201);
    expect(due.body.dueAt).toBe("2026-12-24T16:00:00.000Z");
    const read = await t.call(users.owner, "GET", `${dosPath()}/${due.body.doId}`);
    expect(read.body).toEqual(due.body);
    const listed = (await t.call(users.owner, "GET", dosPath())).body.items;
    expect(listed).toContainEqual(due.body);
    expect(listed).toContainEqual(plain.body);
    expect(
      (await t.call(users.owner, "POST", dosPath(), { text: "x", dueAt: null })).body.dueAt,
    ).toBeNull();
  });

  it("is set, changed and cleared by PATCH (a PATCH of dueAt alone is an update), and stored only when set", async () => {
    const made = await t.call(users.owner, "POST", dosPath(), { text: "plan" });
    const path = `${dosPath()}/${made.body.doId}`;
    const set = await t.call(users.friend, "PATCH", path, { dueAt: "2027-01-01T00:00:00Z" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ text: "plan", dueAt: "2027-01-01T00:00:00.000Z" });
    const moved = await t.call(users.owner, "PATCH", path, {
      completed: true,
      dueAt: "2027-01-02T08:30:15.250-05:00",
    });
    expect(moved.body).toMatchObject({ completed: true, dueAt: "2027-01-02T13:30:15.250Z" });
    const untouched = await t.call(users.owner, "PATCH", path, { text: "plan B" });
    expect(untouched.body.dueAt).toBe("2027-01-02T13:30:15.250Z");
    const cleared = await t.call(users.owner, "PATCH", path, { dueAt: null });
    expect(cleared.body).toMatchObject({ text: "plan B", completed: true, dueAt: null });
    const stored = (await itemsOf(t, deckId)).find(
      (item) => item.type === "do" && item.doId === made.body.doId,
    );
    expect(stored).toBeDefined();
    expect(stored).not.toHaveProperty("dueAt");
  });

  it("answers 422 for a date-time that is not RFC 3339 with an offset", async () => {
    for (const dueAt of [
      "2026-12-24",
      "2026-12-24T17:00:00",
      "tomorrow",
      1767225600,
      "2026-13-01T00:00:00Z",
    ]) {
      const reply = await t.call(users.owner, "POST", dosPath(), { text: "bad", dueAt });
      expectProblem(reply, 422, "validation_failed");
      expect(reply.body.errors[0].path).toBe("dueAt");
    }
  });
});
