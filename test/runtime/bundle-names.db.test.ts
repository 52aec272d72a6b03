import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JwksServer, startJwksServer } from "../support/jwks-server.ts";
import { buildBundle } from "./build-once.ts";
import { createRuntimeFixture, startServerProcess } from "./support.ts";

/**
 * Error names in the production bundle's logs. The bundles are minified; a library whose
 * errors take their name from their class (jose: `this.name = this.constructor.name`) would
 * log `Ae` instead of `JWKSInvalid` unless the build pins those names (scripts/build.ts,
 * `joseErrorNames`, cheaper at cold start than esbuild's `keepNames`).
 */
let fixture: Awaited<ReturnType<typeof createRuntimeFixture>>;
let jwks: JwksServer;
let server: Awaited<ReturnType<typeof startServerProcess>>;

beforeAll(async () => {
  fixture = await createRuntimeFixture("rt-names");
  // An issuer whose JWKS answers JSON that is not a key set: jose throws JWKSInvalid.
  jwks = await startJwksServer(fixture.issuer.jwks);
  await jwks.setMode("notJwks");
  const bundle = await buildBundle("server");
  server = await startServerProcess(bundle, {
    ...fixture.env,
    AUTH0_JWKS_URL: jwks.url,
    LOG_LEVEL: "info",
  });
});
afterAll(async () => {
  await server?.stop();
  await jwks?.stop();
  await fixture?.close();
});

describe("the built Node server's logs", () => {
  it("name a library's error by its class, not by its minified name", async () => {
    const token = await fixture.issuer.tokenFor({ sub: "auth0|names" });
    const response = await fetch(`${server.url}/v1/decks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(503);
    const deadline = Date.now() + 3_000;
    let outage: { error?: string } | undefined;
    while (!outage && Date.now() < deadline) {
      outage = server.lines
        .map((line) => JSON.parse(line) as { message: string; error?: string })
        .find((line) => line.message.startsWith("JWKS unreachable"));
      if (!outage) await new Promise((done) => setTimeout(done, 50));
    }
    expect(outage?.error).toMatch(/^JWKSInvalid: /);
  });
});
