import {
  createApp,
  createDeps,
  createDynamoClient,
  parseConfig,
  problemResponse,
} from "@dodeck/api";
import { AppError } from "@dodeck/core";
import type { ExecutionContext } from "hono";
import pkg from "../../../package.json" with { type: "json" };

/**
 * The Cloudflare Workers entry. Workers have no process environment: configuration arrives
 * as `env` bindings on every request (the same names as everywhere else, as plain-text vars
 * and secrets), so the app is built on the first request and kept for the isolate's life,
 * which keeps the JWKS cache and the DynamoDB client across requests.
 */
type Bindings = Record<string, unknown>;
type App = ReturnType<typeof createApp>;

let app: App | Response | undefined;

function build(env: Bindings): App | Response {
  // Only string bindings are configuration; KV namespaces, service bindings etc. are objects.
  const record = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  try {
    const config = parseConfig(record, pkg.version);
    // Workers have no AWS credential chain: real DynamoDB needs keys from Worker secrets.
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = record;
    const credentials =
      accessKeyId && secretAccessKey
        ? {
            accessKeyId,
            secretAccessKey,
            ...(record.AWS_SESSION_TOKEN ? { sessionToken: record.AWS_SESSION_TOKEN } : {}),
          }
        : undefined;
    return createApp(
      createDeps(config, credentials ? { dynamo: createDynamoClient(config, credentials) } : {}),
    );
  } catch (error) {
    // An isolate has no start-up to stop: log the one clear line and refuse every request.
    console.error(`dodeck: invalid configuration: ${(error as Error).message}`);
    return problemResponse(new AppError("internal_error", "The service is misconfigured."));
  }
}

export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= build(env);
    return app instanceof Response ? app.clone() : app.fetch(request, env, ctx);
  },
};
