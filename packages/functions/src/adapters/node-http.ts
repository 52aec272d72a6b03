import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { type Logger, type ProblemCode, problemCatalogue, transportLimits } from "@dodeck/api";

/**
 * HTTP/1.1 connection hygiene for the Node adapter: what @hono/node-server leaves to the
 * server. Hono only sees a Request; whether a keep-alive connection can carry the next request
 * depends on whether this one's body was read to its end, which only the adapter knows.
 */

/**
 * After answering a request whose body we did not read, the connection is closed, but
 * gently: our side is half-closed (the client reads the answer and sees EOF) while what the
 * client still sends is read and thrown away, for at most this long. Closing at once would
 * make the kernel answer the client's next bytes with a reset, which also discards the
 * answer waiting unread in the client's buffer: a slow uploader would see EPIPE, not the 413.
 */
export const LINGER_MS = 5_000;

const entry = (code: ProblemCode) => ({ code, ...problemCatalogue[code] });

type Refusal = { status: number; code: ProblemCode; title: string; detail: string };

/**
 * Node answers malformed requests itself, before any request object exists, in plain text.
 * These are the same answers as problem+json. Their codes are transport-level, like
 * `payload_too_large`, and never come from the app.
 */
const clientErrors: Record<string, Refusal> = {
  HPE_HEADER_OVERFLOW: {
    ...entry("request_header_fields_too_large"),
    detail: "The request's headers are too large.",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    ...entry("request_timeout"),
    detail: "The request was not received in time.",
  },
};
const badRequest: Refusal = {
  ...entry("bad_request"),
  detail: "The request is not valid HTTP/1.1.",
};

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

/**
 * Replaces the close Node performs after a `Connection: close` answer (destroySoon: end, then
 * destroy as soon as our bytes are out) with a lingering close for this one socket.
 */
function closeLingering(socket: Socket): void {
  socket.destroySoon = function lingeringClose() {
    if (socket.destroyed) return;
    socket.end();
    // The client's remaining bytes still go through Node's parser into a request nobody
    // reads; resume keeps the socket reading, so the client is never stalled into a timeout.
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
}

/**
 * When the answer is written before the request's body has arrived in full (refused unread:
 * 401, 413 from a chunked body, 404), the body will not be drained, so the answer says
 * `Connection: close` and the socket closes lingering. Otherwise the next request on a
 * keep-alive connection would start in the middle of this one's body; @hono/node-server's
 * own cleanup answers keep-alive and cuts the socket 500 ms later, which clients see as a
 * broken connection on their next request.
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function guardedWriteHead(this: ServerResponse, ...args: unknown[]) {
    if (!req.complete && !res.headersSent) {
      res.setHeader("connection", "close");
      closeLingering(req.socket);
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
  res.once("finish", () => {
    if (req.complete) return;
    // A body reader the app abandoned (bodyLimit stops at the limit) holds the stream paused;
    // dropping its listener and resuming discards the rest instead of stalling the socket.
    req.removeAllListeners("data");
    req.resume();
  });
}

/**
 * `Expect: 100-continue`: the client waits for our word before sending its body. It gets it
 * only when the app starts reading the body, that is after authentication, the size check by
 * Content-Length and the media type check: a request that will be refused is refused
 * without ever inviting the upload. (Node, left alone, answers 100 to every such request.)
 */
export function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function readAfterContinue(this: IncomingMessage, size: number) {
    req._read = read;
    if (!res.headersSent) res.writeContinue();
    return read.call(this, size);
  };
}

/**
 * A declared Content-Length above the limit is refused before anything is read or any
 * credential checked: the answer reveals only the documented limit, and neither a slow
 * upload nor a JWKS fetch is spent on a request that cannot succeed.
 */
export function refuseOversized(req: IncomingMessage, res: ServerResponse, log: Logger): boolean {
  const length = declaredLength(req);
  if (length === undefined || length <= transportLimits.bodyBytes) return false;
  const started = performance.now();
  const requestId = crypto.randomUUID();
  const status = problemCatalogue.payload_too_large.status;
  const body = problemJson({
    status,
    code: "payload_too_large",
    title: problemCatalogue.payload_too_large.title,
    detail: `Request bodies are limited to ${transportLimits.bodyBytes} bytes.`,
  });
  closeLingering(req.socket);
  res.writeHead(status, {
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(body),
    "x-request-id": requestId,
    connection: "close",
  });
  res.end(body);
  log("info", "request", {
    requestId,
    method: req.method,
    path: (req.url ?? "/").split("?")[0],
    status,
    ms: Math.round((performance.now() - started) * 10) / 10,
  });
  return true;
}

/** The app's RFC 9457 shape (packages/api/src/problem.ts), for answers made without it. */
function problemJson(refusal: Refusal): string {
  return JSON.stringify({
    type: `https://dodeck.app/problems/${refusal.code.replaceAll("_", "-")}`,
    title: refusal.title,
    status: refusal.status,
    detail: refusal.detail,
    code: refusal.code,
  });
}

/**
 * Node's own refusals (malformed request line or headers, headers over 16 KiB, a request not
 * received within `requestTimeout`) as problem+json instead of Node's bare text. A reset
 * connection, or one whose answer has already begun, gets nothing: there is no one to tell.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket, log: Logger): void {
  const started = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  // ECONNRESET, or EOF in the middle of a request: the client left.
  const left = error.code === "ECONNRESET" || error.code === "HPE_INVALID_EOF_STATE";
  if (left || !socket.writable || started?.headersSent) {
    socket.destroy();
    return;
  }
  const refusal = (error.code && clientErrors[error.code]) || badRequest;
  const body = problemJson(refusal);
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      "Content-Type: application/problem+json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
  log("info", "refused by the HTTP parser", { status: refusal.status, reason: error.code });
}
