/**
 * Domain limits (the request body size is a transport concern: packages/api/src/limits.ts).
 * The collaborator bound comes from DynamoDB's 100-action transaction cap: a rename that
 * changes the lower-cased name rewrites the deck, deletes and puts the owner's access row,
 * and deletes and puts each collaborator's row: 3 + 2 × n ≤ 100, so n ≤ 48.
 */
export const limits = {
  deckName: { min: 1, max: 120 },
  doText: { min: 1, max: 1000 },
  email: { max: 254 },
  search: { max: 120 },
  page: { min: 1, max: 100, default: 50 },
  maxCollaborators: 48,
  maxTransactionActions: 100,
} as const;
