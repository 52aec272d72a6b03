import { describe, expect, it } from "vitest";
import { createGroupCommit, type Outcome, settle } from "../src/group-commit.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A group commit that logs each batch and answers each request with its own name. */
function logged(joins: (batch: readonly string[], next: string) => boolean = () => true) {
  const batches: string[] = [];
  let inFlight = 0;
  let most = 0;
  const submit = createGroupCommit<string, string>({
    joins,
    commit: async (key, batch) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      batches.push(`${key}:${batch.join(",")}`);
      await tick();
      inFlight -= 1;
      return batch.map(
        (name): Outcome<string> =>
          name.startsWith("bad")
            ? { status: "rejected", reason: new Error(`refused ${name}`) }
            : { status: "fulfilled", value: `wrote ${name}` },
      );
    },
  });
  return { submit, batches, most: () => most };
}

describe("createGroupCommit", () => {
  it("commits a request alone on its key at once, without waiting for company", async () => {
    const { submit, batches } = logged();
    const written = submit("a", "a1");
    // Sent in the same tick as submitted: grouping adds no latency to a lone write.
    expect(batches).toEqual(["a:a1"]);
    await expect(written).resolves.toBe("wrote a1");
  });

  it("commits what queued while a batch was in flight as the next batch, in arrival order; other keys alongside", async () => {
    const { submit, batches, most } = logged();
    const results = await Promise.all([
      submit("a", "a1"),
      submit("a", "a2"),
      submit("b", "b1"),
      submit("a", "a3"),
    ]);
    expect(results).toEqual(["wrote a1", "wrote a2", "wrote b1", "wrote a3"]);
    expect(batches).toEqual(["a:a1", "b:b1", "a:a2,a3"]);
    // a and b were in flight together; never two batches of one key.
    expect(most()).toBe(2);
    const later = await submit("a", "a4");
    expect(later).toBe("wrote a4");
    expect(batches.at(-1)).toBe("a:a4");
  });

  it("starts a new batch where joins says no, and keeps the order", async () => {
    const { submit, batches } = logged((batch) => batch.length < 2);
    await Promise.all(["x0", "x1", "x2", "x3", "x4"].map((name) => submit("a", name)));
    expect(batches).toEqual(["a:x0", "a:x1,x2", "a:x3,x4"]);
  });

  it("gives each request its own outcome, and goes on with the next batch after a failure", async () => {
    const { submit } = logged();
    const first = submit("a", "first");
    const good = submit("a", "good");
    const bad = submit("a", "bad one");
    await expect(first).resolves.toBe("wrote first");
    await expect(good).resolves.toBe("wrote good");
    await expect(bad).rejects.toThrow("refused bad one");
    await expect(submit("a", "after")).resolves.toBe("wrote after");
  });

  it("rejects every request of a batch whose commit throws, and only those", async () => {
    let calls = 0;
    const submit = createGroupCommit<string, string>({
      joins: () => true,
      commit: async (_key, batch) => {
        calls += 1;
        await tick();
        if (calls === 2) throw new Error("outage");
        return batch.map((name) => ({ status: "fulfilled", value: name }) as const);
      },
    });
    const outcomes = await Promise.all(["p", "q", "r"].map((name) => settle(submit("k", name))));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
    ]);
    // Each caller sees the commit's own error, as if it had written alone.
    for (const outcome of outcomes.slice(1))
      expect(outcome).toMatchObject({ status: "rejected", reason: new Error("outage") });
    await expect(submit("k", "s")).resolves.toBe("s");
  });

  it("rejects, never leaves waiting, a request its commit gave no outcome for", async () => {
    const submit = createGroupCommit<string, string>({
      joins: () => true,
      commit: async (_key, batch) => {
        await tick();
        return batch.slice(0, 1).map((name) => ({ status: "fulfilled", value: name }) as const);
      },
    });
    const first = submit("k", "first");
    const [second, third] = [submit("k", "second"), submit("k", "third")];
    await expect(first).resolves.toBe("first");
    await expect(second).resolves.toBe("second");
    await expect(third).rejects.toThrow("No outcome for a request");
  });
});
