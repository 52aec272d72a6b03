import * as z from "zod";
import { transportLimits } from "./limits.ts";
import { type ProblemCode, problemCatalogue } from "./problem.ts";
import type { NamedRoute, RouteDefinition, Schema } from "./route.ts";
import { Problem } from "./schemas.ts";

/**
 * The OpenAPI 3.1 document, derived from the route definitions (the same objects the app
 * mounts) and the zod schemas that validate requests. Besides each route's own problem codes,
 * it declares what the app adds around every route: 401 and 503 (key set or table down) on
 * /v1, the body problems on JSON routes, 422 on query validation, 500 everywhere, and the
 * headers the server sets (X-Request-Id always, Retry-After on 503).
 */

type JsonSchema = Record<string, unknown>;
const SCHEMAS = "#/components/schemas/";
const target = "draft-2020-12" as const;

const ref = (name: string) => ({ $ref: `${SCHEMAS}${name}` });
// Every problem response points at the one Problem component (built with the document).
const problemId = () => z.globalRegistry.get(Problem())?.id ?? "Problem";

/** zod → JSON Schema for an inline (unnamed) schema; `$schema` belongs to documents only. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const {
    $schema: _,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, {
    io,
    target,
    unrepresentable: "any",
  }) as JsonSchema;
  if ($defs !== undefined) throw new Error("a named schema inside an inline one: use its $ref");
  return rest;
}

/**
 * Named schemas as components. Request bodies are described as the server accepts them
 * (io "input"), responses as it sends them. zod would give each an `$id` made from the `uri`
 * callback: a fragment `$id` is invalid JSON Schema 2020-12 (and made tools skip every $ref),
 * so components carry none; their location is their identity.
 */
function components(routes: RouteDefinition[]): Record<string, JsonSchema> {
  // Schemas are built on first use: build every route's (and so register every named one).
  for (const route of routes) {
    for (const schema of [route.params, route.query, route.requestHeaders, route.body]) schema?.();
    if ("schema" in route.success) route.success.schema();
  }
  Problem();
  const inputs = new Set(routes.flatMap((route) => (route.body ? [idOf(route.body())] : [])));
  const all: Record<string, JsonSchema> = {};
  for (const io of ["output", "input"] as const) {
    const { schemas } = z.toJSONSchema(z.globalRegistry, {
      io,
      target,
      unrepresentable: "any",
      uri: (id) => `${SCHEMAS}${id}`,
    }) as { schemas: Record<string, JsonSchema> };
    for (const [name, schema] of Object.entries(schemas)) {
      if ((io === "input") !== inputs.has(name)) continue;
      const { $id: _id, $schema: _schema, ...rest } = schema;
      all[name] = rest;
    }
  }
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
}

function idOf(schema: z.ZodType): string | undefined {
  return z.globalRegistry.get(schema)?.id;
}

const schemaRef = (schema: Schema, io: "input" | "output") => {
  const built = schema();
  const id = idOf(built);
  return id ? ref(id) : jsonSchema(built, io);
};

/** The problem codes a route can answer: its own, and those of what wraps it. */
export function problemCodesOf(route: RouteDefinition): ProblemCode[] {
  const codes = new Set<ProblemCode>();
  if (route.auth) {
    codes.add("unauthorized");
    // The token's key set or the table may be unreachable on any authenticated route.
    codes.add("service_unavailable");
    // Bodies are size-checked before routing; only GET requests cannot carry one.
    if (route.method !== "get") codes.add("payload_too_large");
  }
  if (route.body) {
    for (const code of ["unsupported_media_type", "invalid_json", "validation_failed"] as const)
      codes.add(code);
  }
  if (route.query) codes.add("validation_failed");
  for (const code of route.problems ?? []) codes.add(code);
  codes.add("internal_error");
  return [...codes];
}

const headerRefs = {
  requestId: { $ref: "#/components/headers/RequestId" },
  retryAfter: { $ref: "#/components/headers/RetryAfter" },
  allow: { $ref: "#/components/headers/Allow" },
};

function problemResponses(codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = problemCatalogue[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: list.map((code) => `${problemCatalogue[code].title} (\`${code}\`)`).join("; "),
      headers: {
        "X-Request-Id": headerRefs.requestId,
        ...(status === 503 ? { "Retry-After": headerRefs.retryAfter } : {}),
      },
      content: {
        "application/problem+json": {
          // The route's codes for this status, so a typed client knows exactly which to expect.
          schema: {
            allOf: [ref(problemId())],
            properties: { code: { enum: list } },
            required: ["code"],
          },
        },
      },
    };
  }
  return responses;
}

