import {
  defaultChangeRetentionSeconds,
  emailPattern,
  limits,
  maxSyncTokenLength,
  nameLowerOf,
  normalizeEmail,
  utf8Bytes,
} from "@dodeck/core";
import * as z from "zod";
import { once } from "./once.ts";
import { type ProblemCode, problemCatalogue } from "./problem.ts";

/**
 * The wire contract: one zod schema is the request type, the validator and the OpenAPI schema.
 * Request bodies are strict: an unknown field (say `ownerSub` or `createdAt`) is a 422, never
 * stored. Responses are strict too, so a test that validates a body against the document
 * catches a field leaking out of core. Schemas with an `id` become OpenAPI components.
 *
 * Each schema is built on first use (`once`), not when the module loads: a cold start builds
 * none, a request builds its own route's, and the OpenAPI document builds them all. Building
 * all of them at load was ~10 ms of every cold start (docs/performance.md).
 */

const LONE_SURROGATE = /\p{Cs}/u;
/**
 * A character that shows: not a control or format character (bidi marks, zero-width joiners),
 * not a separator, not a combining mark on its own, not default-ignorable (the Hangul filler
 * U+3164 is a letter that renders as nothing). Names made only of these look empty in a list.
 */
const VISIBLE = /[^\p{Cc}\p{Cf}\p{Cs}\p{Z}\p{M}\p{Default_Ignorable_Code_Point}\s]/u;

/**
 * Text the server trims before measuring: its length bound holds after trimming, counted in
 * characters (code points, as JSON Schema's maxLength and a `u` regex count them). JSON Schema
 * cannot trim, so the document says the same with a pattern: optional whitespace around 1 to
 * `max` characters that start and end with a non-space. `\s` in a JavaScript regex is exactly
 * the set String.prototype.trim removes.
 */
function trimmedText(max: number, description: string, example: string) {
  const inner = max - 2;
  // One `.check()` with every check, not a chain: each chained call clones the schema (a full
  // zod instance), which the cold start pays for (docs/performance.md). Same checks, same order.
  return z
    .string()
    .check(
      z.trim(),
      // JSON can escape half of a surrogate pair; it is no character, and no encoding stores it.
      z.refine((value: string) => !LONE_SURROGATE.test(value), {
        message: "Must not contain a lone surrogate (\\ud800–\\udfff)",
      }),
      // One spelling per text: "Cafe\u0301" is stored, listed and searched as "Café".
      z.overwrite((value: string) => value.normalize("NFC")),
      z.refine((value: string) => value.length > 0, {
        message: "Must not be empty or only whitespace",
      }),
      // One finding per value: an empty one or one with a lone surrogate is already refused.
      z.refine(
        (value: string) => value.length === 0 || LONE_SURROGATE.test(value) || VISIBLE.test(value),
        { message: "Must contain a visible character" },
      ),
      z.refine((value: string) => [...value].length <= max, {
        message: `Must be at most ${max} characters after trimming`,
      }),
    )
    .meta({
      description,
      pattern: `^\\s*\\S(?:[\\s\\S]{0,${inner}}\\S)?\\s*$`,
      examples: [example],
    });
}

/**
 * A refinement for text whose lower-cased form goes into a sort key: at most `bytes` in UTF-8.
 * Unreachable today (no code point lower-cases to more than 4 bytes, so 120 make at most 480,
 * under both bounds: limits.ts); it guards the key against later Unicode versions.
 */
// Stryker disable all: unreachable today, as said above.
function lowerCasedWithin(bytes: number) {
  return [
    (value: string) => utf8Bytes(nameLowerOf(value.trim())) <= bytes,
    { message: `Must be at most ${bytes} bytes in UTF-8 once lower-cased` },
  ] as const;
}
// Stryker restore all

/** Its lower-cased form is part of the access rows' sort key: bounded in bytes as well. */
const DeckName = once(() =>
  trimmedText(
    limits.deckName.max,
    `Deck name: 1–${limits.deckName.max} characters after trimming surrounding whitespace, stored in Unicode NFC; must contain a visible character`,
    "Groceries",
  ).refine(...lowerCasedWithin(limits.keyBytes.deckName)),
);

