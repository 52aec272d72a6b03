import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { handle } from "hono/aws-lambda";
import pkg from "../../../package.json" with { type: "json" };
import { withSecretValues } from "./secrets.ts";

type Handler = ReturnType<typeof handle>;

// Built once per cold start and kept for the container's life: the JWKS cache, the DynamoDB
// client's connections and the secrets survive across invocations. A failed build (say,
// Secrets Manager unreachable) is forgotten so the next invocation tries again.
let app: Promise<Handler> | undefined;

async function build(): Promise<Handler> {
  const config = parseConfig(await withSecretValues(process.env), pkg.version);
  return handle(createApp(createDeps(config)));
}

export const handler: Handler = async (event, context) => {
  app ??= build().catch((error) => {
    app = undefined;
    throw error;
  });
  return (await app)(event, context);
};
