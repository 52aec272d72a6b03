import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../src/middleware.ts";
import { mount, type RouteDefinition } from "../src/route.ts";

const healthLike = {
  method: "get",
  path: "/ping",
  summary: "Ping",
  tag: "health",
  auth: false,
  success: { status: 204, description: "Pong" },
} as const satisfies RouteDefinition;

describe("mount", () => {
  it("serves a definition at its method and path", async () => {
    const app = mount(new Hono<AppEnv>(), { ping: healthLike }, { ping: (c) => c.body(null, 204) });
    expect((await app.request("/ping")).status).toBe(204);
    expect((await app.request("/ping", { method: "POST" })).status).toBe(404);
  });

  it("refuses a definition whose auth disagrees with its path, naming it", () => {
    const open = { ...healthLike, path: "/v1/open" } as const;
    const closed = { ...healthLike, auth: true } as const;
    expect(() => mount(new Hono<AppEnv>(), { open }, { open: (c) => c.body(null, 204) })).toThrow(
      "open: auth must be true exactly for /v1 routes",
    );
    expect(() =>
      mount(new Hono<AppEnv>(), { closed }, { closed: (c) => c.body(null, 204) }),
    ).toThrow("closed: auth must be true exactly for /v1 routes");
  });
});
