import { QueryCommand, type QueryCommandOutput } from "@aws-sdk/lib-dynamodb";
import { assertCanRead, assertOwner, usableEmail } from "./access.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import {
  planCreateDeck,
  planDeleteMark,
  planRename,
  planShare,
  planUnshare,
  renamedDeck,
  sharedDeck,
} from "./deck-plans.ts";
import { purgeDeck } from "./deletion.ts";
import { normalizeEmail } from "./emails.ts";
import { AppError } from "./errors.ts";
import { keyOf, nameLowerOf, summaryFromAccessItem } from "./items.ts";
import { type Key, keys } from "./keys.ts";
import { limits } from "./limits.ts";
import type {
  AccessPolicy,
  Caller,
  Deck,
  DeckDetail,
  DeckSummary,
  Page,
  Visibility,
} from "./model.ts";
import { toDeckDetail } from "./model.ts";
import { type ServiceOptions, serviceContext } from "./service-context.ts";
import {
  type CancellationReason,
  cancellationReasons,
  mapAwsError,
  send,
  type TransactItem,
  transact,
} from "./store.ts";

export type ListDecksQuery = {
  visibility: Visibility;
  search?: string | undefined;
  limit: number;
  cursor?: string | undefined;
};

/** A multi-item write computed from the deck as read, applied only if the deck is unchanged. */
type Plan<T> = {
  items: TransactItem[];
  result: T;
  /** Maps a cancellation to the contract by action position; undefined means "retry". */
  explain?: (reasons: CancellationReason[]) => AppError | undefined;
};

const MAX_ATTEMPTS = 8;

export type DeckService = ReturnType<typeof createDeckService>;

