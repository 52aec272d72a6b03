import { pathToFileURL } from "node:url";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultProvider } from "../../packages/functions/src/adapters/lambda-credentials.ts";
import { createLambdaHandler } from "../../packages/functions/src/lambda.ts";
import type { TestIssuer } from "../support/issuer.ts";
import { buildBundle } from "./build-once.ts";
import { describeRuntime } from "./cases.ts";
import apiGatewayFixture from "./fixtures/api-gateway-v2-event.json" with { type: "json" };
import functionUrlFixture from "./fixtures/function-url-event.json" with { type: "json" };
import {
  createRuntimeFixture,
  lambdaContext,
  type Target,
  throughLambda,
  toLambdaEvent,
} from "./support.ts";

type Handler = (event: APIGatewayProxyEventV2, context: unknown) => Promise<unknown>;

// The built, minified `dist/lambda/index.mjs`, imported the way the Lambda runtime does: its
// exported `handler` is configured from process.env on the first invocation (one cold start
// for this file; both event flavours share it, so the JWKS cache lives across invocations).
let handler: Handler;
let issuer: TestIssuer;
let jwksHits: () => number;
let close: () => Promise<void>;

beforeAll(async () => {
  const fixture = await createRuntimeFixture("rt-lambda");
  Object.assign(process.env, fixture.env);
  const bundle = await buildBundle("lambda");
  ({ handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler });
  issuer = fixture.issuer;
  jwksHits = () => fixture.jwks.state.hits;
  close = fixture.close;
});
afterAll(() => close?.());

const apiGateway: { current?: Target } = {};
const functionUrl: { current?: Target } = {};
describeRuntime("Lambda (API Gateway HTTP API, payload 2.0)", () => {
  apiGateway.current ??= throughLambda(handler, "api-gateway");
  return { target: apiGateway.current, issuer };
});
describeRuntime("Lambda (Function URL)", () => {
  functionUrl.current ??= throughLambda(handler, "function-url");
  return { target: functionUrl.current, issuer };
});

const invoke = async (event: unknown) =>
  (await handler(
    event as APIGatewayProxyEventV2,
    lambdaContext(),
  )) as APIGatewayProxyStructuredResultV2;

describe("Lambda event handling", () => {
  it("accepts AWS's documented example events verbatim (an unknown path: 404 problem+json)", async () => {
    for (const fixture of [apiGatewayFixture, functionUrlFixture]) {
      const result = await invoke(fixture);
      expect(result.statusCode).toBe(404);
      expect(result.headers?.["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(result.body ?? "")).toMatchObject({ code: "not_found" });
    }
  });

  it("decodes a base64 body and answers JSON as text, not base64", async () => {
    const token = await issuer.tokenFor({ sub: "auth0|b64" });
    const event = await toLambdaEvent(
      new Request("http://x/v1/decks", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Ünïcode ✓" }),
      }),
      "api-gateway",
    );
    expect(event.isBase64Encoded).toBe(true);
    const result = await invoke(event);
    expect(result.statusCode).toBe(201);
    expect(result.isBase64Encoded).toBe(false);
    expect(JSON.parse(result.body ?? "").name).toBe("Ünïcode ✓");
  });

  it("fetched the issuer's JWKS once for every invocation of this container", () => {
    expect(jwksHits()).toBe(1);
  });
});

describe("Lambda cold start configuration", () => {
  const env = {
    AUTH0_ISSUER_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:issuer",
    AUTH0_AUDIENCE_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:audience",
    ENVIRONMENT: "dev",
    LOG_LEVEL: "error",
  };
  const values: Record<string, string> = {
    [env.AUTH0_ISSUER_SECRET_ARN]: "https://tenant.example.com/\n",
    [env.AUTH0_AUDIENCE_SECRET_ARN]: "https://api.dodeck.test",
  };
  // hono/aws-lambda's own event type differs from @types/aws-lambda in nullability only.
  const healthz = async () =>
    (await toLambdaEvent(new Request("http://x/healthz"), "function-url")) as never;

  it("reads the Auth0 secrets once per cold start, not per invocation", async () => {
    const asked: string[] = [];
    const secrets = {
      send: async (command: { input: { SecretId?: string } }) => {
        asked.push(command.input.SecretId ?? "");
        return { SecretString: values[command.input.SecretId ?? ""] };
      },
    };
    const coldStart = createLambdaHandler({ env, secrets: secrets as never });
    for (let i = 0; i < 3; i++) {
      const result = (await coldStart(await healthz(), lambdaContext())) as { statusCode: number };
      expect(result.statusCode).toBe(200);
    }
    expect(asked.sort()).toEqual([env.AUTH0_AUDIENCE_SECRET_ARN, env.AUTH0_ISSUER_SECRET_ARN]);
  });

  it("fails an invocation when Secrets Manager fails, and tries again on the next", async () => {
    let calls = 0;
    const secrets = {
      send: async (command: { input: { SecretId?: string } }) => {
        calls++;
        if (calls <= 2)
          throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
        return { SecretString: values[command.input.SecretId ?? ""] };
      },
    };
    const coldStart = createLambdaHandler({ env, secrets: secrets as never });
    await expect(coldStart(await healthz(), lambdaContext())).rejects.toThrow("throttled");
    const result = (await coldStart(await healthz(), lambdaContext())) as { statusCode: number };
    expect(result.statusCode).toBe(200);
  });

  it("refuses to start, naming the setting, when a secret has no value", async () => {
    const secrets = { send: async () => ({}) };
    const coldStart = createLambdaHandler({ env, secrets: secrets as never });
    await expect(coldStart(await healthz(), lambdaContext())).rejects.toThrow(
      /AUTH0_(ISSUER|AUDIENCE): the secret .* has no value/,
    );
  });
});

describe("Lambda credentials (the bundle's stand-in for the SDK's default chain)", () => {
  it("takes the role's credentials from the environment Lambda sets", async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "ASIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "token",
    });
    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "secret",
      sessionToken: "token",
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
  });
});
