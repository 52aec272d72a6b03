import type { ChangeService, DeckService, DoService } from "@dodeck/core";
import { wasReplayed } from "@dodeck/core";
import type { Context, Hono } from "hono";
import { etagOf, notModified, parseIfMatch } from "../etag.ts";
import type { AppEnv } from "../middleware.ts";
import type { ProblemCode } from "../problem.ts";
import { defineRoute, mount } from "../route.ts";
import {
  ChangePage,
  CollaboratorParams,
  CreateDeckBody,
  CreateDoBody,
  DeckDetail,
  DeckParams,
  DeckSummaryPage,
  Do,
  DoPage,
  DoParams,
  IdempotencyHeaders,
  IdempotentIfMatchHeaders,
  IfMatchHeaders,
  IfNoneMatchHeaders,
  ListChangesQuery,
  ListDecksQuery,
  ListDosQuery,
  MoveDoBody,
  RenameDeckBody,
  ShareDeckBody,
  UpdateDoBody,
} from "../schemas.ts";

/** Any route that opens a deck: strangers get 404 (ids cannot be probed), unverified 403. */
const opensDeck = ["email_not_verified", "deck_not_found"] as const satisfies ProblemCode[];
const ownerOnly = [...opensDeck, "owner_only"] as const satisfies ProblemCode[];
/**
 * Owner writes that touch every access row: on a deck the old service shared beyond DoDeck's
 * bound (kept by the migration), they may not fit one transaction and answer 409.
 */
const ownerWrite = [...ownerOnly, "collaborator_limit"] as const satisfies ProblemCode[];

/** Writes that take If-Match: a stale one answers 412 and writes nothing. */
const conditional = {
  requestHeaders: IfMatchHeaders,
} as const;
/** Creates that take Idempotency-Key: a retry replays the first result. */
const replayed = {
  "Idempotent-Replayed":
    "`true` when this is the stored answer to an earlier request with the same Idempotency-Key (nothing was written)",
} as const;

const etag = {
  ETag: {
    description: "The resource's strong entity tag (see components.headers.ETag)",
    required: true,
  },
} as const;

/**
 * The deck, collaborator and do routes: each one definition, mounted with its handler below.
 * A route's key is its operationId (the typed client's name for it).
 */
