import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createApp, createDeps, swaggerUi } from "@dodeck/api";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app.ts";
import { expectProblem } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

describe("GET /healthz", () => {
  it("answers 200 {ok, version, environment} without a token or a table read", async () => {
    t.store.counter.reset();
    const reply = await t.call(null, "GET", "/healthz");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ok: true, version: t.config.version, environment: "local" });
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(t.store.counter.calls).toEqual([]);
  });

  it("reports the configured environment", async () => {
    const staging = await createTestApp({ ENVIRONMENT: "staging" });
    expect((await staging.call(null, "GET", "/healthz")).body.environment).toBe("staging");
  });
});

describe("GET /readyz", () => {
  it("answers 200 when the table answers, with one GetItem", async () => {
    t.store.counter.reset();
    const reply = await t.call(null, "GET", "/readyz");
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ok: true });
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(t.store.counter.calls).toEqual(["GetItem"]);
  });

  it("answers 503 service_unavailable with Retry-After when the table does not exist", async () => {
    const missing = await createTestApp({ TABLE_NAME: "dodeck-no-such-table" });
    const reply = await missing.call(null, "GET", "/readyz");
    expectProblem(reply, 503, "service_unavailable");
    expect(reply.body.detail).toBe("The table is not answering.");
    expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    // Liveness is not readiness: the process is still healthy.
    expect((await missing.call(null, "GET", "/healthz")).status).toBe(200);
  });
});

describe("GET /docs", () => {
  it("serves the interactive docs page in local, dev and staging", async () => {
    const reply = await t.call(null, "GET", "/docs");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^text\/html/);
    // Everything from this origin: no CDN, no inline script (Swagger UI sets inline styles).
    expect(reply.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    expect(reply.text).not.toContain("integrity");
    const init = await t.call(null, "GET", "/docs/init.js");
    expect(init.text).toContain('"/openapi.json"');
    expect(init.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    for (const environment of ["dev", "staging"]) {
      const other = await createTestApp({ ENVIRONMENT: environment });
      expect((await other.call(null, "GET", "/docs")).status, environment).toBe(200);
    }
  });

  it("serves Swagger UI's files from the pinned npm package through the app, not a CDN", async () => {
    const page = (await t.call(null, "GET", "/docs")).text;
    expect(page).not.toMatch(/https?:\/\//);
    const assets = [...page.matchAll(/(?:href|src)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual([
      `/docs/assets/${swaggerUi.version}/swagger-ui.css`,
      `/docs/assets/${swaggerUi.version}/swagger-ui-bundle.js`,
    ]);
    const types = ["text/css; charset=utf-8", "text/javascript; charset=utf-8"];
    for (const [i, asset] of assets.entries()) {
      const reply = await t.call(null, "GET", asset);
      expect(reply.status, asset).toBe(200);
      expect(reply.headers.get("content-type"), asset).toBe(types[i]);
      expect(reply.headers.get("cache-control"), asset).toBe("public, max-age=31536000, immutable");
    }
    const unknown = `/docs/assets/${swaggerUi.version}/index.html`;
    const missing = await t.call(null, "GET", unknown);
    expectProblem(missing, 404, "not_found");
    expect(missing.body.detail).toBe(`No route matches ${unknown}.`);
  });

  it("links the same pinned files with integrity hashes where the runtime has no copy (Lambda)", async () => {
    const bare = await createTestApp();
    const lambdaLike = createApp({
      ...createDeps(bare.config, { log: () => {} }),
      docsAssets: undefined,
    });
    const reply = await lambdaLike.request("/docs");
    expect(reply.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net; " +
        "style-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; " +
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
    );
    const page = await reply.text();
    for (const [name, file] of Object.entries(swaggerUi.files)) {
      expect(page).toContain(
        `https://cdn.jsdelivr.net/npm/swagger-ui-dist@${swaggerUi.version}/${name}" integrity="${file.integrity}"`,
      );
    }
  });

  it("pins the version and hashes of the installed swagger-ui-dist", async () => {
    const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    const installed = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    expect(swaggerUi.version).toBe(installed.version);
    for (const [name, file] of Object.entries(swaggerUi.files)) {
      const digest = createHash("sha384")
        .update(await readFile(join(dir, name)))
        .digest("base64");
      expect(file.integrity, name).toBe(`sha384-${digest}`);
    }
  });

  it("answers 404 not_found for /docs in prod, while /openapi.json stays available", async () => {
    const prod = await createTestApp({ ENVIRONMENT: "prod" });
    expectProblem(await prod.call(null, "GET", "/docs"), 404, "not_found");
    expect((await prod.call(null, "GET", "/openapi.json")).status).toBe(200);
  });
});
