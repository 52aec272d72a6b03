import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type Config, createApp, createDeps, type DepsOverrides } from "@dodeck/api";
import { getRequestListener } from "@hono/node-server";
import {
  answerClientError,
  closeIfBodyUnread,
  continueOnFirstRead,
  refuseOversized,
} from "./node-http.ts";

export type NodeServerOptions = {
  hostname?: string;
  /** How long in-flight requests get to finish after SIGTERM before connections are cut. */
  drainTimeoutMs?: number;
  overrides?: DepsOverrides;
};

export type RunningServer = {
  server: Server;
  url: string;
  /** The app itself, for probing readiness while connections are refused. */
  app: ReturnType<typeof createApp>;
  /** Stop accepting, let in-flight requests finish (bounded), close idle keep-alives. */
  shutdown: () => Promise<void>;
};

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** The Node adapter: the portable app behind @hono/node-server, with graceful shutdown. */
export async function startNodeServer(
  config: Config,
  options: NodeServerOptions = {},
): Promise<RunningServer> {
  let draining = false;
  // /readyz turns 503 as soon as draining starts, so a load balancer stops routing here.
  const deps = createDeps(config, { ...options.overrides, accepting: () => !draining });
  const app = createApp(deps);
  const hostname = options.hostname ?? "0.0.0.0";

  // Hono's own body cleanup is off: it answers keep-alive, then cuts the socket when the body
  // does not drain in 500 ms. closeIfBodyUnread decides per request instead (node-http.ts).
  const listener = getRequestListener(app.fetch, { hostname, autoCleanupIncoming: false });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (refuseOversized(req, res, deps.log)) return;
    closeIfBodyUnread(req, res);
    return listener(req, res);
  };
  const server = createServer(handle);
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (refuseOversized(req, res, deps.log)) return;
    continueOnFirstRead(req, res);
    closeIfBodyUnread(req, res);
    return listener(req, res);
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket) =>
    answerClientError(error, socket as Socket, deps.log),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // An ALB reuses connections for up to its idle timeout (60 s): a shorter keep-alive here
  // lets Node close a socket the balancer is about to use, which surfaces as 502s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Slow or stalled request bodies are cut; no route needs more than a few seconds.
  server.requestTimeout = 30_000;

  const { port } = server.address() as AddressInfo;
  const url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${port}`;

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      // close() stops accepting and calls back once every connection has ended. Keep-alive
      // sockets would hold it open: close the idle ones now, and each busy one as soon as its
      // in-flight response is done (polled, since Node has no per-socket "idle" event).
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const cut = setTimeout(
        () => server.closeAllConnections(),
        options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      );
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { server, url, app, shutdown };
}
