import { afterAll, beforeAll } from "vitest";
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
