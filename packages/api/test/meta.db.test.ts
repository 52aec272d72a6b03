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
    expect(t.store.counter.calls).toEqual(["GetItem"]);
  });

  it("answers 503 service_unavailable with Retry-After when the table does not exist", async () => {
    const missing = await createTestApp({ TABLE_NAME: "dodeck-no-such-table" });
    const reply = await missing.call(null, "GET", "/readyz");
    expectProblem(reply, 503, "service_unavailable");
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
    expect(reply.body).toContain("/openapi.json");
    for (const environment of ["dev", "staging"]) {
      const other = await createTestApp({ ENVIRONMENT: environment });
      expect((await other.call(null, "GET", "/docs")).status, environment).toBe(200);
    }
  });

  it("answers 404 not_found for /docs in prod, while /openapi.json stays available", async () => {
    const prod = await createTestApp({ ENVIRONMENT: "prod" });
    expectProblem(await prod.call(null, "GET", "/docs"), 404, "not_found");
    expect((await prod.call(null, "GET", "/openapi.json")).status).toBe(200);
  });
});
