import { request as httpRequest } from "node:http";
import { parseConfig } from "@dodeck/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeServer } from "../../packages/functions/src/adapters/node.ts";
import type { TestIssuer } from "../support/issuer.ts";
import { buildBundle } from "./build-once.ts";
import { describeRuntime } from "./cases.ts";
import { createRuntimeFixture, overHttp, startServerProcess, type Target } from "./support.ts";

// The built container entry, `node dist/server/index.mjs`, alone in an empty directory.
let bundle: string;
let fixture: Awaited<ReturnType<typeof createRuntimeFixture>>;
let server: Awaited<ReturnType<typeof startServerProcess>>;
let target: Target;
let issuer: TestIssuer;

beforeAll(async () => {
  fixture = await createRuntimeFixture("rt-node");
  bundle = await buildBundle("server");
  server = await startServerProcess(bundle, { ...fixture.env, LOG_LEVEL: "info" });
  target = overHttp(server.url);
  issuer = fixture.issuer;
});
afterAll(async () => {
  await server?.stop();
  await fixture?.close();
});

describeRuntime("Node server (dist/server/index.mjs over loopback)", () => ({ target, issuer }));

/** One GET over a fresh connection; resolves with status and body, or rejects (refused). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Node server process", () => {
  it("serves /docs with Swagger UI's files from beside its bundle (the image has no node_modules)", async () => {
    const page = await get(`${server.url}/docs`);
    expect(page.status).toBe(200);
    const assets = [...page.body.matchAll(/(?:href|src)="(\/docs\/assets\/[^"]+)"/g)].map(
      (match) => match[1]!,
    );
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const file = await get(`${server.url}${asset}`);
      expect(file.status, asset).toBe(200);
      expect(file.body.length, asset).toBeGreaterThan(100_000);
    }
  });

  it("logs one JSON line per request, carrying the id it returned", async () => {
    const response = await fetch(`${server.url}/healthz`);
    const id = response.headers.get("x-request-id");
    await new Promise((done) => setTimeout(done, 100));
    const lines = server.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      level: "info",
      message: "listening",
      time: expect.any(String),
    });
    expect(lines).toContainEqual({
      time: expect.any(String),
      level: "info",
      message: "request",
      requestId: id,
      method: "GET",
      path: "/healthz",
      status: 200,
      ms: expect.any(Number),
    });
  });

  it("on SIGTERM finishes a slow in-flight request, refuses new connections, exits 0", async () => {
    const own = await startServerProcess(bundle, { ...fixture.env, LOG_LEVEL: "info" });
    try {
      // The first authenticated request must fetch the JWKS, which answers after 1.5 s.
      fixture.jwks.state.delayMs = 1_500;
      const token = await issuer.tokenFor({ sub: "auth0|slow" });
      const slow = get(`${own.url}/v1/decks`, { authorization: `Bearer ${token}` });
      const hitsBefore = fixture.jwks.state.hits;
      while (fixture.jwks.state.hits === hitsBefore) await new Promise((r) => setTimeout(r, 10));

      const signalled = Date.now();
      own.child.kill("SIGTERM");
      await new Promise((done) => setTimeout(done, 200));
      await expect(get(`${own.url}/healthz`)).rejects.toMatchObject({ code: "ECONNREFUSED" });

      const finished = await slow;
      expect(finished.status).toBe(200);
      expect(JSON.parse(finished.body)).toEqual({ items: [], nextCursor: null });

      const exit = await own.exited;
      expect(exit.code).toBe(0);
      expect(exit.at - signalled).toBeLessThan(15_000);
      const messages = own.lines.map((line) => JSON.parse(line).message);
      expect(messages.slice(-3)).toEqual(["draining", "request", "stopped"]);
    } finally {
      fixture.jwks.state.delayMs = 0;
      await own.stop();
    }
  });
});

describe("startNodeServer shutdown", () => {
  it("turns /readyz 503 while draining and closes idle keep-alive connections at once", async () => {
    const config = { ...parseConfig(fixture.env, "0.0.0-test"), port: 0 };
    const running = await startNodeServer(config, { hostname: "127.0.0.1" });
    // An idle keep-alive connection (as a load balancer holds) must not delay the close.
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      httpRequest(`${running.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end(),
    );
    expect((await running.app.request("/readyz")).status).toBe(200);
    const started = Date.now();
    const closed = running.shutdown();
    const ready = await running.app.request("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toBe("5");
    await closed;
    // Bound, not speed: without closeIdleConnections this waits out the 65 s keep-alive.
    expect(Date.now() - started).toBeLessThan(5_000);
    agent.destroy();
  });
});
