import type { Context, Hono, MiddlewareHandler, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import type * as z from "zod";
import { type AppEnv, jsonBody, validate } from "./middleware.ts";
import type { ProblemCode } from "./problem.ts";

export type Method = "get" | "post" | "patch" | "delete";

/**
 * A schema as route definitions hold it: built on first use (schemas.ts says why), so that
 * mounting a route builds nothing and a request builds only its own route's schemas.
 */
export type Schema<S extends z.ZodType = z.ZodType> = () => S;

type JsonSuccess = {
  status: 200 | 201;
  description: string;
  schema: Schema;
  /** The handler returns a prepared Response (e.g. a cached document), not c.json(). */
  raw?: true;
};
type EmptySuccess = { status: 204; description: string };

/**
 * One route, written once: everything the server does with a request before the handler
 * (validation of params, query and JSON body; 415/400/422 on failure) and everything the
 * OpenAPI document says about it derive from this object.
 */
export type RouteDefinition = {
  method: Method;
  /** OpenAPI form, `{name}` for parameters; mounted as Hono's `:name`. */
  path: string;
  summary: string;
  description?: string;
  tag: "health" | "decks" | "collaborators" | "dos" | "changes";
  /**
   * Needs a bearer token. /v1 routes do, and only they: the app authenticates `/v1/*` before
   * any body is read (mount() refuses a definition that says otherwise).
   */
  auth: boolean;
  params?: Schema<z.ZodObject>;
  query?: Schema<z.ZodObject>;
  /** A JSON request body (required); adds the JSON content-type gate and the body problems. */
  body?: Schema;
  success: JsonSuccess | EmptySuccess;
  /** Codes the handler's core call can answer; the ones every route, auth or body can answer are added by the document builder. */
  problems?: readonly ProblemCode[];
  /**
   * Request headers the route reads (lower-case names, as Hono validates them), validated
   * like params and documented as header parameters.
   */
  requestHeaders?: Schema<z.ZodObject>;
  /** Extra response headers on success, by name: their description, or one that is always sent. */
  headers?: Record<string, string | { description: string; required: true }>;
  /** The route answers 304 (no body) when If-None-Match matches the current ETag. */
  notModified?: true;
  middleware?: MiddlewareHandler<AppEnv>[];
};

export const defineRoute = <const R extends RouteDefinition>(route: R): R => route;

/** A definition with its name, which is its OpenAPI operationId (and the client's). */
export type NamedRoute = RouteDefinition & { operationId: string };

export const named = (routes: Record<string, RouteDefinition>): NamedRoute[] =>
  Object.entries(routes).map(([operationId, route]) => ({ ...route, operationId }));

type Out<S> = S extends Schema<infer T> ? z.output<T> : never;
type In<S> = S extends Schema<infer T> ? z.input<T> : never;

/** What `c.req.valid(...)` returns inside the route's handler. */
export type RouteInput<R extends RouteDefinition> = {
  in: {
    json: In<R["body"]>;
    query: In<R["query"]>;
    param: In<R["params"]>;
    header: In<R["requestHeaders"]>;
  };
  out: {
    json: Out<R["body"]>;
    query: Out<R["query"]>;
    param: Out<R["params"]>;
    header: Out<R["requestHeaders"]>;
  };
};

/**
 * The only responses a handler may return: its documented success, with the documented body
 * type and status. Errors are thrown (AppError) and rendered by the app's one onError.
 */
export type RouteReply<R extends RouteDefinition> =
  | (R["success"] extends JsonSuccess
      ? R["success"]["raw"] extends true
        ? Response
        : TypedResponse<JSONParsed<In<R["success"]["schema"]>>, R["success"]["status"], "json">
      : TypedResponse<null, 204, "body">)
  | (R["notModified"] extends true ? TypedResponse<null, 304, "body"> : never);

export type RouteHandler<R extends RouteDefinition> = (
  c: Context<AppEnv, string, RouteInput<R>>,
) => RouteReply<R> | Promise<RouteReply<R>>;

export type RouteHandlers<Routes extends Record<string, RouteDefinition>> = {
  [K in keyof Routes]: RouteHandler<Routes[K]>;
};

export const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

/** Mounts each definition with its handler: middleware, then validators, then the handler. */
export function mount<Routes extends Record<string, RouteDefinition>>(
  app: Hono<AppEnv>,
  routes: Routes,
  handlers: RouteHandlers<Routes>,
): Hono<AppEnv> {
  for (const [name, route] of Object.entries(routes)) {
    if (route.auth !== route.path.startsWith("/v1/")) {
      throw new Error(`${name}: auth must be true exactly for /v1 routes`);
    }
    // The validators' own Env type is Hono's default; they read nothing of ours.
    const chain = [...(route.middleware ?? [])] as MiddlewareHandler[];
    if (route.params) chain.push(validate("param", route.params));
    if (route.query) chain.push(validate("query", route.query));
    if (route.requestHeaders) chain.push(validate("header", route.requestHeaders));
    if (route.body) chain.push(jsonBody() as MiddlewareHandler, validate("json", route.body));
    chain.push(handlers[name as keyof Routes] as unknown as MiddlewareHandler);
    const on = app.on as (method: string, path: string, ...handlers: MiddlewareHandler[]) => void;
    // Hono upper-cases the method itself.
    on(route.method, honoPath(route.path), ...chain);
  }
  return app;
}
