import { emailPattern, limits, normalizeEmail, problemCatalogue } from "@dodeck/core";
import * as z from "zod";

/**
 * One schema is the request type, the validator and the OpenAPI document. Bodies are strict:
 * an unknown field (say `ownerSub` or `createdAt`) is a 422, never stored.
 */
const DeckName = z
  .string()
  .trim()
  .min(limits.deckName.min)
  .max(limits.deckName.max)
  .meta({ description: "Deck name, 1–120 characters after trimming", example: "Groceries" });

const DoText = z
  .string()
  .trim()
  .min(limits.doText.min)
  .max(limits.doText.max)
  .meta({ description: "Do text, 1–1000 characters after trimming", example: "Buy oat milk" });

const Email = z
  .string()
  .trim()
  .max(limits.email.max)
  .overwrite(normalizeEmail)
  .pipe(z.email({ pattern: emailPattern, message: "Invalid email address" }))
  .meta({ example: "friend@example.com" });

const Cursor = z
  .string()
  .min(1)
  .max(2_048)
  .optional()
  .meta({ description: "The `nextCursor` of the previous page" });

const Limit = z.coerce
  .number()
  .int()
  .min(limits.page.min)
  .max(limits.page.max)
  .default(limits.page.default)
  .meta({ description: "Page size, 1–100 (default 50)" });

export const CreateDeckBody = z.strictObject({ name: DeckName }).meta({ id: "CreateDeck" });
export type CreateDeckBody = z.infer<typeof CreateDeckBody>;

export const RenameDeckBody = z.strictObject({ name: DeckName }).meta({ id: "RenameDeck" });
export type RenameDeckBody = z.infer<typeof RenameDeckBody>;

export const ShareDeckBody = z.strictObject({ email: Email }).meta({ id: "ShareDeck" });
export type ShareDeckBody = z.infer<typeof ShareDeckBody>;

export const CreateDoBody = z.strictObject({ text: DoText }).meta({ id: "CreateDo" });
export type CreateDoBody = z.infer<typeof CreateDoBody>;

export const UpdateDoBody = z
  .strictObject({ text: DoText.optional(), completed: z.boolean().optional() })
  .meta({ id: "UpdateDo", description: "At least one of text and completed" });
export type UpdateDoBody = z.infer<typeof UpdateDoBody>;

export const ListDecksQuery = z.object({
  search: z
    .string()
    .max(limits.search.max)
    .optional()
    .meta({ description: "Case-insensitive prefix of the deck name" }),
  visibility: z.enum(["mine", "shared", "all"]).default("all"),
  limit: Limit,
  cursor: Cursor,
});
export type ListDecksQuery = z.infer<typeof ListDecksQuery>;

export const ListDosQuery = z.object({ limit: Limit, cursor: Cursor });
export type ListDosQuery = z.infer<typeof ListDosQuery>;

export const DeckParams = z.object({ deckId: z.string().meta({ description: "Deck id" }) });
export const DoParams = DeckParams.extend({
  doId: z.string().meta({ description: "Do id (time-ordered)" }),
});
export const CollaboratorParams = DeckParams.extend({
  email: z.string().meta({ description: "Collaborator email, case-insensitive" }),
});

const Timestamp = z.iso.datetime().meta({ description: "ISO-8601 UTC" });

export const DeckDetail = z
  .object({
    deckId: z.string(),
    name: z.string(),
    isOwner: z.boolean(),
    ownerSub: z.string(),
    collaborators: z.array(z.string()).meta({ description: "Sorted emails" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "DeckDetail" });

export const DeckSummary = z
  .object({
    deckId: z.string(),
    name: z.string(),
    isOwner: z.boolean(),
    collaborators: z.number().int().meta({ description: "Number of collaborators" }),
  })
  .meta({ id: "DeckSummary" });

export const Do = z
  .object({
    doId: z.string(),
    deckId: z.string(),
    text: z.string(),
    completed: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Do" });

export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

export const DeckSummaryPage = pageOf(DeckSummary, "DeckSummaryPage");
export const DoPage = pageOf(Do, "DoPage");

export const Health = z
  .object({ ok: z.literal(true), version: z.string(), environment: z.string() })
  .meta({ id: "Health" });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(problemCatalogue) as [keyof typeof problemCatalogue]),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });
