import { type ProblemCode, problemCatalogue } from "@dodeck/core";
import * as z from "zod";
import * as schemas from "./schemas.ts";

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the validators use. The list
 * below names each operation's schemas and errors; a test checks it against the app's routes.
 */
type Operation = {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  tag: "health" | "decks" | "collaborators" | "dos";
  auth: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  success: { status: number; description: string; schema?: z.ZodType };
  errors?: ProblemCode[];
};

const readErrors: ProblemCode[] = ["email_not_verified", "deck_not_found"];
const bodyErrors: ProblemCode[] = [
  "invalid_json",
  "validation_failed",
  "payload_too_large",
  "unsupported_media_type",
];

export const operations: Operation[] = [
  {
    method: "get",
    path: "/healthz",
    summary: "Liveness, version and environment",
    tag: "health",
    auth: false,
    success: { status: 200, description: "Alive", schema: schemas.Health },
  },
  {
    method: "get",
    path: "/readyz",
    summary: "Readiness: 200 when the table answers",
    tag: "health",
    auth: false,
    success: { status: 200, description: "Ready" },
    errors: ["service_unavailable"],
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tag: "health",
    auth: false,
    success: { status: 200, description: "OpenAPI 3.1 document" },
  },
  {
    method: "post",
    path: "/v1/decks",
    summary: "Create a deck",
    tag: "decks",
    auth: true,
    body: schemas.CreateDeckBody,
    success: { status: 201, description: "Created", schema: schemas.DeckDetail },
    errors: bodyErrors,
  },
  {
    method: "get",
    path: "/v1/decks",
    summary: "List decks: owned first, then shared, each by name (case-insensitive)",
    tag: "decks",
    auth: true,
    query: schemas.ListDecksQuery,
    success: {
      status: 200,
      description: "A page of deck summaries",
      schema: schemas.DeckSummaryPage,
    },
    errors: ["email_required", "email_not_verified", "validation_failed"],
  },
  {
    method: "get",
    path: "/v1/decks/{deckId}",
    summary: "Read a deck",
    tag: "decks",
    auth: true,
    params: schemas.DeckParams,
    success: { status: 200, description: "The deck", schema: schemas.DeckDetail },
    errors: readErrors,
  },
  {
    method: "patch",
    path: "/v1/decks/{deckId}",
    summary: "Rename a deck (owner only)",
    tag: "decks",
    auth: true,
    params: schemas.DeckParams,
    body: schemas.RenameDeckBody,
    success: { status: 200, description: "The renamed deck", schema: schemas.DeckDetail },
    errors: [...readErrors, "owner_only", ...bodyErrors],
  },
  {
    method: "delete",
    path: "/v1/decks/{deckId}",
    summary: "Delete a deck with its dos and every access row (owner only)",
    tag: "decks",
    auth: true,
    params: schemas.DeckParams,
    success: { status: 204, description: "Deleted" },
    errors: [...readErrors, "owner_only"],
  },
  {
    method: "post",
    path: "/v1/decks/{deckId}/collaborators",
    summary: "Share a deck with an email address (owner only)",
    tag: "collaborators",
    auth: true,
    params: schemas.DeckParams,
    body: schemas.ShareDeckBody,
    success: { status: 201, description: "The shared deck", schema: schemas.DeckDetail },
    errors: [
      ...readErrors,
      "owner_only",
      "cannot_add_self",
      "collaborator_exists",
      "collaborator_limit",
      ...bodyErrors,
    ],
  },
  {
    method: "delete",
    path: "/v1/decks/{deckId}/collaborators/{email}",
    summary: "Stop sharing a deck with an email address (owner only)",
    tag: "collaborators",
    auth: true,
    params: schemas.CollaboratorParams,
    success: { status: 204, description: "Removed" },
    errors: [...readErrors, "owner_only", "collaborator_not_found"],
  },
  {
    method: "get",
    path: "/v1/decks/{deckId}/dos",
    summary: "List a deck's dos in creation order",
    tag: "dos",
    auth: true,
    params: schemas.DeckParams,
    query: schemas.ListDosQuery,
    success: { status: 200, description: "A page of dos", schema: schemas.DoPage },
    errors: [...readErrors, "validation_failed"],
  },
  {
    method: "post",
    path: "/v1/decks/{deckId}/dos",
    summary: "Add a do",
    tag: "dos",
    auth: true,
    params: schemas.DeckParams,
    body: schemas.CreateDoBody,
    success: { status: 201, description: "The new do", schema: schemas.Do },
    errors: [...readErrors, ...bodyErrors],
  },
  {
    method: "patch",
    path: "/v1/decks/{deckId}/dos/{doId}",
    summary: "Change a do's text or completion",
    tag: "dos",
    auth: true,
    params: schemas.DoParams,
    body: schemas.UpdateDoBody,
    success: { status: 200, description: "The updated do", schema: schemas.Do },
    errors: [...readErrors, "do_not_found", "no_updates_provided", ...bodyErrors],
  },
  {
    method: "delete",
    path: "/v1/decks/{deckId}/dos/{doId}",
    summary: "Delete a do",
    tag: "dos",
    auth: true,
    params: schemas.DoParams,
    success: { status: 204, description: "Deleted" },
    errors: [...readErrors, "do_not_found"],
  },
];

const ref = (schema: z.ZodType) => {
  const id = z.globalRegistry.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : inline(schema);
};
const inline = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });

const problemResponse = (code: ProblemCode) => ({
  description: `${problemCatalogue[code].title} (\`${code}\`)`,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

export function buildOpenApiDocument(info: { version: string }) {
  const { schemas: components } = z.toJSONSchema(z.globalRegistry, {
    target: "draft-2020-12",
    io: "output",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters = [
      ...Object.entries(op.params?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: "path",
        required: true,
        schema: inline(schema as z.ZodType),
      })),
      ...Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: "query",
        required: false,
        schema: inline(schema as z.ZodType),
      })),
    ];
    const responses: Record<string, unknown> = {
      [op.success.status]: {
        description: op.success.description,
        ...(op.success.schema
          ? { content: { "application/json": { schema: ref(op.success.schema) } } }
          : {}),
      },
    };
    const codes: ProblemCode[] = [
      ...(op.auth ? (["unauthorized"] as const) : []),
      ...(op.errors ?? []),
    ];
    for (const code of codes) {
      const status = String(problemCatalogue[code].status);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = existing
        ? {
            ...existing,
            description: `${existing.description}; ${problemResponse(code).description}`,
          }
        : problemResponse(code);
    }
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        summary: op.summary,
        tags: [op.tag],
        operationId: `${op.method}${op.path
          .replace(/[{}]/g, "")
          .replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())
          .replace(/[^A-Za-z0-9]/g, "")}`,
        ...(op.auth ? { security: [{ bearer: [] }] } : { security: [] }),
        ...(parameters.length ? { parameters } : {}),
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: { "application/json": { schema: ref(op.body) } },
              },
            }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "DoDeck API",
      version: info.version,
      description: "Shared to-do lists: decks of dos, shared with collaborators by email.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
    paths,
  };
}
