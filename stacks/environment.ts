import type { SecretsHandle } from "./secrets.ts";
import type { StagePolicy } from "./stage.ts";
import type { TableHandle } from "./table.ts";

/**
 * The environment both adapters read (SPEC "Configuration"). Only names and ARNs: secret
 * values are fetched at runtime (Lambda) or injected by ECS (container).
 */
export function appEnvironment(
  policy: StagePolicy,
  table: TableHandle,
  secrets: SecretsHandle,
): Record<string, $util.Input<string>> {
  return {
    ENVIRONMENT: policy.environment,
    TABLE_NAME: table.name,
    CORS_ALLOWED_ORIGINS: policy.corsOrigins.join(","),
    LOG_LEVEL: policy.logLevel,
    REQUIRE_EMAIL_VERIFIED: String(policy.requireEmailVerified),
    AUTH0_ISSUER_SECRET_ARN: secrets.issuer.arn,
    AUTH0_AUDIENCE_SECRET_ARN: secrets.audience.arn,
    ...(table.endpoint ? { DYNAMODB_ENDPOINT_URL: table.endpoint } : {}),
  };
}
