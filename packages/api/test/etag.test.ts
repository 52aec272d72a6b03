import { AppError, versioned } from "@dodeck/core";
import { describe, expect, it } from "vitest";
import { etagOf, notModified, parseIfMatch } from "../src/etag.ts";

/** Entity tags as clients see them: one per version, a collaborator's deck apart. */
describe("etagOf", () => {
  it("is the quoted version, with -shared only on a deck as a collaborator sees it", () => {
    expect(etagOf(versioned({ isOwner: true }, 3), "deck")).toBe('"3"');
    expect(etagOf(versioned({}, 3), "deck")).toBe('"3"');
    expect(etagOf(versioned({ isOwner: false }, 3), "deck")).toBe('"3-shared"');
    // A do is the same for everyone, whatever it carries.
    expect(etagOf(versioned({ isOwner: false }, 7), "do")).toBe('"7"');
  });

  it("refuses a result no service versioned: a bug, never a tag made up", () => {
    let thrown: unknown;
    try {
      etagOf({ name: "unversioned" }, "do");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      code: "internal_error",
      message: "A result without a version.",
    });
  });
});

describe("parseIfMatch", () => {
  it("reads * with the whitespace a header may carry", () => {
    expect(parseIfMatch(" * ")).toBe("any");
    expect(parseIfMatch(undefined)).toBeUndefined();
  });

  it("takes only whole strong version tags, up to 15 digits", () => {
    expect(parseIfMatch('"5", W/"6", "x7", "8x", "09", "123456789012345"')).toEqual([
      5, 123456789012345,
    ]);
    expect(parseIfMatch('"1234567890123456"')).toEqual([]);
  });
});

describe("notModified", () => {
  it("matches * with whitespace, and a listed tag weakly", () => {
    expect(notModified(" * ", '"4"')).toBe(true);
    expect(notModified('"3", W/"4"', '"4"')).toBe(true);
    expect(notModified('"3"', '"4"')).toBe(false);
    expect(notModified(undefined, '"4"')).toBe(false);
  });
});
