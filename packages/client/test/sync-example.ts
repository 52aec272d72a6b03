import type { components, DoDeckClient } from "@dodeck/client";

type Deck = components["schemas"]["DeckDetail"];
type Do = components["schemas"]["Do"];
export type Copy = { deck?: Deck; dos: Map<string, Do>; since?: string };

/** Brings a local copy of a deck up to date; call it again on every poll. */
export async function sync(api: DoDeckClient, deckId: string, copy: Copy): Promise<void> {
  for (;;) {
    const { data, error } = await api.GET("/v1/decks/{deckId}/changes", {
      params: { path: { deckId }, query: { since: copy.since, limit: 100 } },
    });
    if (error?.code === "sync_token_expired") {
      // Older than the retention: start again with a full sync.
      copy.deck = undefined;
      copy.dos.clear();
      copy.since = undefined;
      continue;
    }
    if (error) throw new Error(`${error.status} ${error.code}`); // 404: drop the copy
    for (const change of data.changes) {
      if (change.type === "deck.updated") copy.deck = change.deck;
      else if (change.type === "do.upserted") copy.dos.set(change.do.doId, change.do);
      else copy.dos.delete(change.doId);
    }
    copy.since = data.nextSince;
    if (!data.hasMore) return; // current as of this answer
  }
}
