import { parseConfig } from "@dodeck/api";
import pkg from "../../../package.json" with { type: "json" };
import { startNodeServer } from "./node.ts";

// The container entry: configured only by the environment (SPEC.md "Configuration").
const config = (() => {
  try {
    return parseConfig(process.env, pkg.version);
  } catch (error) {
    console.error(`dodeck: invalid configuration: ${(error as Error).message}`);
    process.exit(1);
  }
})();

const running = await startNodeServer(config);
console.log(
  JSON.stringify({
    level: "info",
    message: "listening",
    url: running.url,
    environment: config.environment,
  }),
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    console.log(JSON.stringify({ level: "info", message: "draining", signal }));
    await running.shutdown();
    process.exit(0);
  });
}
