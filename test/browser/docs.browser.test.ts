import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { apiRoutes, createApp, createDeps, parseConfig } from "@dodeck/api";
import { nodeDocsAssets } from "@dodeck/functions/docs-assets";
import { serve } from "@hono/node-server";
import { createLocalJWKSet } from "jose";
import { type Browser, chromium, type Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * /docs in a real browser: Debian's Chromium (installed by .ci/run), driven by playwright-core,
 * against the app behind the Node adapter's HTTP server with the Node runtime's docs assets.
 * The machine has no internet, so a page that needed a CDN would render blank here.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Flags that keep headless Chromium from stalling on a closed network (and running as root).
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const available = existsSync(CHROMIUM);
// On CI a missing browser is a failure, not a skip.
const run = available || process.env.CI ? describe : describe.skip;

/** What the page shows (rendered text), which is what a reader sees. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text
const shown = (locator: Locator) => locator.innerText();

let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const config = parseConfig({
    AUTH0_ISSUER: "https://tenant.example.com/",
    AUTH0_AUDIENCE: "https://api.example.com",
    ENVIRONMENT: "local",
  });
  const app = createApp(
    createDeps(config, {
      keys: createLocalJWKSet({ keys: [] }),
      log: () => {},
      docsAssets: nodeDocsAssets(),
    }),
  );
  server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
      resolve(started as Server),
    );
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!available) return;
  // Playwright gives the browser a fresh temporary profile (--user-data-dir) of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
});

run("/docs in headless Chromium", () => {
  it("renders every operation, expands one with its request and response schemas, offline and without console errors", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(base) && !url.startsWith("data:")) foreign.push(url);
    });
    page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));

    await page.goto(`${base}/docs`, { waitUntil: "load" });
    const operations = page.locator(".opblock");
    await expect.poll(() => operations.count(), { timeout: 15_000 }).toBe(apiRoutes.length);

    // Expand "Create a deck": request body and responses with their schemas.
    const create = page.locator("#operations-decks-createDeck");
    await create.locator(".opblock-summary").click();
    const body = create.locator(".opblock-section-request-body");
    await body.waitFor({ timeout: 10_000 });
    await body.getByText("Schema", { exact: true }).first().click();
    await expect.poll(() => shown(body)).toMatch(/CreateDeck[\s\S]*name/);
    const responses = create.locator(".responses-wrapper");
    await expect.poll(() => shown(responses)).toMatch(/201[\s\S]*The new deck/);
    const created = responses.locator('tr.response[data-code="201"]');
    await created.getByText("Schema", { exact: true }).first().click();
    await expect.poll(() => shown(created)).toMatch(/DeckDetail[\s\S]*collaborators/);
    await expect.poll(() => shown(responses)).toMatch(/422[\s\S]*validation_failed/);

    const text = await shown(page.locator("body"));
    expect(text).not.toMatch(/Resolver error|Could not resolve reference|Errors\s+Hide/);
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 60_000);
});
