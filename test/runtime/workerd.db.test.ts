import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestIssuer } from "../support/issuer.ts";
import { buildBundle } from "./build-once.ts";
import { describeRuntime } from "./cases.ts";
import { createRuntimeFixture, overHttp, startWorkerd, type Target } from "./support.ts";

// The built `dist/worker/index.mjs` in the real workerd binary, reaching DynamoDB Local and
// the JWKS over loopback with the AWS SDK's fetch handler.
let fixture: Awaited<ReturnType<typeof createRuntimeFixture>>;
let workerd: Awaited<ReturnType<typeof startWorkerd>>;
let target: Target;
let issuer: TestIssuer;

beforeAll(async () => {
  fixture = await createRuntimeFixture("rt-workerd");
  const bundle = await buildBundle("worker");
  workerd = await startWorkerd(bundle, fixture.env);
  target = overHttp(workerd.url);
  issuer = fixture.issuer;
});
afterAll(async () => {
  await workerd?.stop();
  await fixture?.close();
});

describeRuntime("Cloudflare workerd (dist/worker/index.mjs)", () => ({ target, issuer }));

// DynamoDB Local (without -sharedDb) keeps one database per access key: a worker given other
// keys in its bindings cannot see the test's table, which proves the bindings' credentials
// reach the SDK (Workers have no credential chain of their own).
it("signs DynamoDB requests with the AWS credentials from the worker's bindings", async () => {
  const other = await startWorkerd(await buildBundle("worker"), {
    ...fixture.env,
    AWS_ACCESS_KEY_ID: "another-account",
    AWS_SECRET_ACCESS_KEY: "another-secret",
  });
  try {
    expect((await fetch(`${workerd.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${other.url}/readyz`)).status).toBe(503);
  } finally {
    await other.stop();
  }
});
