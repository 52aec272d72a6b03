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
  return {
    store: options.store,
    policy: options.policy,
    table: options.store.tableName,
    now,
    /** The writer's clock in microseconds, where a change's position starts (changes.ts). */
    nowMicros: () => microsOf(clock()),
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
      new GetCommand({ TableName: store.tableName, Key: keys.deck(deckId), ConsistentRead: true }),
    ),
  );
  return deckFromItem(out.Item);
}
