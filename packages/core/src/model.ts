/** The authenticated caller, as the API's auth layer maps it from a verified token. */
export type Caller = {
  sub: string;
  /** Lower-cased; absent when the token carries none. */
  email?: string | undefined;
  emailVerified: boolean;
};

export type Deck = {
  deckId: string;
  name: string;
  ownerSub: string;
  collaborators: string[];
  createdAt: string;
  updatedAt: string;
  /** Bumped by every multi-item write so concurrent ones cannot interleave (optimistic lock). */
  version: number;
  /** Set while a delete removes the deck's dos: the deck is already gone for the API. */
  deleting: boolean;
  /**
   * The position of the deck's last change (microseconds, see changes.ts); 0 for a deck that
   * has had none since the feed existed. Every change sets it, strictly upwards.
   */
  lastChangeAt: number;
  /** How many dos the deck has (the do quota); kept by every create and delete of a do. */
  doCount: number;
};

export type DeckDetail = {
  deckId: string;
  name: string;
  isOwner: boolean;
  ownerSub: string;
  collaborators: string[];
  createdAt: string;
  updatedAt: string;
};

export type DeckSummary = { deckId: string; name: string; isOwner: boolean; collaborators: number };

export type Do = {
  doId: string;
  deckId: string;
  text: string;
  completed: boolean;
  /** Its place in the deck's list: opaque, ordered as a plain string, ties by doId. */
  position: string;
  /** When the do is due (an instant, rendered in UTC), or null: none set. */
  dueAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type Page<T> = { items: T[]; nextCursor: string | null };

/** One entry of a deck's change feed (SPEC "Changes"). */
export type Change =
  | { type: "deck.updated"; deck: DeckDetail }
  | { type: "do.upserted"; do: Do }
  | { type: "do.deleted"; doId: string };

export type ChangePage = { changes: Change[]; nextSince: string; hasMore: boolean };

export type Visibility = "mine" | "shared" | "all";

export type AccessPolicy = { requireEmailVerified: boolean };

export function toDeckDetail(deck: Deck, caller: Caller): DeckDetail {
  return {
    deckId: deck.deckId,
    name: deck.name,
    isOwner: deck.ownerSub === caller.sub,
    ownerSub: deck.ownerSub,
    collaborators: [...deck.collaborators].sort(),
    createdAt: deck.createdAt,
    updatedAt: deck.updatedAt,
  };
}
