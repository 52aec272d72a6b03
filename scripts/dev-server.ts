import { parseConfig } from "@dodeck/api";
import { nodeDocsAssets } from "@dodeck/functions/docs-assets";
import { startNodeServer } from "@dodeck/functions/node";
import { withSecretValues } from "@dodeck/functions/secrets";
import pkg from "../package.json" with { type: "json" };
import {
  assertDevIssuerAllowed,
  DEV_AUDIENCE,
  DEV_ISSUER,
  devIssuerOverrides,
  loadDevIssuer,
} from "./dev-issuer.ts";

// The API as `npm run dev` runs it (under `tsx watch`): the Node adapter on loopback, trusting
// the local development issuer unless a real issuer is configured. Under `sst dev` the stage's
// Auth0 secrets arrive as ARNs (no ECS to inject values), so they are read like the Lambda does.
try {
  const given: Record<string, string | undefined> = { ENVIRONMENT: "local", ...process.env };
  const env = given.AUTH0_ISSUER ? given : await withSecretValues(given);
  const useDevIssuer = !env.AUTH0_ISSUER;
  const config = parseConfig(
    useDevIssuer ? { ...env, AUTH0_ISSUER: DEV_ISSUER, AUTH0_AUDIENCE: DEV_AUDIENCE } : env,
    pkg.version,
  );
  // Refuse before loadDevIssuer() would create a key file outside local.
  if (useDevIssuer) assertDevIssuerAllowed(config);
  const overrides = useDevIssuer ? devIssuerOverrides(config, await loadDevIssuer()) : {};
  const running = await startNodeServer(config, {
    hostname: "127.0.0.1",
    overrides: { ...overrides, docsAssets: nodeDocsAssets() },
    drainTimeoutMs: 1_000,
  });
  console.log(`\nDoDeck ${pkg.version} (${config.environment}) listening on ${running.url}`);
  console.log(`  docs:  ${running.url}/docs`);
  if (useDevIssuer) {
    console.log("  try it:");
    console.log("    TOKEN=$(npm run -s token -- --sub alice --email alice@example.com)");
    console.log(
      `    curl -s -X POST ${running.url}/v1/decks -H "authorization: Bearer $TOKEN" -H "content-type: application/json" -d '{"name":"Groceries"}'`,
    );
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      await running.shutdown();
      process.exit(0);
    });
  }
} catch (error) {
  console.error(`dodeck dev: ${(error as Error).message}`);
  process.exit(1);
}
