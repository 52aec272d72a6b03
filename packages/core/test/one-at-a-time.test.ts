import { describe, expect, it } from "vitest";
import { createKeyedQueue } from "../src/one-at-a-time.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("createKeyedQueue", () => {
  it("runs the tasks of one key one at a time, in arrival order, and other keys alongside", async () => {
    const oneAtATime = createKeyedQueue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (key: string, name: string) =>
      oneAtATime(key, async () => {
        running += key === "a" ? 1 : 0;
        most = Math.max(most, running);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        running -= key === "a" ? 1 : 0;
        return name;
      });
    const results = await Promise.all([
      task("a", "a1"),
      task("b", "b1"),
      task("a", "a2"),
      task("a", "a3"),
    ]);
    expect(results).toEqual(["a1", "b1", "a2", "a3"]);
    expect(most).toBe(1);
    const ofA = log.filter((line) => line.includes(" a"));
    expect(ofA).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
    // b did not wait for a.
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
  });

  it("passes a failure to its caller only, and goes on with the next task", async () => {
    const oneAtATime = createKeyedQueue();
    const failing = oneAtATime("a", async () => {
      await tick();
      throw new Error("refused");
    });
    const next = oneAtATime("a", async () => "written");
    await expect(failing).rejects.toThrow("refused");
    await expect(next).resolves.toBe("written");
  });
});
