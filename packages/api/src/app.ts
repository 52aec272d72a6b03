import type { ChangeService, DeckService, DoService } from "@dodeck/core";
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { HonoOptions } from "hono/hono-base";
import { HTTPException } from "hono/http-exception";
import { isReportedOutage, type TokenVerifier } from "./auth.ts";
import type { Config } from "./config.ts";
import { type DocsAssets, mountDocs } from "./docs.ts";
import { transportLimits } from "./limits.ts";
import type { Logger } from "./logger.ts";
import { type AppEnv, authenticate, limitBody, requestContext } from "./middleware.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { AppError, problemResponse } from "./problem.ts";
import { mountDeckRoutes } from "./routes/decks.ts";
import { apiRoutes } from "./routes/index.ts";
import { mountMetaRoutes } from "./routes/meta.ts";

export type AppDeps = {
  config: Pick<Config, "environment" | "version" | "corsOrigins">;
  decks: DeckService;
  dos: DoService;
  changes: ChangeService;
  verifyToken: TokenVerifier;
  /** Readiness: whether the table answers (adapters may add "not draining"). */
  ready: () => Promise<boolean>;
  log: Logger;
  /** Swagger UI's files, when this runtime serves them itself (see docs.ts). */
  docsAssets?: DocsAssets | undefined;
};

export type AppOptions = {
  /**
   * Hono's router. The default (SmartRouter, settling on RegExpRouter) compiles every route
   * into one regular expression on the first request: the fastest matching for a server that
   * answers thousands, ~3 ms of a Lambda cold start (docs/performance.md). A Lambda instance
   * answers one request at a time, where LinearRouter's setup-free matching costs less.
   */
  router?: HonoOptions<AppEnv>["router"];
};

/** The whole HTTP API as one portable Hono app; adapters only convert events to Requests. */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  // Stryker disable next-line ObjectLiteral: the router changes set-up cost, never an answer.
  const app = new Hono<AppEnv>(options.router ? { router: options.router } : {});

  app.use(requestContext(deps.log));
  if (deps.config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: deps.config.corsOrigins,
        allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allowHeaders: [
          "authorization",
          "content-type",
          "if-match",
          "if-none-match",
          "idempotency-key",
        ],
        exposeHeaders: ["x-request-id", "retry-after", "allow", "etag", "idempotent-replayed"],
        maxAge: 600,
      }),
    );
  }

  let document: string | undefined;
  mountMetaRoutes(app, {
    environment: deps.config.environment,
    version: deps.config.version,
    ready: deps.ready,
    // Built on first use, not at cold start: most requests never ask for it.
    document: () => {
      document ??= JSON.stringify(buildOpenApiDocument(apiRoutes, deps.config));
      return document;
    },
  });
  // Interactive docs everywhere but prod, where the API surface is not advertised.
  if (deps.config.environment !== "prod") mountDocs(app, deps.docsAssets);

  // Authenticate before reading any body: strangers learn nothing from validation errors.
  app.use("/v1/*", authenticate(deps.verifyToken));
  app.use(
    "/v1/*",
    limitBody(transportLimits.bodyBytes, () => {
      throw new AppError(
        "payload_too_large",
        `Request bodies are limited to ${transportLimits.bodyBytes} bytes.`,
      );
    }),
  );
  mountDeckRoutes(app, deps.decks, deps.dos, deps.changes);

  const allowedMethods = methodsByPath(app.routes);
  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    if (allow.length > 0) {
      return problemResponse(
        new AppError(
          "method_not_allowed",
          `${c.req.method} is not allowed here; use ${allow.join(", ")}.`,
        ),
        { allow: allow.join(", ") },
      );
    }
    return problemResponse(new AppError("not_found", `No route matches ${c.req.path}.`));
  });

  app.onError((error, c) => {
    const bug = () => {
      deps.log("error", "unhandled error", { requestId: c.var.requestId, error: describe(error) });
      return problemResponse(new AppError("internal_error", "Something went wrong on our side."));
    };
    if (error instanceof AppError) {
      // Our own internal_error is a broken invariant: a bug like any other, and the alarms'
      // runbook looks for error lines.
      if (error.code === "internal_error") return bug();
      // A 503 is an expected state of a dependency (DynamoDB throttled or down, the issuer's
      // JWKS unreachable): one line naming the cause, no stack, which would only repeat the
      // same frames for every request of an outage. Key-set outages are logged by the key
      // set itself, once per change of state, so they add nothing here.
      if (error.code === "service_unavailable" && !isReportedOutage(error.cause)) {
        deps.log("warn", error.message, {
          requestId: c.var.requestId,
          code: error.code,
          cause: summarize(error.cause),
        });
      }
      return problemResponse(error);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(fromHttpStatus(error.status));
    }
    if (clientWentAway(error, c.req.raw)) {
      // Not our fault and no one to answer: logged for the record, never at error level.
      deps.log("info", "client went away mid-request", {
        requestId: c.var.requestId,
        cause: summarize(error),
      });
      return problemResponse(
        new AppError("invalid_json", "The request body was not received in full."),
      );
    }
    return bug();
  });

  return app;
}

/** Which methods a path accepts, from the app's own route table (for 405 and `Allow`). */
function methodsByPath(routes: { method: string; path: string }[]) {
  const patterns = routes
    .filter((route) => route.method !== "ALL")
    .map((route) => ({
      method: route.method,
      regex: new RegExp(`^${route.path.replace(/:[^/]+/g, "[^/]+")}/?$`),
    }));
  return (path: string): string[] => {
    const methods = new Set(patterns.filter((p) => p.regex.test(path)).map((p) => p.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods];
  };
}

function fromHttpStatus(status: number): AppError {
  switch (status) {
    case 400:
      return new AppError("invalid_json", "The request could not be parsed.");
    case 401:
      return new AppError("unauthorized");
    case 404:
      return new AppError("not_found");
    case 413:
      return new AppError("payload_too_large");
    case 415:
      return new AppError("unsupported_media_type");
    default:
      return new AppError("validation_failed", "The request is not acceptable.");
  }
}

/**
 * The client closed the connection before its body arrived in full: Node fails the body
 * stream with "aborted" (code ECONNRESET), and runtimes that support it abort the request's
 * signal. Errors from our own outbound calls never arrive here raw: the store and the key
 * set map theirs to AppErrors.
 */
function clientWentAway(error: unknown, request: Request): boolean {
  if (request.signal.aborted) return true;
  return error instanceof Error && (error as { code?: unknown }).code === "ECONNRESET";
}

/** Name and message only: what an operator needs to tell one outage cause from another. */
function summarize(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * For bugs, name, message and the stack's frames: each is rare and needs them. The stack's own
 * first line is left out: it repeats the message, under the name the error had when it was
 * made, not one assigned since.
 */
function describe(error: Error): string {
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [`${error.name}: ${error.message}`, ...frames].join("\n");
}
