import { AppError, createApp, createDeps, parseConfig } from "@dodeck/api";
import { HTTPException } from "hono/http-exception";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../../../test/support/issuer.ts";
import { expectProblem } from "./helpers.ts";

/** The app's own edges: CORS as configured, paths no route has, and how failures are logged. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const origin = "https://app.example.com";

describe("CORS", () => {
  it("answers a preflight from an allowed origin with exactly what browsers may send", async () => {
    const cors = await createTestApp({ CORS_ALLOWED_ORIGINS: origin });
    const preflight = await cors.app.request("/v1/decks/x", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "PATCH" },
    });
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET,POST,PATCH,DELETE,OPTIONS",
      "access-control-allow-headers":
        "authorization,content-type,if-match,if-none-match,idempotency-key",
      "access-control-max-age": "600",
    });
    const created = await cors.call(users.owner, "POST", "/v1/decks", { name: "Cors" }, { origin });
    expect(created.headers.get("access-control-expose-headers")).toBe(
      "x-request-id,retry-after,allow,etag,idempotent-replayed",
    );
  });

  it("adds no CORS headers at all when no origin is configured", async () => {
    const preflight = await t.app.request("/v1/decks", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    });
    expect(
      [...preflight.headers.keys()].filter((name) => name.startsWith("access-control-")),
    ).toEqual([]);
  });
});

describe("paths no route has", () => {
  it("answer 404, never 405 with an Allow made of middleware", async () => {
    for (const path of ["/", "/v1", "/v1/", "/nothing/here"]) {
      const reply = await t.call(users.owner, "GET", path);
      expectProblem(reply, 404, "not_found");
      expect(reply.headers.get("allow"), path).toBeNull();
      expect(reply.body.detail).toBe(`No route matches ${path}.`);
    }
  });
});

describe("a path with a route for other methods", () => {
  it("answers 405 naming the methods it has, in the detail and in Allow", async () => {
    const reply = await t.call(users.owner, "PUT", "/v1/decks");
    expectProblem(reply, 405, "method_not_allowed");
    expect(reply.body.detail).toBe("PUT is not allowed here; use POST, GET, HEAD.");
    expect(reply.headers.get("allow")).toBe("POST, GET, HEAD");
  });
});

describe("a body over the limit", () => {
  it("is refused with 413 naming the limit", async () => {
    const reply = await t.call(
      users.owner,
      "POST",
      "/v1/decks",
      `{"name":"${"x".repeat(70_000)}"}`,
      {
        "content-type": "application/json",
      },
    );
    expectProblem(reply, 413, "payload_too_large");
    expect(reply.body.detail).toMatch(/^Request bodies are limited to \d+ bytes\.$/);
  });
});

describe("a client that goes away while sending its body", () => {
  const postWithBrokenBody = async (app: TestApp, failure: Error, signal?: AbortSignal) => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":'));
        controller.error(failure);
      },
    });
    return app.app.request("/v1/decks", {
      method: "POST",
      headers: {
        authorization: `Bearer ${await app.issuer.tokenFor(users.owner)}`,
        "content-type": "application/json",
      },
      body,
      duplex: "half",
      ...(signal ? { signal } : {}),
    } as RequestInit);
  };

  it("gets 400 (no one reads it) and an info line, not an error", async () => {
    const app = await createTestApp();
    const reset = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    const reply = await postWithBrokenBody(app, reset);
    expect(reply.status).toBe(400);
    expect(await reply.json()).toMatchObject({
      code: "invalid_json",
      detail: "The request body was not received in full.",
    });
    const lines = app.logs.map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "info",
        message: "client went away mid-request",
        cause: "Error: aborted",
      }),
    );
    expect(lines.filter((line) => line.level === "error")).toEqual([]);
  });

  it("is told apart by its aborted signal too, whatever the error says", async () => {
    const app = await createTestApp();
    const gone = new AbortController();
    gone.abort();
    const reply = await postWithBrokenBody(app, new Error("stream broke"), gone.signal);
    expect(reply.status).toBe(400);
    expect(app.logs.map((line) => JSON.parse(line).level)).not.toContain("error");
  });

  it("while any other failure is a bug: 500, and the error logged with its stack", async () => {
    const app = await createTestApp();
    const reply = await postWithBrokenBody(app, new Error("stream broke"));
    expect(reply.status).toBe(500);
    const errors = app.logs.map((line) => JSON.parse(line)).filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe("unhandled error");
    const [first, ...frames] = errors[0].error.split("\n");
    expect(first).toBe("Error: stream broke");
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame).toMatch(/^\s+at \S/);
  });
});

describe("an outage", () => {
  it("is logged once per request as a warning naming the cause, without a stack", async () => {
    const issuer = await createTestIssuer();
    const logs: Record<string, unknown>[] = [];
    const config = parseConfig({
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      DYNAMODB_ENDPOINT_URL: "http://127.0.0.1:1",
      TABLE_NAME: "unreachable",
    });
    const log = (level: string, message: string, fields?: Record<string, unknown>) =>
      logs.push({ level, message, ...fields });
    const app = createApp(createDeps(config, { keys: issuer.keys, log }));
    const response = await app.request("/v1/decks", {
      headers: { authorization: `Bearer ${await issuer.tokenFor(users.owner)}` },
    });
    expect(response.status).toBe(503);
    // The warning, then the access line every request gets.
    expect(logs.map((line) => line.level)).toEqual(["warn", "info"]);
    expect(logs[0]).toMatchObject({
      level: "warn",
      message: "The data store is not answering; try again shortly.",
      code: "service_unavailable",
      requestId: response.headers.get("x-request-id"),
    });
    expect(String(logs[0]!.cause)).toMatch(/^\w*Error: /);
    expect(String(logs[0]!.cause)).not.toMatch(/\n\s+at /);
  });
});

describe("an HTTPException from Hono's own middleware", () => {
  it("becomes the contract's problem for its status, and a 5xx one a logged 500", async () => {
    const app = await createTestApp();
    app.app.get("/boom/:status", (c) => {
      throw new HTTPException(Number(c.req.param("status")) as 400);
    });
    const cases: [number, number, string, string | undefined][] = [
      [400, 400, "invalid_json", "The request could not be parsed."],
      [401, 401, "unauthorized", undefined],
      [404, 404, "not_found", undefined],
      [413, 413, "payload_too_large", undefined],
      [415, 415, "unsupported_media_type", undefined],
      [406, 422, "validation_failed", "The request is not acceptable."],
      [500, 500, "internal_error", "Something went wrong on our side."],
      [503, 500, "internal_error", "Something went wrong on our side."],
    ];
    for (const [thrown, status, code, detail] of cases) {
      const reply = await app.app.request(`/boom/${thrown}`);
      const body = await reply.json();
      expect({ status: reply.status, code: body.code }, String(thrown)).toEqual({ status, code });
      if (detail) expect(body.detail, String(thrown)).toBe(detail);
      else expect(body.detail, String(thrown)).toBe(body.title);
    }
    expect(app.logs.filter((line) => JSON.parse(line).level === "error")).toHaveLength(2);
  });
});

describe("what a failure leaves in the log", () => {
  /** An app with one extra route that throws what the test hands it. */
  async function throwing(error: unknown) {
    const app = await createTestApp();
    app.app.get("/fail", () => {
      throw error;
    });
    const reply = await app.app.request("/fail");
    const lines = app.logs.map((line) => JSON.parse(line));
    return { reply, lines, besidesAccess: lines.filter((line) => line.message !== "request") };
  }

  it("has nothing but the access line for a refusal (4xx)", async () => {
    for (const code of ["deck_not_found", "validation_failed", "precondition_failed"] as const) {
      const { reply, lines, besidesAccess } = await throwing(new AppError(code));
      expect(reply.status, code).toBeLessThan(500);
      expect(besidesAccess, code).toEqual([]);
      expect(lines, code).toHaveLength(1);
    }
  });

  it("logs an internal_error of our own as a bug: level error, with its stack", async () => {
    const { reply, besidesAccess } = await throwing(
      new AppError("internal_error", "A result without a version."),
    );
    expect(reply.status).toBe(500);
    expect(await reply.json()).toMatchObject({ code: "internal_error" });
    expect(besidesAccess).toHaveLength(1);
    expect(besidesAccess[0]).toMatchObject({ level: "error", message: "unhandled error" });
    const [first, second] = besidesAccess[0].error.split("\n");
    expect(first).toBe("AppError: A result without a version.");
    expect(second).toMatch(/^\s+at \S/);
  });

  it("names an outage's cause in at most 300 characters, and leaves out a cause it lacks", async () => {
    const outage = (cause?: unknown) =>
      new AppError("service_unavailable", "The data store is not answering.", { cause });
    const warning = async (error: AppError) => (await throwing(error)).besidesAccess;

    const [bare] = await warning(outage());
    expect(bare).toMatchObject({ level: "warn", message: "The data store is not answering." });
    expect(bare).not.toHaveProperty("cause");

    const exactly = `TimeoutError: ${"x".repeat(300 - "TimeoutError: ".length)}`;
    const fits = Object.assign(new Error(exactly.slice("TimeoutError: ".length)), {
      name: "TimeoutError",
    });
    expect((await warning(outage(fits)))[0]?.cause).toBe(exactly);

    const long = Object.assign(new Error(`${"y".repeat(400)}`), { name: "TimeoutError" });
    const cut = (await warning(outage(long)))[0]?.cause as string;
    expect(cut).toBe(`TimeoutError: ${"y".repeat(300 - "TimeoutError: ".length)}…`);

    expect((await warning(outage("socket closed")))[0]?.cause).toBe("socket closed");
  });

  it("logs a bug as its current name and message once, then the stack's frames", async () => {
    const bug = new TypeError("cannot read x");
    bug.stack = undefined;
    const { reply, besidesAccess } = await throwing(bug);
    expect(reply.status).toBe(500);
    expect(besidesAccess).toEqual([
      expect.objectContaining({ level: "error", error: "TypeError: cannot read x" }),
    ]);

    const renamed = Object.assign(new Error("two\nlines"), { name: "RangeError" });
    const [line] = (await throwing(renamed)).besidesAccess;
    expect(line?.error).toMatch(/^RangeError: two\nlines\n\s+at \S/);
    expect(line?.error.match(/lines/g)).toHaveLength(1);
  });
});
