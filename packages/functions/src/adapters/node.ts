import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Config, createApp, createDeps, type DepsOverrides } from "@dodeck/api";
import { serve } from "@hono/node-server";

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

  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: config.port, hostname }, () =>
      resolve(started as Server),
    );
    started.once("error", reject);
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
