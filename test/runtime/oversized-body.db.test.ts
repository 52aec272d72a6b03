import { Agent, request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { parseConfig } from "@dodeck/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startNodeServer } from "../../packages/functions/src/adapters/node.ts";
import { createRuntimeFixture } from "./support.ts";

/**
 * Oversized and refused bodies against the Node adapter over real loopback sockets: keep-alive
 * clients must see a clean 413 (or a clean new connection), never a reset connection, a slow
 * uploader must see the 413, and `Expect: 100-continue` must not invite a body that will be
 * refused. Every loop here is bounded in count and every wait in time.
 */
let fixture: Awaited<ReturnType<typeof createRuntimeFixture>>;
let running: RunningServer;
let port: number;
let token: string;
const logs: { level: string; message: string; [key: string]: unknown }[] = [];

const MiB = 1024 * 1024;

beforeAll(async () => {
  fixture = await createRuntimeFixture("rt-body");
  const config = { ...parseConfig(fixture.env, "0.0.0-test"), port: 0 };
  running = await startNodeServer(config, {
    hostname: "127.0.0.1",
    overrides: { log: (level, message, fields) => logs.push({ level, message, ...fields }) },
  });
  port = Number(new URL(running.url).port);
  token = await fixture.issuer.tokenFor({ sub: "auth0|uploader", email: "up@example.com" });
});
afterAll(async () => {
  await running?.shutdown();
  await fixture?.close();
});

type RawResult = {
  /** Everything the server sent, as text. */
  text: string;
  /** The socket error the client saw, if any (EPIPE, ECONNRESET). */
  error: string | undefined;
  /** How the exchange ended: the server closed, or our bound passed. */
  ended: "closed" | "timeout";
  /** From connecting to the end of the exchange. */
  ms: number;
};

/**
 * One exchange over a raw socket: writes `head`, then the body in chunks (optionally slowly),
 * and collects what comes back until the server closes the connection or `waitMs` passes.
 */
function rawExchange(
  head: string,
  options: {
    body?: { chunk: Buffer; count: number; delayMs?: number };
    waitMs?: number;
    /** Stop writing once a response has started (as a well-behaved client does). */
    stopOnResponse?: boolean;
    /** Resolve as soon as the text matches, without waiting for the close. */
    until?: RegExp;
  } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    // Half-open, as a client that keeps writing after the server's FIN: only a reset stops it.
    const socket: Socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let text = "";
    let error: string | undefined;
    let done = false;
    const started = Date.now();
    const finish = (ended: RawResult["ended"]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, error, ended, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish("timeout"), options.waitMs ?? 5_000);
    let written = !options.body;
    let serverEnded = false;
    // A client that writes its whole body before reading: done only once both happened.
    const check = () => {
      if (!written) return;
      if (options.until ? options.until.test(text) : serverEnded) finish("closed");
    };
    socket.on("data", (chunk) => {
      text += chunk.toString("latin1");
      check();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on("end", () => {
      serverEnded = true;
      check();
    });
    socket.on("close", () => finish("closed"));
    socket.write(head);
    const body = options.body;
    if (!body) return;
    let sent = 0;
    const writeNext = () => {
      if (done || socket.destroyed) return;
      if (sent >= body.count) {
        written = true;
        return check();
      }
      if (options.stopOnResponse && text.length > 0) return;
      sent++;
      const flushed = socket.write(body.chunk);
      if (body.delayMs) setTimeout(writeNext, body.delayMs);
      else if (flushed) setImmediate(writeNext);
      else socket.once("drain", writeNext);
    };
    writeNext();
  });
}

const statusLines = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);