const DoText = once(() =>
  trimmedText(
    limits.doText.max,
    `Do text: 1–${limits.doText.max} characters after trimming surrounding whitespace, stored in Unicode NFC; must contain a visible character`,
    "Buy oat milk",
  ),
);

/**
 * Trimmed and lower-cased by the server. The pattern states the server's bound (254 characters
 * after trimming, one "@", no inner whitespace); the full address syntax is checked server-side.
 */
const Email = once(() =>
  z
    .string()
    // One `.check()`, not a chain of clones (see trimmedText).
    .check(
      z.trim(),
      // A refinement, not .max(): JSON Schema's maxLength would apply before trimming.
      z.refine((value: string) => value.length <= limits.email.max, {
        message: `Must be at most ${limits.email.max} characters`,
      }),
      // It becomes a partition key (`ACCESS#EMAIL#{email}`); SMTP bounds an address in octets.
      z.refine((value: string) => utf8Bytes(value) <= limits.keyBytes.email, {
        message: `Must be at most ${limits.keyBytes.email} bytes in UTF-8`,
      }),
      // Case-insensitive without look-alikes: the Kelvin sign is not folded to "k" (normalizeEmail).
      z.overwrite(normalizeEmail),
    )
    .pipe(z.email({ pattern: emailPattern, message: "Invalid email address" }))
    .meta({
      description: `Email address, compared case-insensitively (letter-like symbols such as the Kelvin sign are not folded); at most ${limits.email.max} characters and ${limits.keyBytes.email} bytes in UTF-8 after trimming surrounding whitespace. "#", "+", "'" and non-ASCII letters are allowed.`,
      pattern: `^\\s*(?=\\S{3,${limits.email.max}}\\s*$)[^\\s@]+@[^\\s@]+\\s*$`,
      examples: ["friend@example.com"],
    }),
);

const Cursor = once(() =>
  z
    .string()
    .min(1)
    .max(2_048)
    .optional()
    .meta({ description: "The `nextCursor` of the previous page" }),
);

/**
 * Decimal digits only: `z.coerce.number()` is `Number()`, which reads "0x10" as 16, "1e1" as
 * 10 and " 16" or "" as numbers too. Anything else reaches the number schema as a string (422).
 * The document is the same as the coerced schema's: an integer with its bounds and default.
 */
const Limit = once(() =>
  z
    .preprocess(
      (value) => (typeof value === "string" && /^[0-9]{1,4}$/.test(value) ? Number(value) : value),
      z.number().int().min(limits.page.min).max(limits.page.max).default(limits.page.default),
    )
    .meta({
      description: `Page size, ${limits.page.min}–${limits.page.max} (default ${limits.page.default})`,
    }),
);

export const CreateDeckBody = once(() =>
  z.strictObject({ name: DeckName() }).meta({ id: "CreateDeck" }),
);
export const RenameDeckBody = once(() =>
  z.strictObject({ name: DeckName() }).meta({ id: "RenameDeck" }),
);
export const ShareDeckBody = once(() =>
  z.strictObject({ email: Email() }).meta({ id: "ShareDeck" }),
);
/** RFC 3339 with an offset (`Z` or `±hh:mm`); stored and returned as the same instant in UTC. */
const DueAt = once(() =>
  z.iso
    .datetime({ offset: true })
    .refine((value) => !Number.isNaN(Date.parse(value)), { message: "Not a valid date-time" })
    .nullable()
    .meta({
      description: "When the do is due: an RFC 3339 date-time (returned in UTC), or null for none",
      examples: ["2026-12-24T17:00:00+01:00"],
    }),
);

export const CreateDoBody = once(() =>
  z.strictObject({ text: DoText(), dueAt: DueAt().optional() }).meta({ id: "CreateDo" }),
);
export const UpdateDoBody = once(() =>
  z
    .strictObject({
      text: DoText().optional(),
      completed: z.boolean().optional(),
      dueAt: DueAt().optional().meta({ description: "A new due date, or null to clear it" }),
    })
    .meta({
      id: "UpdateDo",
      description: "At least one of text, completed and dueAt (else 400 no_updates_provided)",
    }),
);

