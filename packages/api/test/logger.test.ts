import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";

describe("createLogger", () => {
  it("writes one JSON line per entry: time, level, message, then the fields", () => {
    const lines: string[] = [];
    const log = createLogger("info", (line) => lines.push(line));
    log("warn", "slow table", { requestId: "r-1", ms: 1_200 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? "");
    expect(entry).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: "warn",
      message: "slow table",
      requestId: "r-1",
      ms: 1_200,
    });
  });

  it("keeps the entries at and above its level, and drops those below", () => {
    const levels: string[] = [];
    const log = createLogger("warn", (line) => levels.push(JSON.parse(line).level));
    for (const level of ["debug", "info", "warn", "error"] as const) log(level, level);
    expect(levels).toEqual(["warn", "error"]);
  });
});