function postHead(length: number | "chunked", extra: Record<string, string> = {}) {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    ...(length === "chunked"
      ? { "transfer-encoding": "chunked" }
      : { "content-length": String(length) }),
    ...extra,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `POST /v1/decks HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

/** A JSON document of about `bytes` bytes, so only its size is wrong. */
function bigJson(bytes: number): string {
  return JSON.stringify({ name: "x", padding: "p".repeat(bytes - 30) });
}

describe("oversized bodies on keep-alive connections", () => {
  it("answers six 1 MiB POSTs in a row through fetch with six clean 413s", async () => {
    const body = bigJson(MiB);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const response = await fetch(`${running.url}/v1/decks`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        outcomes.push(`${response.status} ${(await response.json()).code}`);
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcomes.push(cause?.code ?? String(error));
      }
    }
    expect(outcomes, outcomes.join(" ")).toEqual(Array(6).fill("413 payload_too_large"));
    // The connection still serves a normal request afterwards.
    const ok = await fetch(`${running.url}/v1/decks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });

  it("answers six 1 MiB POSTs in a row on one node:http keep-alive socket with clean 413s", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = Buffer.from(bigJson(MiB));
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        outcomes.push(
          await new Promise<string>((resolve) => {
            const req = httpRequest(
              `${running.url}/v1/decks`,
              {
                method: "POST",
                agent,
                timeout: 5_000,
                headers: {
                  authorization: `Bearer ${token}`,
                  "content-type": "application/json",
                  "content-length": body.length,
                },
              },
              (res) => {
                res.resume();
                res.on("end", () => resolve(`${res.statusCode} ${res.headers.connection}`));
              },
            );
            req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.end(body);
          }),
        );
      }
    } finally {
      agent.destroy();
    }
    // Refused unread, so the server says it will close, and the client opens a new connection.
    expect(outcomes, outcomes.join(" ")).toEqual(Array(6).fill("413 close"));
  });

  it("refuses by Content-Length before reading the body, marked Connection: close", async () => {
    // Only the head is sent: the answer must not wait for a body that never comes.
    const started = Date.now();
    const result = await rawExchange(postHead(MiB), { waitMs: 3_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(statusLines(result.text)).toEqual(["413"]);
    expect(result.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(result.text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
    expect(result.ended).toBe("closed");
  });

  it("lets a slow uploader that writes everything before reading get the 413, not a reset", async () => {
    // 1 MiB declared, sent 16 KiB every 15 ms: still going about a second after the 413.
    const result = await rawExchange(postHead(MiB), {
      body: { chunk: Buffer.alloc(16 * 1024, 0x20), count: 64, delayMs: 15 },
      waitMs: 6_000,
      until: /"code":"payload_too_large"/,
    });
    expect(result.error).toBeUndefined();
    expect(statusLines(result.text)).toEqual(["413"]);
    expect(result.text).toContain('"code":"payload_too_large"');
  });

  it("lets a slow node:http uploader with Content-Length read the 413 before any socket error", async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const events = await new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const req = httpRequest(`${running.url}/v1/decks`, {
        method: "POST",
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": 64 * chunk.length,
        },
      });
      let sent = 0;
      const timer = setTimeout(() => {
        req.destroy();
        resolve(seen);
      }, 5_000);
      const writeNext = () => {
        if (sent >= 64 || req.destroyed) return req.end();
        sent++;
        req.write(chunk);
        setTimeout(writeNext, 20);
      };
      req.on("response", (res) => {
        seen.push(`response ${res.statusCode}`);
        res.resume();
        res.on("end", () => {
          clearTimeout(timer);
          req.destroy();
          resolve(seen);
        });
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        seen.push(`error ${error.code}`);
        clearTimeout(timer);
        resolve(seen);
      });
      writeNext();
    });
    expect(events[0]).toBe("response 413");
  });

  it("lets a slow streaming fetch upload read the 413 instead of a socket error", async () => {
    // No Content-Length (a stream): the app finds out the size while reading, and the client
    // is still sending for well over a second after the 413 is written.
    let sent = 0;
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 64) return controller.close();
        sent++;
        await new Promise((done) => setTimeout(done, 20));
        controller.enqueue(chunk);
      },
    });
    let outcome: string;
    try {
      const response = await fetch(`${running.url}/v1/decks`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
        duplex: "half",
        signal: AbortSignal.timeout(8_000),
      } as RequestInit);
      outcome = `${response.status} ${(await response.json()).code}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      outcome = cause?.code ?? String(error);
    }
    expect(outcome).toBe("413 payload_too_large");
  });

  it("answers an oversized chunked body 413 with Connection: close, and the next connection works", async () => {
    const chunk = Buffer.from(`4000\r\n${" ".repeat(0x4000)}\r\n`);
    const result = await rawExchange(postHead("chunked"), {
      body: { chunk, count: 256 },
      waitMs: 5_000,
    });
    expect(statusLines(result.text)).toEqual(["413"]);
    expect(result.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(result.error).toBeUndefined();
    // The rest of the body was read and discarded: the client was never stalled until the
    // linger bound.
    expect(result.ended).toBe("closed");
    expect(result.ms).toBeLessThan(3_000);
    const after = await fetch(`${running.url}/healthz`);
    expect(after.status).toBe(200);
  });

  it("closes the connection after a 401 that left the body unread", async () => {
    // The body is not sent: the client may still send it, or may not, so only a new
    // connection is safe for the next request.
    const head = postHead(100).replace(/authorization: [^\r]+\r\n/, "");
    const result = await rawExchange(head, { waitMs: 3_000 });
    expect(statusLines(result.text)).toEqual(["401"]);
    expect(result.text).toMatch(/\r\nconnection: close\r\n/i);
  });

  it("keeps the connection open after a small body it did read", async () => {
    const body = JSON.stringify({ name: "kept alive" });
    const head = postHead(Buffer.byteLength(body));
    const result = await rawExchange(head + body + head + body, {
      waitMs: 3_000,
      until: /HTTP\/1\.1 201[\s\S]*HTTP\/1\.1 201[\s\S]*\}$/,
    });
    expect(statusLines(result.text), result.text).toEqual(["201", "201"]);
  });
});

describe("Expect: 100-continue", () => {
  it("never invites a body it will refuse for its size", async () => {
    const result = await rawExchange(postHead(MiB, { expect: "100-continue" }), {
      waitMs: 3_000,
    });
    expect(statusLines(result.text)).toEqual(["413"]);
  });

  it("never invites a body from a caller it will refuse as unauthorized", async () => {
    const head = postHead(100, { expect: "100-continue" }).replace(/authorization: [^\r]+\r\n/, "");
    const result = await rawExchange(head, { waitMs: 3_000 });
    expect(statusLines(result.text)).toEqual(["401"]);
  });

  it("invites the body of an authorised request of acceptable size, then answers it", async () => {
    const body = JSON.stringify({ name: "continued" });
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let sent = false;
    try {
      socket.write(postHead(Buffer.byteLength(body), { expect: "100-continue" }));
      const deadline = Date.now() + 3_000;
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (/^HTTP\/1\.1 100/.test(text) && !sent) {
          sent = true;
          socket.write(body);
        }
      });
      while (!/HTTP\/1\.1 201[\s\S]*\}$/.test(text) && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 20));
      }
    } finally {
      socket.destroy();
    }
    expect(statusLines(text)).toEqual(["100", "201"]);
  });
});

describe("requests Node itself refuses", () => {
  it("answers a malformed request line with a 400 problem, not Node's bare text", async () => {
    const result = await rawExchange("NOT HTTP AT ALL\r\n\r\n", { waitMs: 3_000 });
    expect(statusLines(result.text)).toEqual(["400"]);
    expect(result.text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
    const body = JSON.parse(result.text.slice(result.text.indexOf("\r\n\r\n") + 4));
    expect(body).toMatchObject({ status: 400, code: "bad_request" });
  });

  it("answers headers over Node's 16 KiB limit with a 431 problem", async () => {
    const head = `GET /healthz HTTP/1.1\r\nhost: x\r\nx-padding: ${"p".repeat(20_000)}\r\n\r\n`;
    const result = await rawExchange(head, { waitMs: 3_000 });
    expect(statusLines(result.text)).toEqual(["431"]);
    expect(result.text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
    const body = JSON.parse(result.text.slice(result.text.indexOf("\r\n\r\n") + 4));
    expect(body).toMatchObject({ status: 431, code: "request_header_fields_too_large" });
  });
});

describe("a client that goes away mid-body", () => {
  it.each([
    ["a chunked body", "chunked", Buffer.from(`1000\r\n${" ".repeat(0x1000)}\r\n`)],
    ["a declared length", 10_000, Buffer.from(" ".repeat(0x1000))],
  ] as const)("is not logged at error level (%s)", async (_, length, chunk) => {
    const before = logs.length;
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((done) => socket.once("connect", done));
    socket.write(postHead(length));
    socket.write(chunk);
    await new Promise((done) => setTimeout(done, 200));
    socket.destroy();
    // Give the server time to notice and to log what it logs.
    await new Promise((done) => setTimeout(done, 1500));
    const lines = logs.slice(before);
    expect(lines.filter((line) => line.level === "error")).toEqual([]);
  });
});
