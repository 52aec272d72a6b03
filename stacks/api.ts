import { appEnvironment } from "./environment.ts";
import { bundledHandler } from "./lambda-bundle.ts";
import type { SecretsHandle } from "./secrets.ts";
import type { StagePolicy } from "./stage.ts";
import type { TableHandle } from "./table.ts";

export const lambdaHandler = "packages/functions/src/lambda.handler";

export interface ApiHandle {
  fn: sst.aws.Function;
  gateway: sst.aws.ApiGatewayV2;
}

/**
 * The Lambda adapter behind an HTTP API: one function answers every route (`$default`).
 * `bundle` is the directory `buildLambdaBundle()` built (deployed stages); without it (under
 * `sst dev`) SST bundles the source handler itself and runs it on the laptop, where the SDK's
 * full credential chain is what finds a developer's profile.
 */
export function createApi(
  policy: StagePolicy,
  table: TableHandle,
  secrets: SecretsHandle,
  bundle?: string,
) {
  const fn = new sst.aws.Function("Api", {
    ...(bundle ? { bundle, handler: bundledHandler } : { handler: lambdaHandler }),
    // Node 22 rather than 20: the code targets Node >= 20, and nodejs20.x leaves Lambda's
    // support window in 2026.
    runtime: "nodejs22.x",
    // Pure JavaScript bundle, so Graviton is a free ~20% price cut.
    architecture: "arm64",
    memory: "1024 MB",
    // API Gateway gives up after 30 s; the app bounds DynamoDB calls well below that.
    timeout: "29 seconds",
    link: [table.link, secrets.issuer, secrets.audience],
    environment: appEnvironment(policy, table, secrets),
    // Text format: the app already writes one JSON object per line, and Lambda's JSON format
    // would wrap each line as a string `message` under its own `level: INFO`. In text format a
    // line reads `<time>\t<request id>\tINFO\t{"level":"error",...}`, which the alarm runbook's
    // query (`logErrorQuery` in alarms.ts) matches.
    logging: { retention: policy.logRetention, format: "text" },
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
    transform: {
      // Per-stage edge throttling (issue 13 item 6): over the policy's rate the gateway
      // answers 429 itself, before the function is invoked.
      stage: (args) => {
        args.defaultRouteSettings = {
          throttlingRateLimit: policy.throttle.rateLimit,
          throttlingBurstLimit: policy.throttle.burstLimit,
        };
      },
    },
  });
  gateway.route("$default", fn.arn);

  return { fn, gateway } satisfies ApiHandle;
}
