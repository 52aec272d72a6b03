import { describe, expect, it } from "vitest";
import { assertCanRead, assertOwner, roleOf, usableEmail } from "../src/access.ts";
import { AppError } from "../src/errors.ts";
import type { Caller, Deck } from "../src/model.ts";

const deck: Deck = {
  deckId: "D1",
  name: "Focus",
  ownerSub: "auth0|owner",
  collaborators: ["friend@example.com", "unverified@example.com"],
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-01T00:00:00.000Z",
  version: 1,
  deleting: false,
  lastChangeAt: 0,
  doCount: 0,
};
const strict = { requireEmailVerified: true };
const lax = { requireEmailVerified: false };

const owner: Caller = { sub: "auth0|owner", email: "owner@example.com", emailVerified: true };
const friend: Caller = { sub: "auth0|friend", email: "friend@example.com", emailVerified: true };
const unverified: Caller = {
  sub: "auth0|u",
  email: "unverified@example.com",
  emailVerified: false,
};
const stranger: Caller = { sub: "auth0|s", email: "stranger@example.com", emailVerified: true };
const noEmail: Caller = { sub: "auth0|n", emailVerified: false };

function codeOf(run: () => unknown): string {
  try {
    run();
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe("roles", () => {
  it("makes the token's sub the owner, whatever its email", () => {
    expect(roleOf(deck, owner, strict)).toBe("owner");
    expect(roleOf(deck, { sub: "auth0|owner", emailVerified: false }, strict)).toBe("owner");
  });

  it("admits a listed, verified email as collaborator", () => {
    expect(roleOf(deck, friend, strict)).toBe("collaborator");
  });

  it("tells a listed but unverified email apart, unless verification is not required", () => {
    expect(roleOf(deck, unverified, strict)).toBe("unverified_collaborator");
    expect(roleOf(deck, unverified, lax)).toBe("collaborator");
  });

  it("treats anyone else, including a caller without email, as a stranger", () => {
    expect(roleOf(deck, stranger, strict)).toBe("stranger");
    expect(roleOf(deck, noEmail, strict)).toBe("stranger");
    expect(roleOf(deck, noEmail, lax)).toBe("stranger");
  });

  it("admits nobody to a deck being deleted, not even its owner", () => {
    const deleting = { ...deck, deleting: true };
    expect(roleOf(deleting, owner, strict)).toBe("stranger");
    expect(roleOf(deleting, friend, strict)).toBe("stranger");
  });

  it("uses an email for sharing only when verified or verification is off", () => {
    expect(usableEmail(friend, strict)).toBe("friend@example.com");
    expect(usableEmail(unverified, strict)).toBeUndefined();
    expect(usableEmail(unverified, lax)).toBe("unverified@example.com");
    expect(usableEmail(noEmail, lax)).toBeUndefined();
  });
});

describe("access checks", () => {
  it("lets owner and collaborator read", () => {
    expect(assertCanRead(deck, owner, strict)).toBe(deck);
    expect(assertCanRead(deck, friend, strict)).toBe(deck);
  });

  it("answers deck_not_found to strangers and for missing decks, so ids cannot be probed", () => {
    expect(codeOf(() => assertCanRead(deck, stranger, strict))).toBe("deck_not_found");
    expect(codeOf(() => assertCanRead(undefined, owner, strict))).toBe("deck_not_found");
    expect(codeOf(() => assertOwner(deck, stranger, strict))).toBe("deck_not_found");
  });

  it("answers email_not_verified to a listed, unverified collaborator", () => {
    expect(codeOf(() => assertCanRead(deck, unverified, strict))).toBe("email_not_verified");
    expect(codeOf(() => assertOwner(deck, unverified, strict))).toBe("email_not_verified");
  });

  it("tells the unverified collaborator what to do, in the problem's detail", () => {
    expect(() => assertCanRead(deck, unverified, strict)).toThrow(
      "Verify your email address to open shared decks.",
    );
  });

  it("answers owner_only to a collaborator attempting an owner action", () => {
    expect(codeOf(() => assertOwner(deck, friend, strict))).toBe("owner_only");
    expect(assertOwner(deck, owner, strict)).toBe(deck);
  });
});
