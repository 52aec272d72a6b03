import { appEnvironment } from "./environment.ts";
import type { SecretsHandle } from "./secrets.ts";
import type { StagePolicy } from "./stage.ts";
import type { TableHandle } from "./table.ts";

export const lambdaHandler = "packages/functions/src/lambda.handler";

export interface ApiHandle {
  fn: sst.aws.Function;
  gateway: sst.aws.ApiGatewayV2;
}

/** The Lambda adapter behind an HTTP API: one function answers every route (`$default`). */
export function createApi(policy: StagePolicy, table: TableHandle, secrets: SecretsHandle) {
  const fn = new sst.aws.Function("Api", {
    handler: lambdaHandler,
    // Node 22 rather than 20: the code targets Node >= 20, and nodejs20.x leaves Lambda's
    // support window in 2026.
    runtime: "nodejs22.x",
    // Pure JavaScript bundle, so Graviton is a free ~20% price cut.
    architecture: "arm64",
    memory: "1024 MB",
    // API Gateway gives up after 30 s; the app bounds DynamoDB calls well below that.
    timeout: "29 seconds",
    // Bundled like `npm run build`'s dist/lambda: the SDK's tree-shakable ESM builds and, when
    // deployed, the environment-only credential provider (`sst dev` keeps the SDK's full
    // chain, since a function running on a laptop gets credentials from a profile).
    nodejs: {
      format: "esm",
      minify: true,
      esbuild: { mainFields: ["module", "main"] },
      ...($dev ? {} : { plugins: "./stacks/lambda-esbuild-plugins.mjs" }),
    },
    link: [table.link, secrets.issuer, secrets.audience],
    environment: appEnvironment(policy, table, secrets),
    logging: { retention: policy.logRetention, format: "json" },
    // Active tracing needs the daemon-write actions, which SST does not add by itself.
    permissions: [
      { actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
    ],
    transform: {
      function: (args) => {
        args.tracingConfig = { mode: "Active" };
      },
    },
  });

  const gateway = new sst.aws.ApiGatewayV2("ApiGateway", {
    ...(policy.domain.api ? { domain: policy.domain.api } : {}),
    // The app answers CORS itself from CORS_ALLOWED_ORIGINS; the gateway's own CORS would
    // answer preflights for any origin before the app sees them.
    cors: false,
    accessLog: { retention: policy.logRetention },
  });
  gateway.route("$default", fn.arn);

  return { fn, gateway } satisfies ApiHandle;
}