export const MoveDoBody = once(() =>
  z
    .strictObject({
      after: z
        .string()
        .nullable()
        .meta({
          description:
            "The do the moved do goes directly after, or null to make it first. Another do of the same deck (404 do_not_found when it does not exist; 422 when it is the moved do itself).",
          examples: ["01JD5Z6V1E4Q8W3T2R9Y7X6C5B"],
        }),
    })
    .meta({ id: "MoveDo" }),
);

export const ListDecksQuery = once(() =>
  z.object({
    search: z
      .string()
      .max(limits.search.max)
      // Names are stored in NFC, so a prefix typed decomposed must match them.
      .overwrite((value) => value.normalize("NFC"))
      // Part of the Query's sort-key prefix once lower-cased.
      .refine(...lowerCasedWithin(limits.keyBytes.search))
      .optional()
      .meta({
        description: `Case-insensitive prefix of the deck name (at most ${limits.search.max} characters)`,
      }),
    visibility: z
      .enum(["mine", "shared", "all"])
      .default("all")
      .meta({ description: "Owned decks, shared ones, or both (shared need a verified email)" }),
    limit: Limit(),
    cursor: Cursor(),
  }),
);

export const ListDosQuery = once(() => z.object({ limit: Limit(), cursor: Cursor() }));

export const ListChangesQuery = once(() =>
  z.object({
    since: z
      .string()
      .min(1)
      .max(maxSyncTokenLength)
      .optional()
      .meta({
        description: `The \`nextSince\` of the previous answer; none for a full sync. Tokens expire with the retention (${defaultChangeRetentionSeconds / 86_400} days by default): 410 sync_token_expired then asks for a full sync.`,
      }),
    limit: Limit().meta({
      description: `Changes per page, ${limits.page.min}–${limits.page.max} (default ${limits.page.default}); a do counts once however often it changed`,
    }),
  }),
);

const DeckId = once(() =>
  z.string().meta({ description: "Deck id", examples: ["01JD5Z6V1E4Q8W3T2R9Y7X6C5B"] }),
);
export const DeckParams = once(() => z.object({ deckId: DeckId() }));
export const DoParams = once(() =>
  z.object({
    deckId: DeckId(),
    doId: z.string().meta({ description: "Do id (time-ordered)" }),
  }),
);
export const CollaboratorParams = once(() =>
  z.object({
    deckId: DeckId(),
    email: z.string().meta({ description: "Collaborator email, case-insensitive" }),
  }),
);

/** Conditional request headers (RFC 9110 §13.1), read by the routes that declare them. */
export const IfMatchHeaders = once(() =>
  z.object({
    "if-match": z
      .string()
      .optional()
      .meta({
        description:
          "The ETag the change was planned against (or `*`): when the resource has changed since, nothing is written and the answer is 412 precondition_failed.",
        examples: ['"3"'],
      }),
  }),
);
export const IfNoneMatchHeaders = once(() =>
  z.object({
    "if-none-match": z
      .string()
      .optional()
      .meta({
        description:
          "ETags the client holds: when one matches the current representation, the answer is 304 with no body.",
        examples: ['"3"'],
      }),
  }),
);

const IdempotencyKey = once(() =>
  z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { message: "Must be 1–255 visible ASCII characters" })
    .optional()
    .meta({
      description:
        "A key you choose for this create (1–255 visible ASCII characters), kept 24 h per user: a retry with the same key and body answers the first result again (Idempotent-Replayed: true) and writes nothing; the same key with another body is 422 idempotency_key_reused.",
      examples: ["4d8f1c2e-retry-safe"],
    }),
);
export const IdempotencyHeaders = once(() => z.object({ "idempotency-key": IdempotencyKey() }));
export const IdempotentIfMatchHeaders = once(() =>
  IfMatchHeaders().extend({
    "idempotency-key": IdempotencyKey(),
  }),
);

