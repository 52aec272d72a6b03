import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { createLocalJWKSet } from "jose";
import pkg from "../package.json" with { type: "json" };

/**
 * The document exactly as the real app serves it at /openapi.json (no table is touched:
 * building the app and its document reads nothing), for the linters and the client generator.
 */
export async function servedDocument(): Promise<string> {
  const config = parseConfig(
    {
      AUTH0_ISSUER: "https://tenant.example.com/",
      AUTH0_AUDIENCE: "https://api.example.com",
      ENVIRONMENT: "local",
    },
    pkg.version,
  );
  const app = createApp(
    createDeps(config, { keys: createLocalJWKSet({ keys: [] }), log: () => {} }),
  );
  const response = await app.request("/openapi.json");
  if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
  return `${JSON.stringify(await response.json(), null, 2)}\n`;
}
