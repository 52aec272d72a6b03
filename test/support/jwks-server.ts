import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type JwksMode = "ok" | "error500" | "garbage" | "notJwks" | "redirect" | "slow" | "down";

/**
 * A JWKS endpoint over real HTTP on loopback, so the app's remote key set is exercised as in
 * production: `mode` switches it between serving the keys, failing in each way an issuer can
 * fail, and refusing connections (the server is closed; its port stays known).
 */
export async function startJwksServer(jwks: unknown, options: { slowMs?: number } = {}) {
  const slowMs = options.slowMs ?? 2_000;
  let mode: JwksMode = "ok";
  let requests = 0;
  const pending = new Set<ServerResponse>();

  const handler = (res: ServerResponse) => {
    switch (mode) {
      case "ok":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(jwks));
        return;
      case "error500":
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("upstream exploded at jose.internal line 42");
        return;
      case "garbage":
        res.writeHead(200, { "content-type": "application/json" });
        res.end("<html>definitely not a key set</html>");
        return;
      case "notJwks":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: "none today" }));
        return;
      case "redirect":
        // jose never follows redirects; neither may a key set move without a config change.
        res.writeHead(302, { location: "https://elsewhere.example.com/jwks.json" });
        res.end();
        return;
      default: {
        // "slow": answer only after the client's timeout has passed (bounded, then closed).
        pending.add(res);
        const timer = setTimeout(() => {
          pending.delete(res);
          if (!res.writableEnded) {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(jwks));
          }
        }, slowMs);
        res.on("close", () => {
          clearTimeout(timer);
          pending.delete(res);
        });
      }
    }
  };

  let server: Server = createServer((_req, res) => {
    requests++;
    handler(res);
  });
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;

  async function close(): Promise<void> {
    for (const res of pending) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    resetRequests() {
      requests = 0;
    },
    /** Switches behaviour; "down" closes the listener so connections are refused. */
    async setMode(next: JwksMode): Promise<void> {
      if (next === "down" && mode !== "down") await close();
      if (next !== "down" && mode === "down") {
        server = createServer((_req, res) => {
          requests++;
          handler(res);
        });
        await listen(server, port);
      }
      mode = next;
    },
    async stop(): Promise<void> {
      if (mode !== "down") await close();
      mode = "down";
    },
  };
}

export type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
