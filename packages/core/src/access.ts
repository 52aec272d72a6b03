import { AppError } from "./errors.ts";
import type { AccessPolicy, Caller, Deck } from "./model.ts";

export type Role = "owner" | "collaborator" | "unverified_collaborator" | "stranger";

/** Pure access rule of SPEC.md "Identity". A deck being deleted admits nobody. */
export function roleOf(
  deck: Pick<Deck, "ownerSub" | "collaborators" | "deleting">,
  caller: Caller,
  policy: AccessPolicy,
): Role {
  if (deck.deleting) return "stranger";
  if (deck.ownerSub === caller.sub) return "owner";
  if (caller.email === undefined || !deck.collaborators.includes(caller.email)) return "stranger";
  return caller.emailVerified || !policy.requireEmailVerified
    ? "collaborator"
    : "unverified_collaborator";
}

/**
 * The caller's email if it may be used to find or admit them as a collaborator; undefined when
 * there is none, or it is unverified where verification is required.
 */
export function usableEmail(caller: Caller, policy: AccessPolicy): string | undefined {
  return caller.emailVerified || !policy.requireEmailVerified ? caller.email : undefined;
}

/**
 * Owner or collaborator, else an error. Strangers get 404 so deck ids cannot be probed
 * (a change from the old service's 403).
 */
export function assertCanRead(deck: Deck | undefined, caller: Caller, policy: AccessPolicy): Deck {
  if (deck === undefined) throw new AppError("deck_not_found");
  const role = roleOf(deck, caller, policy);
  if (role === "stranger") throw new AppError("deck_not_found");
  if (role === "unverified_collaborator") {
    throw new AppError("email_not_verified", "Verify your email address to open shared decks.");
  }
  return deck;
}

export function assertOwner(deck: Deck | undefined, caller: Caller, policy: AccessPolicy): Deck {
  const readable = assertCanRead(deck, caller, policy);
  if (readable.ownerSub !== caller.sub) throw new AppError("owner_only");
  return readable;
}
