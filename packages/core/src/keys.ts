/** Every key string of the single-table design (SPEC.md "Data") is built here and only here. */
export type Key = { PK: string; SK: string };

const DECK_SK = "DECK";
const DO_PREFIX = "DO#";
/**
 * A deck's change feed lives in its partition, after its dos: "DECK" < "DO#…" < "FEED#…", so
 * the Query that reads the deck and its first dos never meets a change item.
 */
const FEED_PREFIX = "FEED#";
/** Sorts after every `DO#…` key and before `FEED#`: the exclusive upper bound of a deck's dos. */
const DOS_END = "DO$";
/** Change positions are microseconds since the epoch, zero-padded so key order is their order. */
const POSITION_DIGITS = 16;
/**
 * Decks being deleted are listed in one known partition, so the sweeper finds interrupted
 * deletes with a Query instead of a table scan (docs/data-model.md says why not an index).
 */
const PENDING_DELETIONS = "DELETING";
const IDEMPOTENCY_PREFIX = "IDEMPOTENCY#";
const OWNER_COUNT_SK = "COUNT";

export const keys = {
  deck: (deckId: string): Key => ({ PK: `DECK#${deckId}`, SK: DECK_SK }),
  do: (deckId: string, doId: string): Key => ({ PK: `DECK#${deckId}`, SK: `${DO_PREFIX}${doId}` }),
  deckPartition: (deckId: string): string => `DECK#${deckId}`,
  doPrefix: DO_PREFIX,
  dosEnd: DOS_END,
  /** A change of the deck or one of its dos, at its position in the deck's commit order. */
  change: (deckId: string, position: number): Key => ({
    PK: `DECK#${deckId}`,
    SK: keys.changeSortKey(position),
  }),
  changeSortKey: (position: number): string =>
    `${FEED_PREFIX}${String(position).padStart(POSITION_DIGITS, "0")}`,
  changePrefix: FEED_PREFIX,
  deckSortKey: DECK_SK,
  ownerAccess: (ownerSub: string, nameLower: string, deckId: string): Key => ({
    PK: keys.ownerPartition(ownerSub),
    SK: accessSortKey(nameLower, deckId),
  }),
  collaboratorAccess: (email: string, nameLower: string, deckId: string): Key => ({
    PK: keys.collaboratorPartition(email),
    SK: accessSortKey(nameLower, deckId),
  }),
  ownerPartition: (ownerSub: string): string => `ACCESS#USER#${ownerSub}`,
  /**
   * How many decks the owner has (the deck quota). In the owner's access-row partition, sorting
   * before every `DECK#…` row: deck listings never read it, and a scan reads it before the rows
   * it counts (the migration relies on that, see migration-plan.ts).
   */
  ownerCount: (ownerSub: string): Key => ({
    PK: keys.ownerPartition(ownerSub),
    SK: OWNER_COUNT_SK,
  }),
  ownerCountSortKey: OWNER_COUNT_SK,
  collaboratorPartition: (email: string): string => `ACCESS#EMAIL#${email}`,
  /** Prefix of access-row sort keys whose deck name starts with `nameLowerPrefix`. */
  accessPrefix: (nameLowerPrefix: string): string => `DECK#${nameLowerPrefix}`,
  pendingDeletionPartition: PENDING_DELETIONS,
  pendingDeletion: (deckId: string): Key => ({ PK: PENDING_DELETIONS, SK: `DECK#${deckId}` }),
  /**
   * An Idempotency-Key, scoped to the caller: one partition per `sub`, so one user's keys can
   * never answer another's requests.
   */
  idempotency: (sub: string, key: string): Key => ({
    PK: `${IDEMPOTENCY_PREFIX}${sub}`,
    SK: `KEY#${key}`,
  }),
  idempotencyPrefix: "IDEMPOTENCY#",
  /** Written once a copy from the old service's table has been migrated and verified. */
  copiedFrom: (sourceTable: string): Key => ({ PK: "MIGRATION", SK: `COPIED#${sourceTable}` }),
  /** A key no item uses: reading it proves the table answers without touching data. */
  readiness: (): Key => ({ PK: "HEALTH", SK: "HEALTH" }),
};

function accessSortKey(nameLower: string, deckId: string): string {
  return `DECK#${nameLower}#${deckId}`;
}
