import { AppError } from "@dodeck/core";
import type { Hono } from "hono";
import type { Environment } from "../config.ts";
import { transportLimits } from "../limits.ts";
import type { AppEnv } from "../middleware.ts";
import { defineRoute, mount } from "../route.ts";
import { Health, OpenApiDocument, Ready } from "../schemas.ts";

export type MetaOptions = {
  environment: Environment;
  version: string;
  ready: () => Promise<boolean>;
  /** The served document, built on first use (most requests never ask for it). */
  document: () => string;
};

const noStore = { "Cache-Control": "Always `no-store`: the answer is about this instant" };

export const metaRoutes = {
  getHealth: defineRoute({
    method: "get",
    path: "/healthz",
    summary: "Liveness, version and environment (no I/O)",
    tag: "health",
    auth: false,
    success: { status: 200, description: "Alive", schema: Health },
    headers: noStore,
  }),
  getReadiness: defineRoute({
    method: "get",
    path: "/readyz",
    summary: "Readiness: 200 when the table answers (and the server is not draining)",
    tag: "health",
    auth: false,
    success: { status: 200, description: "Ready", schema: Ready },
    problems: ["service_unavailable"],
    headers: noStore,
  }),
  getOpenApiDocument: defineRoute({
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tag: "health",
    auth: false,
    success: {
      status: 200,
      description: "The OpenAPI 3.1 document",
      schema: OpenApiDocument,
      raw: true,
    },
  }),
};

export function mountMetaRoutes(app: Hono<AppEnv>, options: MetaOptions) {
  return mount(app, metaRoutes, {
    getHealth: (c) => {
      c.header("cache-control", "no-store");
      return c.json(
        { ok: true as const, version: options.version, environment: options.environment },
        200,
      );
    },
    getReadiness: async (c) => {
      c.header("cache-control", "no-store");
      if (await options.ready()) return c.json({ ok: true as const }, 200);
      throw new AppError("service_unavailable", "The table is not answering.", {
        retryAfter: transportLimits.readyRetryAfterSeconds,
      });
    },
    getOpenApiDocument: (c) =>
      c.body(options.document(), 200, { "content-type": "application/json" }),
  });
}
