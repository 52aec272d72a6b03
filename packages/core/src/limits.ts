/**
 * Domain limits (the request body size is a transport concern: packages/api/src/limits.ts).
 * The collaborator bound comes from DynamoDB's 100-action transaction cap: a rename that
 * changes the lower-cased name rewrites the deck, deletes and puts the owner's access row,
 * deletes and puts each collaborator's row, and puts its change-feed item: 4 + 2 × n ≤ 100, so
 * n ≤ 48.
 */
export const limits = {
  deckName: { min: 1, max: 120 },
  doText: { min: 1, max: 1000 },
  email: { max: 254 },
  search: { max: 120 },
  page: { min: 1, max: 100, default: 50 },
  maxCollaborators: 48,
  /**
   * UTF-8 bytes of values that become part of a key (DynamoDB: partition key ≤ 2048 bytes,
   * sort key ≤ 1024). `sub` is in `ACCESS#USER#{sub}`, an email in `ACCESS#EMAIL#{email}` (254:
   * the SMTP bound on an address, in octets), a lower-cased deck name in the sort key
   * `DECK#{nameLower}#{deckId}` and a search prefix in `DECK#{prefix}`; each bound leaves room for
   * its key's prefix and id (test/keys.test.ts builds the largest keys with the real builders).
   * 120 code points are at most 480 bytes, so a valid name or search never reaches its bound
   * unless lowering expands it; the check is what guarantees the key, whatever the rule counts.
   */
  keyBytes: { sub: 1024, email: 254, deckName: 720, search: 720 },
  maxTransactionActions: 100,
  /** Keys one BatchGetItem reads at most (DynamoDB's cap). */
  maxBatchGetKeys: 100,
  /**
   * Quotas (OWASP API4), enforced atomically by the writes themselves: a counter on the owner's
   * counter item and `doCount` on the deck item, each conditioned in the same transaction as the
   * create. Configurable per deployment (MAX_DECKS_PER_OWNER, MAX_DOS_PER_DECK).
   */
  quotas: { decksPerOwner: 1_000, dosPerDeck: 1_000 },
} as const;

export type Quotas = { decksPerOwner: number; dosPerDeck: number };

const encoder = new TextEncoder();

/** Length in UTF-8 bytes, the unit of DynamoDB's key limits. */
export const utf8Bytes = (value: string): number => encoder.encode(value).length;