const Timestamp = once(() => z.iso.datetime().meta({ description: "ISO-8601 UTC" }));

export const DeckDetail = once(() =>
  z
    .strictObject({
      deckId: z.string(),
      name: z.string(),
      isOwner: z.boolean(),
      ownerSub: z.string(),
      collaborators: z.array(z.string()).meta({ description: "Sorted, lower-cased emails" }),
      createdAt: Timestamp(),
      updatedAt: Timestamp(),
    })
    .meta({ id: "DeckDetail" }),
);

export const DeckSummary = once(() =>
  z
    .strictObject({
      deckId: z.string(),
      name: z.string(),
      isOwner: z.boolean(),
      collaborators: z.number().int().min(0).meta({ description: "Number of collaborators" }),
    })
    .meta({ id: "DeckSummary" }),
);

export const Do = once(() =>
  z
    .strictObject({
      doId: z.string(),
      deckId: z.string(),
      text: z.string(),
      completed: z.boolean(),
      position: z.string().meta({
        description:
          "The do's place in the deck: an opaque string. Lists sort by it (then by doId, compared as strings); new dos go last; it changes only when the do (or, rarely, a do moved next to it) is moved.",
        examples: ["0c4XBq8Hnt"],
      }),
      dueAt: Timestamp().nullable().meta({ description: "When the do is due (UTC), or null" }),
      createdAt: Timestamp(),
      updatedAt: Timestamp(),
    })
    .meta({ id: "Do" }),
);

const DeckUpdated = once(() =>
  z
    .strictObject({ type: z.literal("deck.updated"), deck: DeckDetail() })
    .meta({ id: "DeckUpdated", description: "The deck (name, collaborators) as it now is" }),
);
const DoUpserted = once(() =>
  z
    .strictObject({ type: z.literal("do.upserted"), do: Do() })
    .meta({ id: "DoUpserted", description: "A do created or changed: its latest state" }),
);
const DoDeleted = once(() =>
  z
    .strictObject({ type: z.literal("do.deleted"), doId: z.string() })
    .meta({ id: "DoDeleted", description: "A do deleted (a tombstone)" }),
);

export const ChangePage = once(() =>
  z
    .strictObject({
      changes: z
        .array(z.discriminatedUnion("type", [DeckUpdated(), DoUpserted(), DoDeleted()]))
        .meta({
          description: "Oldest first; each do at most once per page, with its latest state",
        }),
      nextSince: z
        .string()
        .meta({ description: "Pass as `since` next time: every change after this page follows" }),
      hasMore: z
        .boolean()
        .meta({ description: "More changes are already waiting: ask again now with nextSince" }),
    })
    .meta({ id: "ChangePage" }),
);

const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .strictObject({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
    })
    .meta({ id });

export const DeckSummaryPage = once(() => pageOf(DeckSummary(), "DeckSummaryPage"));
export const DoPage = once(() => pageOf(Do(), "DoPage"));

export const Health = once(() =>
  z
    .strictObject({ ok: z.literal(true), version: z.string(), environment: z.string() })
    .meta({ id: "Health" }),
);

export const Ready = once(() => z.strictObject({ ok: z.literal(true) }).meta({ id: "Ready" }));

/** The served OpenAPI document itself: an object, described by the OpenAPI 3.1 schema. */
export const OpenApiDocument = once(() =>
  z
    .looseObject({ openapi: z.string() })
    .meta({ id: "OpenApiDocument", description: "An OpenAPI 3.1 document" }),
);

const problemCodes = Object.keys(problemCatalogue) as [ProblemCode, ...ProblemCode[]];

export const Problem = once(() =>
  z
    .strictObject({
      type: z.url().meta({ description: "https://dodeck.app/problems/<code-with-dashes>" }),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      code: z.enum(problemCodes).meta({ description: "Stable machine-readable code" }),
      errors: z
        .array(z.strictObject({ path: z.string(), message: z.string() }))
        .optional()
        .meta({ description: "Field errors (422 validation_failed only)" }),
    })
    .meta({ id: "Problem", description: "RFC 9457 problem details" }),
);
