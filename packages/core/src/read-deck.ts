import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { isUlid } from "./ids.ts";
import { deckFromItem } from "./items.ts";
import { keys } from "./keys.ts";
import type { Deck } from "./model.ts";
import { type Store, send } from "./store.ts";

/**
 * The deck item, read strongly consistent: access checks must see the latest share, unshare
 * or delete. Ids that are not ULIDs cannot exist, so they cost no call.
 */
export async function readDeck(store: Store, deckId: string): Promise<Deck | undefined> {
  if (!isUlid(deckId)) return undefined;
  const out = await send(() =>
    store.client.send(
      new GetCommand({ TableName: store.tableName, Key: keys.deck(deckId), ConsistentRead: true }),
    ),
  );
  return deckFromItem(out.Item);
}
