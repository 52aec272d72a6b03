import { AppError } from "@dodeck/core";
import { Hono } from "hono";
import type { Environment } from "../config.ts";
import type { AppEnv } from "../middleware.ts";
import { buildOpenApiDocument } from "../openapi.ts";
import { problemResponse } from "../problem.ts";

export type MetaOptions = {
  environment: Environment;
  version: string;
  ready: () => Promise<boolean>;
};

export function metaRoutes(options: MetaOptions) {
  let document: string | undefined;
  const app = new Hono<AppEnv>()
    .get("/healthz", (c) => {
      c.header("cache-control", "no-store");
      return c.json({
        ok: true as const,
        version: options.version,
        environment: options.environment,
      });
    })
    .get("/readyz", async (c) => {
      c.header("cache-control", "no-store");
      if (await options.ready()) return c.json({ ok: true as const });
      return problemResponse(
        new AppError("service_unavailable", "The table is not answering.", { retryAfter: 5 }),
        { "cache-control": "no-store" },
      );
    })
    .get("/openapi.json", (c) => {
      // Built on first use, not at cold start: most requests never ask for it.
      document ??= JSON.stringify(buildOpenApiDocument({ version: options.version }));
      return c.body(document, 200, { "content-type": "application/json" });
    });
  // Interactive docs everywhere but prod, where the API surface is not advertised.
  if (options.environment !== "prod") app.get("/docs", (c) => c.html(docsPage));
  return app;
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DoDeck API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
  <script>window.onload = () => { window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" }); };</script>
</body>
</html>`;