function parameters(route: RouteDefinition) {
  const list: unknown[] = [];
  for (const [where, object] of [
    ["path", route.params],
    ["query", route.query],
    ["header", route.requestHeaders],
  ] as const) {
    if (!object) continue;
    const built = object();
    const required = new Set((jsonSchema(built, "input").required as string[] | undefined) ?? []);
    for (const [name, field] of Object.entries(built.shape)) {
      const schema = jsonSchema(field as z.ZodType, "input");
      const { description, ...rest } = schema;
      list.push({
        name: where === "header" ? headerName(name) : name,
        in: where,
        required: where === "path" || required.has(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return list;
}

/** `if-none-match` → `If-None-Match`: header names as the RFCs spell them (they are case-insensitive). */
const headerName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());

function operation(route: NamedRoute) {
  const { success } = route;
  const successHeaders = {
    "X-Request-Id": headerRefs.requestId,
    ...Object.fromEntries(
      Object.entries(route.headers ?? {}).map(([name, header]) => [
        name,
        typeof header === "string"
          ? { description: header, schema: { type: "string" } }
          : { ...header, schema: { type: "string" } },
      ]),
    ),
  };
  const params = parameters(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description ?? route.summary,
    tags: [route.tag],
    security: route.auth ? [{ bearer: [] }] : [],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaRef(route.body, "input") } },
          },
        }
      : {}),
    responses: {
      [success.status]: {
        description: success.description,
        headers: successHeaders,
        ...("schema" in success
          ? { content: { "application/json": { schema: schemaRef(success.schema, "output") } } }
          : {}),
      },
      ...(route.notModified
        ? {
            304: {
              description: "Not modified: If-None-Match matches the current ETag (no body)",
              headers: {
                "X-Request-Id": headerRefs.requestId,
                ETag: { $ref: "#/components/headers/ETag" },
              },
            },
          }
        : {}),
      ...problemResponses(problemCodesOf(route)),
    },
  };
}

const description = `Shared to-do lists: decks of dos, shared with collaborators by email.
Errors are RFC 9457 problem details with a stable \`code\`. Any path may also answer
\`NotFound\` and a known path \`MethodNotAllowed\` (see components.responses). Request bodies
are limited to ${transportLimits.bodyBytes} bytes.`;

export function buildOpenApiDocument(routes: NamedRoute[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  const problem = (code: ProblemCode, headers: Record<string, unknown>) => ({
    description: `${problemCatalogue[code].title} (\`${code}\`)`,
    headers: { "X-Request-Id": headerRefs.requestId, ...headers },
    content: {
      "application/problem+json": {
        schema: { allOf: [ref(problemId())], properties: { code: { const: code } } },
      },
    },
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "DoDeck API",
      version: info.version,
      description,
      license: { name: "MIT", identifier: "MIT" },
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: "/", description: "The host that serves this document" }],
    tags: [
      { name: "health", description: "Liveness, readiness and this document" },
      { name: "decks", description: "Decks a caller owns or that are shared with them" },
      { name: "collaborators", description: "Sharing a deck by email (owner only)" },
      { name: "dos", description: "The dos (to-do items) of a deck" },
      {
        name: "changes",
        description: "A deck's change feed: a full sync, then only what changed (incremental sync)",
      },
    ],
    paths,
    components: {
      schemas: components(routes),
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An RS256 access token from the configured Auth0 issuer and audience",
        },
      },
      headers: {
        RequestId: {
          description: "The server's id for this request, as in its logs (never the client's)",
          schema: { type: "string", format: "uuid" },
        },
        RetryAfter: {
          description: "Seconds to wait before retrying",
          required: true,
          schema: { type: "integer", minimum: 0 },
        },
        ETag: {
          description:
            "A strong entity tag of the representation; changes whenever the resource does. Send it back in If-Match (writes) or If-None-Match (reads).",
          required: true,
          schema: { type: "string" },
          example: '"3"',
        },
        Allow: {
          description: "The methods this path accepts",
          required: true,
          schema: { type: "string" },
          example: "GET, PATCH, DELETE, HEAD",
        },
      },
      responses: {
        NotFound: problem("not_found", {}),
        MethodNotAllowed: problem("method_not_allowed", { Allow: headerRefs.allow }),
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
