import { describe, expect, it } from "vitest";
import { emailPattern, normalizeEmail } from "../src/emails.ts";

describe("normalizeEmail", () => {
  it("lower-cases and trims, but never maps the Kelvin sign to k", () => {
    expect(normalizeEmail("  Erin.Mixed@Example.COM ")).toBe("erin.mixed@example.com");
    expect(normalizeEmail("\u212Aate@example.com")).toBe("\u212Aate@example.com");
    expect(normalizeEmail("ÉMILE@Example.com")).toBe("émile@example.com");
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

describe("normalizeEmail and look-alikes", () => {
  it("lowers accented and non-Latin capitals that form an exact case pair", () => {
    expect(normalizeEmail("Émile@Example.com")).toBe("émile@example.com");
    expect(normalizeEmail("ÅSA@Example.com")).toBe("åsa@example.com");
    expect(normalizeEmail("ЖЕНЯ@example.com")).toBe("женя@example.com");
  });

  it.each([
    ["the Kelvin sign", "\u212Aate@example.com"],
    ["the Ångström sign", "\u212Bsa@example.com"],
    ["the Ohm sign", "\u2126mega@example.com"],
    ["a capital whose lower case is two characters", "\u0130lker@example.com"],
    ["the capital sharp s", "\u1E9E@example.com"],
  ])("leaves %s as it is, so it matches no other address", (_, email) => {
    const normalized = normalizeEmail(email);
    expect(normalized.startsWith(email.slice(0, 1))).toBe(true);
    expect(normalized).not.toBe(email.toLowerCase());
  });
});
