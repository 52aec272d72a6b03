import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { defaultChangeRetentionSeconds, microsOf } from "./changes.ts";
import { createIdempotency } from "./idempotency.ts";
import { createUlidGenerator, type IdGenerator, isItemId } from "./ids.ts";
import { deckFromItem } from "./items.ts";
import { keys } from "./keys.ts";
import { limits, type Quotas } from "./limits.ts";
import type { AccessPolicy, Deck } from "./model.ts";
import { type Store, send } from "./store.ts";

export type ServiceOptions = {
  store: Store;
  policy: AccessPolicy;
  now?: () => Date;
  newId?: IdGenerator;
  /** How long the change feed keeps changes (seconds); 7 days by default. */
  changeRetentionSeconds?: number;
  /** Decks per owner and dos per deck (limits.quotas by default). */
  quotas?: Quotas;
};

/** What the deck and do services derive from their options, defined once. */
export function serviceContext(options: ServiceOptions) {
  const clock = options.now ?? (() => new Date());
  const now = () => clock().toISOString();
  let lastPosition = 0;
  return {
    store: options.store,
    policy: options.policy,
    table: options.store.tableName,
    now,
    /** The reader's clock in microseconds (a sync token's horizon, retention checks). */
    nowMicros: () => microsOf(clock()),
    /**
     * The position a change starts from (changes.ts): the writer's clock in microseconds, made
     * strictly increasing within this process, and past `after` (the deck's last change, when a
     * refusal told it). Concurrent writers of one deck in one process then take positions in
     * the order they send their transactions, so the deck item's condition refuses only those
     * that overtake each other on the way, not every writer of the same millisecond.
     */
    positionAfter: (after: number): number => {
      lastPosition = Math.max(microsOf(clock()), after + 1, lastPosition + 1);
      return lastPosition;
    },
    retention: options.changeRetentionSeconds ?? defaultChangeRetentionSeconds,
    quotas: options.quotas ?? limits.quotas,
    idempotency: createIdempotency(options.store, now),
    newId: options.newId ?? createUlidGenerator(),
    read: (deckId: string) => readDeck(options.store, deckId),
  };
}

/**
 * The deck item, read strongly consistent: access checks must see the latest share, unshare
 * or delete. Ids that neither service could have minted cannot exist, so they cost no call.
 */
export async function readDeck(store: Store, deckId: string): Promise<Deck | undefined> {
  if (!isItemId(deckId)) return undefined;
  const out = await send(() =>
    store.client.send(
      // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
      new GetCommand({ TableName: store.tableName, Key: keys.deck(deckId), ConsistentRead: true }),
    ),
  );
  return deckFromItem(out.Item);
}
