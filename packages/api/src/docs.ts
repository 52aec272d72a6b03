import type { Hono } from "hono";
import type { AppEnv } from "./middleware.ts";
import { AppError } from "./problem.ts";

/**
 * `/docs`: Swagger UI over `/openapi.json`. The UI is the npm package `swagger-ui-dist` at the
 * version pinned here (packages/functions/package.json installs exactly it; a test keeps the
 * version and the hashes equal to the installed files).
 *
 * Where the assets come from is the runtime's choice, passed in as `DocsAssets`:
 *   - the Node server and `npm run dev` serve them from the package through the app, so the
 *     page works offline and under a `'self'`-only CSP;
 *   - the Lambda (and Workers) bundle does not carry them: 460 KB gzip of JavaScript would
 *     triple the 130 KB bundle, past its 250 KB budget, for a page only developers open. There
 *     the page loads the same pinned files from jsDelivr with Subresource Integrity.
 */
export const swaggerUi = {
  version: "5.35.0",
  files: {
    "swagger-ui.css": {
      integrity: "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
    },
    "swagger-ui-bundle.js": {
      integrity: "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9",
    },
  },
} as const;

export type DocsAssetName = keyof typeof swaggerUi.files;

/** Reads one of swagger-ui-dist's files; undefined when this runtime does not have it. */
export type DocsAssets = (name: DocsAssetName) => Promise<Uint8Array | string | undefined>;

const CDN = `https://cdn.jsdelivr.net/npm/swagger-ui-dist@${swaggerUi.version}/`;
// Versioned path: the files behind it never change, so browsers may keep them for a year.
const LOCAL = `/docs/assets/${swaggerUi.version}/`;

// No inline script, so the page runs under a CSP without 'unsafe-inline' for scripts.
const initScript =
  'addEventListener("load",()=>{window.ui=SwaggerUIBundle({url:"/openapi.json",dom_id:"#swagger-ui",deepLinking:true})});';

function page(local: boolean): string {
  const base = local ? LOCAL : CDN;
  const sri = (name: DocsAssetName) =>
    local ? "" : ` integrity="${swaggerUi.files[name].integrity}" crossorigin="anonymous"`;
  // Compact markup: this string ships in every bundle, the Lambda's included.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">\
<meta name="viewport" content="width=device-width, initial-scale=1"><title>DoDeck API</title>\
<link rel="icon" href="data:,"><link rel="stylesheet" href="${base}swagger-ui.css"${sri("swagger-ui.css")}>\
</head><body><div id="swagger-ui"></div>\
<script src="${base}swagger-ui-bundle.js"${sri("swagger-ui-bundle.js")}></script>\
<script src="/docs/init.js"></script></body></html>`;
}

function csp(local: boolean): string {
  const origin = local ? "'self'" : "'self' https://cdn.jsdelivr.net";
  // Swagger UI sets inline styles and shows data: images; nothing else is needed.
  return [
    "default-src 'none'",
    `script-src ${origin}`,
    `style-src ${origin} 'unsafe-inline'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Mounts `/docs`, its initializer and (when the runtime has them) the UI's assets. */
export function mountDocs(app: Hono<AppEnv>, assets: DocsAssets | undefined) {
  const local = assets !== undefined;
  const html = page(local);
  app.get("/docs", (c) => c.html(html, 200, { "content-security-policy": csp(local) }));
  app.get("/docs/init.js", (c) =>
    c.body(initScript, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  if (!assets) return;
  app.get(`${LOCAL}:name`, async (c) => {
    // Stryker disable next-line StringLiteral: defensive, the route always has the parameter.
    const name = c.req.param("name") ?? "";
    // Thrown, not c.notFound(): the 405 logic would see a GET route at this path.
    const missing = new AppError("not_found", `No route matches ${c.req.path}.`);
    if (!Object.hasOwn(swaggerUi.files, name)) throw missing;
    const body = await assets(name as DocsAssetName);
    if (body === undefined) throw missing;
    return c.body(typeof body === "string" ? body : new Uint8Array(body), 200, {
      "content-type": `text/${name.endsWith(".css") ? "css" : "javascript"}; charset=utf-8`,
      "cache-control": "public, max-age=31536000, immutable",
    });
  });
}
