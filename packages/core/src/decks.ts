import { QueryCommand, type QueryCommandOutput } from "@aws-sdk/lib-dynamodb";
import { assertCanRead, assertOwner, usableEmail } from "./access.ts";
import { contentionPause } from "./backoff.ts";
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
import type { Claim, IdempotencyOptions } from "./idempotency.ts";
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
import { type Precondition, satisfies, versioned, versionOf } from "./versions.ts";

/** An owner's write may name the deck version it was planned against (If-Match). */
export type OwnerWriteOptions = { ifMatch?: Precondition | undefined };

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
  const { store, policy, table, now, retention, quotas, newId, read, idempotency } =
    serviceContext(options);

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
    options: OwnerWriteOptions & {
      /** The deck as the caller already read it, used for the first attempt only. */
      prefetched?: { deck: Deck | undefined };
      /** An Idempotency-Key's record, written in the same transaction (after the plan's items). */
      claim?: Claim | undefined;
    } = {},
  ): Promise<T> {
    const { prefetched, ifMatch, claim } = options;
    for (let attempt = 1; ; attempt++) {
      const current = attempt === 1 && prefetched ? prefetched.deck : await read(deckId);
      const deck = assertOwner(current, caller, policy);
      const planned = plan(deck);
      // If-Match: the transaction below is conditioned on the version read, so it can only
      // apply to a version the client named. A read showing another version means that write
      // could never apply (versions only grow): 412 without sending it. Refusals the request
      // would get anyway (403, 404, 409 ...) come first, as RFC 9110 §13.2.1 orders them. A
      // lost race re-reads, finds the new version, and answers 412 here.
      if (!satisfies(ifMatch, deck.version)) throw new AppError("precondition_failed");
      const items =
        claim && planned.result
          ? [...planned.items, claim.put(planned.result, versionOf(planned.result) ?? 0)]
          : planned.items;
      // Only a deck the old service shared beyond DoDeck's bound gets here (it split its
      // transactions): it stays readable and writable for dos, but multi-item writes that would
      // not fit one transaction wait until the owner removes collaborators.
      if (items.length > limits.maxTransactionActions) {
        throw new AppError(
          "collaborator_limit",
          `This deck has ${deck.collaborators.length} collaborators; remove some (to ${limits.maxCollaborators} at most) before this change.`,
        );
      }
      try {
        await transact(store, items);
        return planned.result;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw mapAwsError(error);
        claim?.check(items, reasons);
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
        await contentionPause(attempt);
      }
    }
  }

  function shareOnce(
    caller: Caller,
    deckId: string,
    email: string,
    options: { ifMatch?: Precondition | undefined; claim?: Claim | undefined },
  ): Promise<DeckDetail> {
    return mutateAsOwner(
      deckId,
      caller,
      (deck) => {
        if (email === caller.email) throw new AppError("cannot_add_self");
        if (deck.collaborators.includes(email)) throw new AppError("collaborator_exists");
        if (deck.collaborators.length >= limits.maxCollaborators) {
          throw new AppError(
            "collaborator_limit",
            `A deck can be shared with at most ${limits.maxCollaborators} collaborators.`,
          );
        }
        const at = now();
        const items = planShare(table, deck, email, at, retention).TransactItems;
        const shared = sharedDeck(deck, email, at);
        return {
          items,
          result: versioned(toDeckDetail(shared, caller), shared.version),
          explain: (reasons) =>
            reasons[1]?.Code === "ConditionalCheckFailed"
              ? new AppError("collaborator_exists")
              : undefined,
        };
      },
      options,
    );
  }

  return {
    create(
      caller: Caller,
      input: { name: string },
      options: IdempotencyOptions = {},
    ): Promise<DeckDetail> {
      // Stryker disable next-line StringLiteral: equivalent, an emptied name or target is still unlike every other operation's.
      const what = { operation: "createDeck", target: "", input };
      return idempotency.run(caller.sub, options.idempotencyKey, what, async (claim) => {
        const at = now();
        const deck: Deck = {
          deckId: newId(),
          name: input.name,
          ownerSub: caller.sub,
          collaborators: [],
          createdAt: at,
          updatedAt: at,
          version: 1,
          // Stryker disable next-line BooleanLiteral: equivalent, neither the item written (deckItem) nor the answer carries `deleting`.
          deleting: false,
          lastChangeAt: 0,
          doCount: 0,
        };
        const result = versioned(toDeckDetail(deck, caller), deck.version);
        const items = planCreateDeck(table, deck, quotas.decksPerOwner).TransactItems;
        if (claim) items.push(claim.put(result, deck.version));
        for (let attempt = 1; ; attempt++) {
          try {
            await transact(store, items);
            return result;
          } catch (error) {
            const reasons = cancellationReasons(error);
            if (reasons === undefined) throw mapAwsError(error);
            claim?.check(items, reasons);
            if (reasons[2]?.Code === "ConditionalCheckFailed")
              throw new AppError(
                "deck_limit",
                `An owner has at most ${quotas.decksPerOwner} decks; delete one first.`,
              );
            // Only the key's record and the owner's counter can be contended (the deck id is
            // new): retry that race, and past the attempts answer 503 like any lost race.
            if (!reasons.some((r) => r.Code === "TransactionConflict")) throw mapAwsError(error);
            if (attempt >= MAX_ATTEMPTS)
              throw new AppError(
                "service_unavailable",
                "Your decks are changing concurrently; try again.",
                { retryAfter: 1, cause: error },
              );
            await contentionPause(attempt);
          }
        }
      });
    },

    async get(caller: Caller, deckId: string): Promise<DeckDetail> {
      const deck = assertCanRead(await read(deckId), caller, policy);
      return versioned(toDeckDetail(deck, caller), deck.version);
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
              // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
              ConsistentRead: true,
            }),
          ),
        );
        // Stryker disable next-line ArrayDeclaration: defensive, DynamoDB answers a Query with a list.
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

    rename(
      caller: Caller,
      deckId: string,
      input: { name: string },
      options: OwnerWriteOptions = {},
    ): Promise<DeckDetail> {
      return mutateAsOwner(
        deckId,
        caller,
        (deck) => {
          const at = now();
          const renamed = renamedDeck(deck, input.name, at);
          return {
            items: planRename(table, deck, input.name, at, retention).TransactItems,
            result: versioned(toDeckDetail(renamed, caller), renamed.version),
          };
        },
        options,
      );
    },

    share(
      caller: Caller,
      deckId: string,
      input: { email: string },
      options: OwnerWriteOptions & IdempotencyOptions = {},
    ): Promise<DeckDetail> {
      const email = normalizeEmail(input.email);
      // Stryker disable next-line StringLiteral: equivalent, an emptied name is still unlike every other operation's.
      const what = { operation: "shareDeck", target: deckId, input: { email } };
      return idempotency.run(caller.sub, options.idempotencyKey, what, (claim) =>
        shareOnce(caller, deckId, email, { ifMatch: options.ifMatch, claim }),
      );
    },

    unshare(
      caller: Caller,
      deckId: string,
      rawEmail: string,
      options: OwnerWriteOptions = {},
    ): Promise<void> {
      const email = normalizeEmail(rawEmail);
      return mutateAsOwner(
        deckId,
        caller,
        (deck) => {
          if (!deck.collaborators.includes(email)) throw new AppError("collaborator_not_found");
          const items = planUnshare(table, deck, email, now(), retention).TransactItems;
          return { items, result: undefined };
        },
        options,
      );
    },

    /**
     * Deleting is two-phase because a deck's dos are unbounded. One transaction marks the deck
     * `deleting` and removes every access row: from then on the deck is gone for the API, and
     * creating a do fails its condition check, so no do can appear behind the purge. Then the
     * dos and the deck item are removed in batches. If that is interrupted, the owner's retry
     * of DELETE finds the mark and finishes the purge, whatever its If-Match says (the delete
     * that If-Match guarded has already committed); so does the sweeper (sweeper.ts), which
     * finds the deck through the pending-deletion entry the mark wrote.
     */
    async remove(caller: Caller, deckId: string, options: OwnerWriteOptions = {}): Promise<void> {
      const existing = await read(deckId);
      if (existing?.deleting && existing.ownerSub === caller.sub) {
        await purge(existing.deckId);
        return;
      }
      await mutateAsOwner(
        deckId,
        caller,
        (deck) => ({ items: planDeleteMark(table, deck, now()).TransactItems, result: undefined }),
        { prefetched: { deck: existing }, ifMatch: options.ifMatch },
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
