import type { AddressInfo } from "node:net";
import { type Config, createApp, createDeps, type DepsOverrides } from "@dodeck/api";
import { type ServerType, serve } from "@hono/node-server";

export type NodeServerOptions = {
  hostname?: string;
  /** How long in-flight requests get to finish after SIGTERM before connections are cut. */
  drainTimeoutMs?: number;
  overrides?: DepsOverrides;
};

export type RunningServer = {
  server: ServerType;
  url: string;
  /** Stop accepting, let in-flight requests finish (bounded), close idle keep-alives. */
  shutdown: () => Promise<void>;
};

/** The Node adapter: the portable app behind @hono/node-server, with graceful shutdown. */
export async function startNodeServer(
  config: Config,
  options: NodeServerOptions = {},
): Promise<RunningServer> {
  let draining = false;
  const deps = createDeps(config, { ...options.overrides, accepting: () => !draining });
  const app = createApp(deps);
  const hostname = options.hostname ?? "0.0.0.0";

  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: config.port, hostname }, () =>
      resolve(started),
    );
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${hostname === "0.0.0.0" ? "127.0.0.1" : hostname}:${port}`;

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      const http = server as import("node:http").Server;
      // close() stops accepting and resolves once in-flight requests end; idle keep-alive
      // sockets would otherwise hold it open for seconds.
      http.close(() => resolve());
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
      timer.unref();
    });
    return closing;
  };

  return { server, url, shutdown };
}
