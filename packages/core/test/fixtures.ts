import { AppError, type Caller } from "../src/index.ts";

/** The callers core tests act as: owner, a verified collaborator, an unverified one, a stranger. */
export const callers = {
  owner: { sub: "auth0|owner", email: "owner@example.com", emailVerified: true },
  friend: { sub: "auth0|friend", email: "friend@example.com", emailVerified: true },
  unverified: { sub: "auth0|unverified", email: "unverified@example.com", emailVerified: false },
  stranger: { sub: "auth0|stranger", email: "stranger@example.com", emailVerified: true },
} satisfies Record<string, Caller>;

export const strictPolicy = { requireEmailVerified: true };

/** "ok", or the AppError code a call failed with; any other error (a would-be 500) is thrown. */
export async function outcomeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}
