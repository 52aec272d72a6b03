import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, users } from "../../../test/support/app.ts";
import { transportLimits } from "../src/limits.ts";
import { expectProblem } from "./helpers.ts";

/** What the transport middleware accepts and refuses, at its edges, with the words it uses. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const post = (body: string, contentType: string) =>
  t.call(users.owner, "POST", "/v1/decks", body, { "content-type": contentType });

/** Each content type is refused with 415 and these words. */
async function expectRefused(detail: string, types: string[]) {
  for (const type of types) {
    const reply = await post('{"name":"Typed"}', type);
    expectProblem(reply, 415, "unsupported_media_type");
    expect(reply.body.detail, type).toBe(detail);
  }
}

describe("the JSON media type", () => {
  it("accepts application/json and +json types, with UTF-8 or no charset", async () => {
    for (const type of [
      "application/json",
      "Application/JSON",
      "application/json; charset=utf-8",
      "application/json;charset=UTF8",
      'application/json; charset="utf-8"',
      "application/vnd.dodeck+json",
      "application/json ; charset=utf-8",
    ]) {
      expect((await post('{"name":"Typed"}', type)).status, type).toBe(201);
    }
  });

  it("refuses anything else with 415, saying what to send", async () => {
    await expectRefused("Send the body as application/json.", [
      "text/plain",
      "text/application/json",
      "application/jsonp",
      "application/json-patch",
      "application/+json",
      "application/x json",
    ]);
  });

  it("refuses a charset other than UTF-8 with 415, saying so", async () => {
    await expectRefused("Send JSON bodies in UTF-8.", [
      "application/json; charset=latin1",
      "application/json; charset=utf-16",
      "application/json; charset=utf8x",
      "application/json; charset=x-utf8",
      "application/json;   charset=iso-8859-1",
      "application/json; charset = latin1",
    ]);
  });

  it("answers malformed JSON with 400 invalid_json, and a body that is no object with 422 at the body", async () => {
    const malformed = await post('{"name":', "application/json");
    expectProblem(malformed, 400, "invalid_json");
    expect(malformed.body.detail).toBe("The request body is not valid JSON.");
    const list = await post("[]", "application/json");
    expectProblem(list, 422, "validation_failed");
    expect(list.body.errors).toEqual([{ path: "json", message: expect.any(String) }]);
    const extra = await post('{"name":"x","ownerSub":"me"}', "application/json");
    expectProblem(extra, 422, "validation_failed");
    expect(extra.body.errors).toEqual([{ path: "ownerSub", message: "Unknown field" }]);
  });
});

describe("the body size limit", () => {
  /** A JSON body of exactly `bytes` bytes: a deck name padded with spaces after it. */
  const bodyOf = (bytes: number) => {
    const head = '{"name":"Sized"}';
    return `${head.slice(0, -1)}${" ".repeat(bytes - head.length)}}`;
  };

  it("takes a body of exactly the limit, and refuses one byte more with 413", async () => {
    const limit = transportLimits.bodyBytes;
    expect((await post(bodyOf(limit), "application/json")).status).toBe(201);
    expectProblem(await post(bodyOf(limit + 1), "application/json"), 413, "payload_too_large");
  });

  it("holds a declared Content-Length to the same limit, before reading the body", async () => {
    const limit = transportLimits.bodyBytes;
    const declared = (bytes: number) =>
      t.call(users.owner, "POST", "/v1/decks", bodyOf(bytes), {
        "content-type": "application/json",
        "content-length": String(bytes),
      });
    expect((await declared(limit)).status).toBe(201);
    expectProblem(await declared(limit + 1), 413, "payload_too_large");
  });

  it("counts a chunked body itself, whatever Content-Length it also claims", async () => {
    const reply = await t.call(
      users.owner,
      "POST",
      "/v1/decks",
      bodyOf(transportLimits.bodyBytes + 100),
      {
        "content-type": "application/json",
        "content-length": "20",
        "transfer-encoding": "chunked",
      },
    );
    expectProblem(reply, 413, "payload_too_large");
  });

  it("reads no body on GET and HEAD, so a Content-Length there is no reason to refuse", async () => {
    for (const method of ["GET", "HEAD"]) {
      const reply = await t.call(users.owner, method, "/v1/decks", undefined, {
        "content-length": String(transportLimits.bodyBytes * 10),
      });
      expect(reply.status, method).toBe(200);
    }
  });
});

describe("the access log", () => {
  it("has one line per request: id, method, path, status and its duration in ms", async () => {
    const app = await createTestApp();
    const started = performance.now();
    const reply = await app.call(users.owner, "GET", "/v1/decks");
    const wall = performance.now() - started;
    const lines = app.logs.map((line) => JSON.parse(line));
    const access = lines.filter((line) => line.message === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: "info",
      requestId: reply.headers.get("x-request-id"),
      method: "GET",
      path: "/v1/decks",
      status: 200,
    });
    expect(access[0].ms).toBeGreaterThanOrEqual(0);
    expect(access[0].ms).toBeLessThanOrEqual(Math.ceil(wall) + 1);
    expect(Math.round(access[0].ms * 10)).toBeCloseTo(access[0].ms * 10, 6);
  });

  it("times the whole request: a handler that takes 50 ms logs at least that", async () => {
    const app = await createTestApp();
    app.app.get("/slow", async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return c.text("done");
    });
    await app.app.request("/slow");
    const [access] = app.logs
      .map((line) => JSON.parse(line))
      .filter((l) => l.message === "request");
    expect(access.ms).toBeGreaterThanOrEqual(45);
  });
});