export function createDeckService(options: ServiceOptions) {
  const { store, policy, table, now, newId, read } = serviceContext(options);

  /**
   * Read the deck, plan the write, and apply it in one transaction conditioned on the version
   * read (position 0 is always the deck). A concurrent writer bumps the version, so a
   * cancelled attempt re-reads and re-plans instead of applying a stale plan: a rename racing
   * a share cannot leave access rows under the old name.
   */
  async function mutateAsOwner<T>(
    deckId: string,
    caller: Caller,
    plan: (deck: Deck) => Plan<T>,
    /** The deck as the caller already read it, used for the first attempt only. */
    prefetched?: { deck: Deck | undefined },
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 && prefetched ? prefetched.deck : await read(deckId);
      const deck = assertOwner(current, caller, policy);
      const planned = plan(deck);
      // Only a deck the old service shared beyond DoDeck's bound gets here (it split its
      // transactions): it stays readable and writable for dos, but multi-item writes that would
      // not fit one transaction wait until the owner removes collaborators.
      if (planned.items.length > limits.maxTransactionActions) {
        throw new AppError(
          "collaborator_limit",
          `This deck has ${deck.collaborators.length} collaborators; remove some (to ${limits.maxCollaborators} at most) before this change.`,
        );
      }
      try {
        await transact(store, planned.items);
        return planned.result;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw mapAwsError(error);
        const explained = planned.explain?.(reasons);
        if (explained) throw explained;
        if (attempt >= MAX_ATTEMPTS) {
          throw new AppError(
            "service_unavailable",
            "The deck is changing concurrently; try again.",
            {
              retryAfter: 1,
              cause: error,
            },
          );
        }
        await pause(attempt);
      }
    }
  }

  return {
    async create(caller: Caller, input: { name: string }): Promise<DeckDetail> {
      const at = now();
      const deck: Deck = {
        deckId: newId(),
        name: input.name,
        ownerSub: caller.sub,
        collaborators: [],
        createdAt: at,
        updatedAt: at,
        version: 1,
        deleting: false,
      };
      try {
        await transact(store, planCreateDeck(table, deck).TransactItems);
      } catch (error) {
        throw mapAwsError(error);
      }
      return toDeckDetail(deck, caller);
    },

    async get(caller: Caller, deckId: string): Promise<DeckDetail> {
      return toDeckDetail(assertCanRead(await read(deckId), caller, policy), caller);
    },

    async list(caller: Caller, query: ListDecksQuery): Promise<Page<DeckSummary>> {
      const search = nameLowerOf((query.search ?? "").trim());
      const email = collaboratorEmailFor(caller, query.visibility, policy);
      const phases: { partition: string; isOwner: boolean }[] = [];
      if (query.visibility !== "shared")
        phases.push({ partition: keys.ownerPartition(caller.sub), isOwner: true });
      if (email !== undefined)
        phases.push({ partition: keys.collaboratorPartition(email), isOwner: false });

      const prefix = keys.accessPrefix(search);
      const listId = `decks|${query.visibility}|${search}`;
      let startKey: Key | undefined;
      let firstPhase = 0;
      if (query.cursor !== undefined) {
        const state = decodeCursor(query.cursor, {
          list: listId,
          partitions: phases.map((phase) => phase.partition),
          sortKeyPrefix: prefix,
        });
        startKey = state.key;
        firstPhase = phases.findIndex((phase) => phase.partition === state.key.PK);
      }

      const items: DeckSummary[] = [];
      let lastKey: Key | undefined;
      for (let index = firstPhase; index < phases.length; index++) {
        const phase = phases[index]!;
        const room = query.limit - items.length;
        // One extra row tells whether another page exists, so the last page has no cursor.
        const out: QueryCommandOutput = await send(() =>
          store.client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
              ExpressionAttributeValues: { ":pk": phase.partition, ":prefix": prefix },
              ExclusiveStartKey: index === firstPhase ? startKey : undefined,
              Limit: room + 1,
              ConsistentRead: true,
            }),
          ),
        );
        const rows = out.Items ?? [];
        for (const row of rows.slice(0, room)) {
          lastKey = keyOf(row);
          // "#" also separates name and id in the sort key: the prefix "DECK#go#" matches a
          // deck named "go", which a search for "go#" must not return.
          if (search.includes("#") && !nameLowerOf(String(row.name)).startsWith(search)) continue;
          items.push(summaryFromAccessItem(row, phase.isOwner));
        }
        if (rows.length > room) {
          return {
            items,
            nextCursor: encodeCursor({ list: listId, key: lastKey ?? keyOf(rows[0]!) }),
          };
        }
      }
      return { items, nextCursor: null };
    },

    rename(caller: Caller, deckId: string, input: { name: string }): Promise<DeckDetail> {
      return mutateAsOwner(deckId, caller, (deck) => {
        const at = now();
        return {
          items: planRename(table, deck, input.name, at).TransactItems,
          result: toDeckDetail(renamedDeck(deck, input.name, at), caller),
        };
      });
    },

    share(caller: Caller, deckId: string, input: { email: string }): Promise<DeckDetail> {
      const email = normalizeEmail(input.email);
      return mutateAsOwner(deckId, caller, (deck) => {
        if (email === caller.email) throw new AppError("cannot_add_self");
        if (deck.collaborators.includes(email)) throw new AppError("collaborator_exists");
        if (deck.collaborators.length >= limits.maxCollaborators) {
          throw new AppError(
            "collaborator_limit",
            `A deck can be shared with at most ${limits.maxCollaborators} collaborators.`,
          );
        }
        const at = now();
        const items = planShare(table, deck, email, at).TransactItems;
        return {
          items,
          result: toDeckDetail(sharedDeck(deck, email, at), caller),
          explain: (reasons) =>
            reasons[1]?.Code === "ConditionalCheckFailed"
              ? new AppError("collaborator_exists")
              : undefined,
        };
      });
    },

    unshare(caller: Caller, deckId: string, rawEmail: string): Promise<void> {
      const email = normalizeEmail(rawEmail);
      return mutateAsOwner(deckId, caller, (deck) => {
        if (!deck.collaborators.includes(email)) throw new AppError("collaborator_not_found");
        const items = planUnshare(table, deck, email, now()).TransactItems;
        return { items, result: undefined };
      });
    },

    /**
     * Deleting is two-phase because a deck's dos are unbounded. One transaction marks the deck
     * `deleting` and removes every access row: from then on the deck is gone for the API, and
     * creating a do fails its condition check, so no do can appear behind the purge. Then the
     * dos and the deck item are removed in batches. If that is interrupted, the owner's retry
     * of DELETE finds the mark and finishes the purge; so does the sweeper (sweeper.ts), which
     * finds the deck through the pending-deletion entry the mark wrote.
     */
    async remove(caller: Caller, deckId: string): Promise<void> {
      const existing = await read(deckId);
      if (existing?.deleting && existing.ownerSub === caller.sub) {
        await purge(existing.deckId);
        return;
      }
      await mutateAsOwner(
        deckId,
        caller,
        (deck) => ({ items: planDeleteMark(table, deck, now()).TransactItems, result: undefined }),
        { deck: existing },
      );
      await purge(deckId);
    },
  };

  function purge(deckId: string): Promise<void> {
    return purgeDeck(store, deckId);
  }
}

/** Which collaborator partition the list reads; SPEC's 403s apply to `shared` only. */
function collaboratorEmailFor(
  caller: Caller,
  visibility: Visibility,
  policy: AccessPolicy,
): string | undefined {
  if (visibility === "mine") return undefined;
  const email = usableEmail(caller, policy);
  if (visibility === "shared" && email === undefined) {
    if (caller.email === undefined)
      throw new AppError("email_required", "Your token carries no email address.");
    throw new AppError("email_not_verified", "Verify your email address to list shared decks.");
  }
  return email;
}

/** Jittered backoff between optimistic retries, short: contention on one deck is brief. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt));
}