export const deckRoutes = {
  createDeck: defineRoute({
    method: "post",
    path: "/v1/decks",
    summary: "Create a deck",
    tag: "decks",
    auth: true,
    body: CreateDeckBody,
    success: { status: 201, description: "The new deck", schema: DeckDetail },
    requestHeaders: IdempotencyHeaders,
    headers: { ...etag, ...replayed },
    problems: ["deck_limit", "idempotency_key_reused"],
  }),
  listDecks: defineRoute({
    method: "get",
    path: "/v1/decks",
    summary: "List decks: owned first, then shared, each by name (case-insensitive)",
    tag: "decks",
    auth: true,
    query: ListDecksQuery,
    success: { status: 200, description: "A page of deck summaries", schema: DeckSummaryPage },
    problems: ["email_required", "email_not_verified"],
  }),
  getDeck: defineRoute({
    method: "get",
    path: "/v1/decks/{deckId}",
    summary: "Read a deck",
    tag: "decks",
    auth: true,
    params: DeckParams,
    success: { status: 200, description: "The deck", schema: DeckDetail },
    problems: opensDeck,
    requestHeaders: IfNoneMatchHeaders,
    notModified: true,
    headers: etag,
  }),
  renameDeck: defineRoute({
    method: "patch",
    path: "/v1/decks/{deckId}",
    summary: "Rename a deck (owner only)",
    tag: "decks",
    auth: true,
    params: DeckParams,
    body: RenameDeckBody,
    success: { status: 200, description: "The renamed deck", schema: DeckDetail },
    problems: [...ownerWrite, "precondition_failed"],
    ...conditional,
    headers: etag,
  }),
  deleteDeck: defineRoute({
    method: "delete",
    path: "/v1/decks/{deckId}",
    summary: "Delete a deck with its dos and every access row (owner only)",
    tag: "decks",
    auth: true,
    params: DeckParams,
    success: { status: 204, description: "Deleted" },
    problems: [...ownerWrite, "precondition_failed"],
    ...conditional,
  }),
  shareDeck: defineRoute({
    method: "post",
    path: "/v1/decks/{deckId}/collaborators",
    summary: "Share a deck with an email address (owner only)",
    tag: "collaborators",
    auth: true,
    params: DeckParams,
    body: ShareDeckBody,
    success: { status: 201, description: "The shared deck", schema: DeckDetail },
    problems: [
      ...ownerWrite,
      "cannot_add_self",
      "collaborator_exists",
      "precondition_failed",
      "idempotency_key_reused",
    ],
    requestHeaders: IdempotentIfMatchHeaders,
    headers: { ...etag, ...replayed },
  }),
  unshareDeck: defineRoute({
    method: "delete",
    path: "/v1/decks/{deckId}/collaborators/{email}",
    summary: "Stop sharing a deck with an email address (owner only)",
    tag: "collaborators",
    auth: true,
    params: CollaboratorParams,
    success: { status: 204, description: "Removed" },
    problems: [...ownerWrite, "collaborator_not_found", "precondition_failed"],
    ...conditional,
  }),
  listDos: defineRoute({
    method: "get",
    path: "/v1/decks/{deckId}/dos",
    summary: "List a deck's dos in order (by position; new dos last)",
    tag: "dos",
    auth: true,
    params: DeckParams,
    query: ListDosQuery,
    success: { status: 200, description: "A page of dos", schema: DoPage },
    problems: opensDeck,
  }),
  createDo: defineRoute({
    method: "post",
    path: "/v1/decks/{deckId}/dos",
    summary: "Add a do",
    tag: "dos",
    auth: true,
    params: DeckParams,
    body: CreateDoBody,
    success: { status: 201, description: "The new do", schema: Do },
    problems: [...opensDeck, "do_limit", "idempotency_key_reused"],
    requestHeaders: IdempotencyHeaders,
    headers: { ...etag, ...replayed },
  }),
  getDo: defineRoute({
    method: "get",
    path: "/v1/decks/{deckId}/dos/{doId}",
    summary: "Read a do",
    tag: "dos",
    auth: true,
    params: DoParams,
    success: { status: 200, description: "The do", schema: Do },
    problems: [...opensDeck, "do_not_found"],
    requestHeaders: IfNoneMatchHeaders,
    notModified: true,
    headers: etag,
  }),
  updateDo: defineRoute({
    method: "patch",
    path: "/v1/decks/{deckId}/dos/{doId}",
    summary: "Change a do's text or completion",
    tag: "dos",
    auth: true,
    params: DoParams,
    body: UpdateDoBody,
    success: { status: 200, description: "The updated do", schema: Do },
    problems: [...opensDeck, "do_not_found", "no_updates_provided", "precondition_failed"],
    ...conditional,
    headers: etag,
  }),
  moveDo: defineRoute({
    method: "post",
    path: "/v1/decks/{deckId}/dos/{doId}/move",
    summary: "Move a do directly after another one, or to the top",
    description:
      "Gives the do a new `position` directly after the `after` do (null: first) and bumps its ETag. Only the moved do is written, except in the rare case where positions in that gap have grown long: then dos next to it get new positions (and ETags) in the same atomic write.",
    tag: "dos",
    auth: true,
    params: DoParams,
    body: MoveDoBody,
    success: { status: 200, description: "The moved do", schema: Do },
    problems: [...opensDeck, "do_not_found", "precondition_failed"],
    ...conditional,
    headers: etag,
  }),
  deleteDo: defineRoute({
    method: "delete",
    path: "/v1/decks/{deckId}/dos/{doId}",
    summary: "Delete a do",
    tag: "dos",
    auth: true,
    params: DoParams,
    success: { status: 204, description: "Deleted" },
    problems: [...opensDeck, "do_not_found", "precondition_failed"],
    ...conditional,
  }),
  listChanges: defineRoute({
    method: "get",
    path: "/v1/decks/{deckId}/changes",
    summary: "What changed in a deck since a sync token (without one: a full sync)",
    description:
      "Without `since`: a full sync, the deck (`deck.updated`) and every do (`do.upserted`), paged with `hasMore`. With `since`: every change after it, oldest first, each do at most once per page with its latest state, deleted dos as `do.deleted`. Follow `nextSince` (at once while `hasMore`, else whenever you poll) and you see every committed change at least once. A token older than the retention (7 days) answers 410 sync_token_expired: start again with a full sync.",
    tag: "changes",
    auth: true,
    params: DeckParams,
    query: ListChangesQuery,
    success: { status: 200, description: "A page of changes", schema: ChangePage },
    problems: [...opensDeck, "sync_token_expired"],
  }),
};

