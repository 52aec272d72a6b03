import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { afterAll, beforeAll } from "vitest";
import type { TestIssuer } from "../support/issuer.ts";
import { describeRuntime } from "./cases.ts";
import { createRuntimeFixture, type Target } from "./support.ts";

// The app with production wiring (remote JWKS, the bounded DynamoDB client), no adapter.
let target: Target;
let issuer: TestIssuer;
let close: () => Promise<void>;

beforeAll(async () => {
  const fixture = await createRuntimeFixture("rt-app");
  const app = createApp(createDeps(parseConfig(fixture.env, "0.0.0-test")));
  target = { fetch: async (request) => app.fetch(request) };
  issuer = fixture.issuer;
  close = fixture.close;
});
afterAll(() => close?.());

describeRuntime("in-process app", () => ({ target, issuer }));
