import type { Caller } from "@dodeck/core";
import { AppError } from "@dodeck/core";
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { TokenVerifier } from "./auth.ts";
import type { Logger } from "./logger.ts";

export type AppEnv = { Variables: { caller: Caller; requestId: string } };

/**
 * Our own request id, never the client's `X-Request-Id`: logs must not trust an id a client
 * chose. The id goes back in the response header and into every log line of the request.
 */
export function requestContext(log: Logger): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = crypto.randomUUID();
    const started = performance.now();
    c.set("requestId", requestId);
    await next();
    // Set on the finished response's headers, not with c.header(): after next() that rebuilds
    // the response around a stream body, which cost more than the JWT check (see bench/).
    c.res.headers.set("x-request-id", requestId);
    log("info", "request", {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}

export function authenticate(verify: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    c.set("caller", await verify(c.req.header("authorization")));
    await next();
  };
}

/**
 * Hono's bodyLimit, without its cost on every request: it asks for `c.req.raw.body`, which
 * makes @hono/node-server build a full web Request (and an AbortController) for each request,
 * and sends a JSON body through a web stream instead of its fast path (0.1–0.3 ms of CPU per
 * request in `npm run bench`). The same decisions: no body is read on GET and HEAD; a
 * Content-Length without Transfer-Encoding is trusted (Node's parser and the Lambda adapter
 * hold a body to it); anything else, chunked bodies, goes through bodyLimit's counting reader.
 */
export function limitBody(maxBytes: number, onError: () => never): MiddlewareHandler<AppEnv> {
  const counting = bodyLimit({ maxSize: maxBytes, onError });
  return async function limitBody(c, next) {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    // Stryker disable next-line BlockStatement: without the fast path the counting reader decides the same.
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number.parseInt(length, 10) > maxBytes) onError();
      return next();
    }
    return counting(c, next);
  };
}

/**
 * JSON routes accept only JSON. Without this a PATCH sent as text/plain, or with no body,
 * validates as `{}` and "succeeds" with nothing written. Malformed JSON is 400 invalid_json;
 * the parsed body is cached by Hono for the validator that follows.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async function jsonBody(c, next) {
    // Stryker disable next-line StringLiteral: any string that is no JSON media type is refused alike.
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
      throw new AppError("unsupported_media_type", "Send the body as application/json.");
    }
    // JSON is UTF-8 (RFC 8259 §8.1) and the body is decoded as such: a body declared in
    // another charset would be stored mis-decoded ("Café" in Latin-1 becomes "Caf\uFFFD").
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(type)?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new AppError("unsupported_media_type", "Send JSON bodies in UTF-8.");
    }
    try {
      await c.req.json();
    } catch {
      throw new AppError("invalid_json", "The request body is not valid JSON.");
    }
    await next();
  };
}

/**
 * @hono/zod-validator with failures rendered as our 422 problem, not its default body. An
 * unknown field is reported at its own path (`ownerSub`), not at the object's (`json`).
 * The schema is built, and the validator with it, on the route's first request.
 */
export function validate<Target extends keyof ValidationTargets>(
  target: Target,
  schema: () => z.ZodType,
): MiddlewareHandler {
  // Built with the schema, and again only if the schema is (see once.ts's forgetBuiltValues).
  let built: { schema: z.ZodType; validator: MiddlewareHandler } | undefined;
  return (c, next) => {
    const current = schema();
    // Stryker disable next-line ConditionalExpression: building the validator anew each time only costs time.
    if (built?.schema !== current) {
      const validator = zValidator(target, current, (result) => {
        if (!result.success) {
          throw new AppError("validation_failed", "The request does not match the schema.", {
            errors: fieldErrors(result.error.issues, target),
          });
        }
      }) as unknown as MiddlewareHandler;
      built = { schema: current, validator };
    }
    return built.validator(c, next);
  };
}

/** zod's issues as the problem's field errors: an unknown field at its own path, one each. */
function fieldErrors(issues: z.core.$ZodIssue[], target: string) {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...at, key].join("."), message: "Unknown field" }));
    }
    return [{ path: at.length > 0 ? at.join(".") : target, message: issue.message }];
  });
}
