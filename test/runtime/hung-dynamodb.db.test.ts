import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "./build-once.ts";
import {
  createRuntimeFixture,
  overHttp,
  startServerProcess,
  startWorkerd,
  type Target,
} from "./support.ts";

/**
 * A DynamoDB that accepts connections and never answers (a stopped process, a black-holed
 * route). The SDK's default client waits forever on it; ours must turn it into a 503 with
 * Retry-After within a bound, on every runtime.
 */
let fixture: Awaited<ReturnType<typeof createRuntimeFixture>>;
let hung: { endpoint: string; connections: () => number; close: () => Promise<void> };

async function startHungDynamo() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

const BOUND_MS = 10_000;

beforeAll(async () => {
  hung = await startHungDynamo();
  fixture = await createRuntimeFixture("rt-hung");
  fixture.env.DYNAMODB_ENDPOINT_URL = hung.endpoint;
});
afterAll(async () => {
  await hung?.close();
  await fixture?.close();
});

async function expectBounded503(target: Target) {
  const token = await fixture.issuer.tokenFor({ sub: "auth0|hung" });
  const started = Date.now();
  const [created, ready] = await Promise.all([
    target.fetch(
      new Request("http://x/v1/decks", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "never stored" }),
      }),
    ),
    target.fetch(new Request("http://x/readyz")),
  ]);
  expect(Date.now() - started).toBeLessThan(BOUND_MS);
  expect(created.status).toBe(503);
  expect(created.headers.get("content-type")).toBe("application/problem+json");
  expect(created.headers.get("retry-after")).toMatch(/^\d+$/);
  const body = await created.json();
  expect(body).toMatchObject({ code: "service_unavailable" });
  expect(JSON.stringify(body)).not.toMatch(/Timeout|socket|aws/i);
  expect(ready.status).toBe(503);
}

describe("a DynamoDB that accepts connections but never answers", () => {
  it("answers 503 within the bound in-process", async () => {
    const app = createApp(createDeps(parseConfig(fixture.env)));
    await expectBounded503({ fetch: async (request) => app.fetch(request) });
    expect(hung.connections()).toBeGreaterThan(0);
  });

  it("answers 503 within the bound from the built Node server", async () => {
    const server = await startServerProcess(await buildBundle("server"), fixture.env);
    try {
      await expectBounded503(overHttp(server.url));
    } finally {
      await server.stop();
    }
  });

  it("answers 503 within the bound from workerd", async () => {
    const workerd = await startWorkerd(await buildBundle("worker"), fixture.env);
    try {
      await expectBounded503(overHttp(workerd.url));
    } finally {
      await workerd.stop();
    }
  });
});
