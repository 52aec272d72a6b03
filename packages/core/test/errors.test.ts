import { describe, expect, it } from "vitest";
import { AppError } from "../src/index.ts";

describe("AppError", () => {
  it("names itself in stack traces and logs, with its detail (or its code) as the message", () => {
    const cause = new Error("socket hang up");
    const error = new AppError("service_unavailable", "Try again.", { retryAfter: 1, cause });
    expect(String(error)).toBe("AppError: Try again.");
    expect(error.stack).toMatch(/^AppError: Try again\.\n/);
    expect(error).toMatchObject({
      code: "service_unavailable",
      detail: "Try again.",
      retryAfter: 1,
    });
    expect(error.cause).toBe(cause);
    expect(String(new AppError("not_found"))).toBe("AppError: not_found");
  });
});
