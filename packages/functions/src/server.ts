import { createLogger, parseConfig } from "@dodeck/api";
import pkg from "../../../package.json" with { type: "json" };
import { nodeDocsAssets } from "./adapters/docs-assets.ts";
import { DEFAULT_DRAIN_TIMEOUT_MS, startNodeServer } from "./adapters/node.ts";
import { trimInjectedSecrets } from "./adapters/secrets.ts";

// The container entry: configured only by the environment (SPEC.md "Configuration").
const config = (() => {
  try {
    return parseConfig(trimInjectedSecrets(process.env), pkg.version);
  } catch (error) {
    console.error(`dodeck: invalid configuration: ${(error as Error).message}`);
    process.exit(1);
  }
})();
const log = createLogger(config.logLevel);

// A crash is logged as one JSON line (with the stack) before the process dies, not as text.
process.on("uncaughtException", (error) => {
  log("error", "uncaught exception", {
    error: `${error.name}: ${error.message}`,
    stack: error.stack,
  });
  process.exit(1);
});
process.on("unhandledRejection", (reason) => {
  log("error", "unhandled rejection", { error: String(reason) });
  process.exit(1);
});

// The container serves Swagger UI's files itself (copied beside the bundle): /docs works offline.
const running = await startNodeServer(config, { overrides: { docsAssets: nodeDocsAssets() } });
log("info", "listening", {
  url: running.url,
  environment: config.environment,
  version: config.version,
});

// ECS sends SIGTERM and SIGKILLs 30 s later (stopTimeout): drain within 10 s, and exit no
// matter what within 15 s, so the exit is always ours.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    log("info", "draining", { signal });
    setTimeout(() => {
      log("error", "shutdown overran its bound; exiting");
      process.exit(1);
    }, DEFAULT_DRAIN_TIMEOUT_MS + 5_000).unref();
    await running.shutdown();
    log("info", "stopped", { signal });
    process.exit(0);
  });
}
