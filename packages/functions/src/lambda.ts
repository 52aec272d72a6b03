import { createApp, createDeps, createLogger, parseConfig } from "@dodeck/api";
import { handle } from "hono/aws-lambda";
import { LinearRouter } from "hono/router/linear-router";
import pkg from "../../../package.json" with { type: "json" };
import { type SecretsClient, withSecretValues } from "./adapters/secrets.ts";

type Handler = ReturnType<typeof handle>;

export type LambdaOptions = {
  /** The environment to configure from (process.env in production). */
  env?: Record<string, string | undefined>;
  /** A Secrets Manager client other than the default one (tests count its calls). */
  secrets?: SecretsClient;
};

/**
 * The Lambda entry: API Gateway HTTP API (payload v2) and Function URL events through
 * hono/aws-lambda. The app is built on the first invocation of a container, not at import,
 * because the Auth0 settings come from Secrets Manager and a top-level await that fails
 * would poison the container. It is then kept for the container's life: the JWKS cache, the
 * DynamoDB client's connections and the secret values survive across invocations. A failed
 * build (Secrets Manager unreachable, a bad setting) is logged in one line and forgotten, so
 * the next invocation tries again instead of the container failing forever.
 */
export function createLambdaHandler(options: LambdaOptions = {}): Handler {
  let app: Promise<Handler> | undefined;

  async function build(): Promise<Handler> {
    const env = options.env ?? process.env;
    try {
      const config = parseConfig(await withSecretValues(env, options.secrets), pkg.version);
      return handle(createApp(createDeps(config), { router: new LinearRouter() }));
    } catch (error) {
      createLogger("error")("error", `dodeck: cannot start: ${(error as Error).message}`);
      throw error;
    }
  }

  return async (event, context) => {
    app ??= build().catch((error) => {
      app = undefined;
      throw error;
    });
    return (await app)(event, context);
  };
}

export const handler: Handler = createLambdaHandler();
