import { describe, expect, it } from "vitest";
import { emailPattern, normalizeEmail } from "../src/emails.ts";

describe("normalizeEmail", () => {
  it("lower-cases ASCII letters only and trims", () => {
    expect(normalizeEmail("  Erin.Mixed@Example.COM ")).toBe("erin.mixed@example.com");
    expect(normalizeEmail("\u212Aate@example.com")).toBe("\u212Aate@example.com");
    expect(normalizeEmail("ÉMILE@Example.com")).toBe("Émile@example.com");
  });
});

describe("emailPattern", () => {
  it.each(["a@example.com", "a#b@example.com", "zoë@exämple.com", "o'brien+x@mail.example.co.uk"])(
    "accepts %s",
    (email) => expect(emailPattern.test(email)).toBe(true),
  );
  it.each([
    "a",
    "a@b",
    "a..b@example.com",
    ".a@example.com",
    "a@-x.com",
    "a b@example.com",
    "a@x..com",
  ])("refuses %s", (email) => expect(emailPattern.test(email)).toBe(false));
});
