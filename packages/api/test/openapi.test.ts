import {
  apiRoutes,
  buildOpenApiDocument,
  createApp,
  createDeps,
  parseConfig,
  problemCatalogue,
} from "@dodeck/api";
import { createLocalJWKSet } from "jose";
import { describe, expect, it } from "vitest";

// No table is touched: building the app and its document reads nothing.
function appFor(ENVIRONMENT: string) {
  const config = parseConfig({
    AUTH0_ISSUER: "https://tenant.example.com/",
    AUTH0_AUDIENCE: "https://api.example.com",
    ENVIRONMENT,
  });
  return createApp(createDeps(config, { keys: createLocalJWKSet({ keys: [] }), log: () => {} }));
}

async function fetchDocument(app: ReturnType<typeof appFor>) {
  const response = await app.request("/openapi.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  // biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
  return (await response.json()) as any;
}

const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];

describe("GET /openapi.json", () => {
  it("serves an OpenAPI 3.1 document with the app's version", async () => {
    const doc = await fetchDocument(appFor("local"));
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: "DoDeck API", version: expect.any(String) });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("lists exactly the app's routes, /docs aside (an HTML page and its assets, absent in prod)", async () => {
    for (const environment of ["local", "prod"]) {
      const app = appFor(environment);
      const doc = await fetchDocument(app);
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
        .flatMap(([path, ops]) =>
          Object.keys(ops)
            .filter((method) => HTTP_METHODS.includes(method))
            .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
        )
        .sort();
      const routed = [
        ...new Set(
          app.routes
            .filter((route) => route.method !== "ALL" && !route.path.startsWith("/docs"))
            .map((route) => `${route.method} ${route.path}`),
        ),
      ].sort();
      expect(documented, environment).toEqual(routed);
      expect(routed).toHaveLength(17);
    }
  });

  it("marks every /v1 operation as needing a bearer token with a 401 and a 503, and health routes as open", async () => {
    const doc = await fetchDocument(appFor("local"));
    type Op = { security: unknown; responses: Record<string, unknown> };
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const op of Object.values(ops)) {
        if (path.startsWith("/v1/")) {
          expect(op.security, path).toEqual([{ bearer: [] }]);
          expect(op.responses["401"], path).toBeDefined();
          expect(op.responses["503"], path).toBeDefined();
        } else {
          expect(op.security, path).toEqual([]);
        }
      }
    }
  });

  it("documents each operation's success status and body schema, and path parameters", async () => {
    const doc = await fetchDocument(appFor("local"));
    const op = (method: string, path: string) => doc.paths[path][method];
    expect(Object.keys(op("post", "/v1/decks").responses)).toContain("201");
    expect(op("post", "/v1/decks").requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreateDeck",
    });
    expect(Object.keys(op("delete", "/v1/decks/{deckId}").responses)).toContain("204");
    expect(
      op("delete", "/v1/decks/{deckId}/collaborators/{email}").parameters.map(
        (p: { name: string; in: string }) => `${p.in}:${p.name}`,
      ),
    ).toEqual(["path:deckId", "path:email", "header:If-Match"]);
    expect(
      op("get", "/v1/decks")
        .parameters.map((p: { name: string }) => p.name)
        .sort(),
    ).toEqual(["cursor", "limit", "search", "visibility"]);
    const patchDo = op("patch", "/v1/decks/{deckId}/dos/{doId}").responses;
    expect(patchDo["400"].description).toMatch(/no_updates_provided/);
    expect(patchDo["404"].description).toMatch(/do_not_found/);
    expect(patchDo["404"].description).toMatch(/deck_not_found/);
  });

  it("describes request bodies as strict, as the validators enforce", async () => {
    const doc = await fetchDocument(appFor("local"));
    for (const id of ["CreateDeck", "RenameDeck", "ShareDeck", "CreateDo", "UpdateDo"]) {
      expect(doc.components.schemas[id]?.additionalProperties, id).toBe(false);
    }
    // The server trims, then counts: the document says so with a pattern, not min/maxLength.
    const name = doc.components.schemas.CreateDeck.properties.name;
    expect(name).toMatchObject({ type: "string", pattern: expect.any(String) });
    expect(name.maxLength).toBeUndefined();
    const pattern = new RegExp(name.pattern, "u");
    expect(pattern.test(` ${"x".repeat(120)} `)).toBe(true);
    expect(pattern.test("x".repeat(121))).toBe(false);
    expect(pattern.test("   ")).toBe(false);
    expect(pattern.test("")).toBe(false);
  });

  it("resolves every $ref and lists every problem code in the Problem schema", async () => {
    const doc = await fetchDocument(appFor("local"));
    const refs: string[] = [];
    JSON.stringify(doc, (key, value) => {
      if (key === "$ref") refs.push(value);
      return value;
    });
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      expect(ref, ref).toMatch(/^#\//);
      const target = ref
        .slice(2)
        .split("/")
        .reduce(
          (node: unknown, part) => (node as Record<string, unknown> | undefined)?.[part],
          doc,
        );
      expect(target, ref).toBeDefined();
    }
    expect([...doc.components.schemas.Problem.properties.code.enum].sort()).toEqual(
      Object.keys(problemCatalogue).sort(),
    );
  });

  it("is the same document the module builds, and names each operation once", () => {
    const doc = buildOpenApiDocument(apiRoutes, { version: "0.0.0" });
    const ids = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).map((op) => (op as { operationId: string }).operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(apiRoutes.length);
  });

  it("gives components no $id (a fragment $id is invalid JSON Schema 2020-12)", async () => {
    const doc = await fetchDocument(appFor("local"));
    expect(JSON.stringify(doc)).not.toMatch(/"\$id"/);
  });

  it("declares If-Match, If-None-Match, Idempotency-Key, ETag, 304 and 412 on exactly the routes that serve them", async () => {
    const doc = await fetchDocument(appFor("local"));
    const found: Record<string, string[]> = {};
    for (const [path, ops] of Object.entries(
      doc.paths as Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; in: string }[];
            responses: Record<string, { headers?: Record<string, unknown> }>;
          }
        >
      >,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        const marks = [
          ...(op.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name),
          ...Object.entries(op.responses)
            .filter(([status, response]) => status < "300" && response.headers?.ETag)
            .map(() => "ETag"),
          ...["304", "412"].filter((status) => op.responses[status]),
        ];
        if (marks.length > 0) found[`${method.toUpperCase()} ${path}`] = marks;
      }
    }
    expect(found).toEqual({
      "POST /v1/decks": ["Idempotency-Key", "ETag"],
      "GET /v1/decks/{deckId}": ["If-None-Match", "ETag", "304"],
      "PATCH /v1/decks/{deckId}": ["If-Match", "ETag", "412"],
      "DELETE /v1/decks/{deckId}": ["If-Match", "412"],
      "POST /v1/decks/{deckId}/collaborators": ["If-Match", "Idempotency-Key", "ETag", "412"],
      "DELETE /v1/decks/{deckId}/collaborators/{email}": ["If-Match", "412"],
      "POST /v1/decks/{deckId}/dos": ["Idempotency-Key", "ETag"],
      "GET /v1/decks/{deckId}/dos/{doId}": ["If-None-Match", "ETag", "304"],
      "PATCH /v1/decks/{deckId}/dos/{doId}": ["If-Match", "ETag", "412"],
      "POST /v1/decks/{deckId}/dos/{doId}/move": ["If-Match", "ETag", "412"],
      "DELETE /v1/decks/{deckId}/dos/{doId}": ["If-Match", "412"],
    });
  });

  it("declares 500 on every operation, Retry-After on every 503 and X-Request-Id on every response", async () => {
    const doc = await fetchDocument(appFor("local"));
    type Response = { headers?: Record<string, unknown>; content?: unknown };
    for (const [path, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { responses: Record<string, Response> }>>,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect(op.responses["500"], where).toBeDefined();
        for (const [status, response] of Object.entries(op.responses)) {
          expect(response.headers?.["X-Request-Id"], `${where} ${status}`).toBeDefined();
          if (status === "503") expect(response.headers?.["Retry-After"], where).toBeDefined();
          // 204 and 304 carry no body.
          if (status !== "204" && status !== "304")
            expect(response.content, `${where} ${status}`).toBeDefined();
        }
      }
    }
    expect(doc.servers).toHaveLength(1);
    expect(doc.components.responses.MethodNotAllowed.headers.Allow).toBeDefined();
  });

  it("types each problem response's code with exactly the codes of that status", async () => {
    const doc = await fetchDocument(appFor("local"));
    const responses = doc.paths["/v1/decks/{deckId}/dos/{doId}"].patch.responses;
    const codes = (status: string) =>
      responses[status].content["application/problem+json"].schema.properties.code.enum;
    expect(codes("404").sort()).toEqual(["deck_not_found", "do_not_found"]);
    expect(codes("400").sort()).toEqual(["invalid_json", "no_updates_provided"]);
    for (const [status, list] of Object.entries(responses) as [string, unknown][]) {
      if (Number(status) < 400) continue;
      const { content } = list as {
        content: Record<string, { schema: { properties: { code: { enum: string[] } } } }>;
      };
      for (const code of content["application/problem+json"]!.schema.properties.code.enum) {
        expect(String(problemCatalogue[code as keyof typeof problemCatalogue].status)).toBe(status);
      }
    }
  });
});