/** The response header a deck or do result carries: its entity tag. */
const tagged = <T extends object>(c: Context, result: T, kind: "do" | "deck"): T => {
  c.header("ETag", etagOf(result, kind));
  if (wasReplayed(result)) c.header("Idempotent-Replayed", "true");
  return result;
};

/**
 * Each handler reads validated input, calls one core function and maps the result; reads with
 * If-None-Match answer 304 from the result's tag, writes pass If-Match to core as a
 * precondition on the version (enforced by the write's own condition).
 */
export function mountDeckRoutes(
  app: Hono<AppEnv>,
  decks: DeckService,
  dos: DoService,
  changes: ChangeService,
) {
  return mount(app, deckRoutes, {
    createDeck: async (c) => {
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const deck = await decks.create(c.var.caller, c.req.valid("json"), { idempotencyKey });
      return c.json(tagged(c, deck, "deck"), 201);
    },
    listDecks: async (c) => c.json(await decks.list(c.var.caller, c.req.valid("query")), 200),
    getDeck: async (c) => {
      const deck = await decks.get(c.var.caller, c.req.valid("param").deckId);
      const tag = etagOf(deck, "deck");
      if (notModified(c.req.valid("header")["if-none-match"], tag))
        return c.body(null, 304, { ETag: tag });
      return c.json(tagged(c, deck, "deck"), 200);
    },
    renameDeck: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId } = c.req.valid("param");
      const deck = await decks.rename(c.var.caller, deckId, c.req.valid("json"), { ifMatch });
      return c.json(tagged(c, deck, "deck"), 200);
    },
    deleteDeck: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      await decks.remove(c.var.caller, c.req.valid("param").deckId, { ifMatch });
      return c.body(null, 204);
    },
    shareDeck: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId } = c.req.valid("param");
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const deck = await decks.share(c.var.caller, deckId, c.req.valid("json"), {
        ifMatch,
        idempotencyKey,
      });
      return c.json(tagged(c, deck, "deck"), 201);
    },
    unshareDeck: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId, email } = c.req.valid("param");
      await decks.unshare(c.var.caller, deckId, email, { ifMatch });
      return c.body(null, 204);
    },
    listDos: async (c) =>
      c.json(await dos.list(c.var.caller, c.req.valid("param").deckId, c.req.valid("query")), 200),
    createDo: async (c) => {
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const { deckId } = c.req.valid("param");
      const made = await dos.create(c.var.caller, deckId, c.req.valid("json"), { idempotencyKey });
      return c.json(tagged(c, made, "do"), 201);
    },
    getDo: async (c) => {
      const { deckId, doId } = c.req.valid("param");
      const item = await dos.get(c.var.caller, deckId, doId);
      const tag = etagOf(item, "do");
      if (notModified(c.req.valid("header")["if-none-match"], tag))
        return c.body(null, 304, { ETag: tag });
      return c.json(tagged(c, item, "do"), 200);
    },
    updateDo: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId, doId } = c.req.valid("param");
      const item = await dos.update(c.var.caller, deckId, doId, c.req.valid("json"), { ifMatch });
      return c.json(tagged(c, item, "do"), 200);
    },
    moveDo: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId, doId } = c.req.valid("param");
      const { after } = c.req.valid("json");
      const item = await dos.move(c.var.caller, deckId, doId, after, { ifMatch });
      return c.json(tagged(c, item, "do"), 200);
    },
    deleteDo: async (c) => {
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      const { deckId, doId } = c.req.valid("param");
      await dos.remove(c.var.caller, deckId, doId, { ifMatch });
      return c.body(null, 204);
    },
    listChanges: async (c) =>
      c.json(
        await changes.list(c.var.caller, c.req.valid("param").deckId, c.req.valid("query")),
        200,
      ),
  });
}
