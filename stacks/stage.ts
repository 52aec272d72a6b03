/**
 * Stage policy: the only place where stages differ. Everything in `stacks/` reads this
 * object and never looks at the stage name itself, so "what does prod have that dev does
 * not" is answered by reading one function. Pure on purpose: no SST globals, so it is
 * unit-tested without the platform.
 */

/** Keys of SST's log retention table (`logging.retention`, `accessLog.retention`). */
export type LogRetention = "1 week" | "1 month" | "3 months" | "1 year";

export type Profile = "dev" | "staging" | "prod";

export interface AlarmPolicy {
  /** E-mail addresses subscribed to the stage's SNS topic (each must confirm once). */
  emails: string[];
  /** Lambda `Errors` summed over 5 minutes at or above which the alarm fires. */
  lambdaErrors: number;
  /** Lambda p99 `Duration` in milliseconds, over 5 minutes. */
  lambdaP99Ms: number;
  /** API Gateway 5xx responses as a percentage of requests, over 5 minutes. */
  api5xxPercent: number;
  /** Requests in 5 minutes below which the 5xx rate is not judged (one error in two requests is not an outage). */
  api5xxMinRequests: number;
  /** ALB target + load balancer 5xx responses over 5 minutes (container only). */
  container5xx: number;
  /** DynamoDB throttled requests, summed over operations, over 5 minutes. */
  dynamoThrottles: number;
  /** DynamoDB system errors, summed over operations, over 5 minutes. */
  dynamoSystemErrors: number;
}

export interface StagePolicy {
  stage: string;
  profile: Profile;
  /** Value of the app's `ENVIRONMENT` variable; personal and PR stages run as `dev`. */
  environment: Profile;
  /** What `sst remove` (and replacement) does with stateful resources. */
  removal: "remove" | "retain";
  /**
   * SST's app-level `protect`: the SST CLI refuses `sst remove` for the stage. It is not
   * Pulumi's per-resource `protect`: a deploy whose program drops a resource still deletes
   * it (only `removal: "retain"` keeps the table), so it does not guard against `sst dev`
   * either; `assertDeployable` does that.
   */
  protect: boolean;
  table: { deletionProtection: boolean; pointInTimeRecovery: boolean };
  /** Days a deleted Secrets Manager secret can be restored; 0 deletes at once so a dev stage can be re-created under the same name. */
  secretRecoveryDays: 0 | 7 | 30;
  logRetention: LogRetention;
  logLevel: "debug" | "info";
  requireEmailVerified: boolean;
  corsOrigins: string[];
  compute: { lambda: boolean; container: boolean };
  /** Custom domains (Route 53 hosted zone `dodeck.app` must exist in the account). */
  domain: { api?: string; container?: string };
  /** `null` means no alarms and no SNS topic. */
  alarms: AlarmPolicy | null;
  /**
   * API Gateway's throttle on the stage's `$default` route (token bucket: steady requests per
   * second, and the bucket size a burst may use); beyond it the gateway answers 429 before
   * the function runs, so a flood costs neither Lambda time nor DynamoDB capacity.
   *
   * The container's load balancer has no throttle of its own, so AWS WAF applies the same
   * stage-wide rate there (`rateLimit` × 60 per minute; WAF counts over a window, it has no
   * bucket, so `burstLimit` has no equivalent), plus `perClientPerMinute` per client IP,
   * which API Gateway cannot express: one client cannot use up the whole stage's rate.
   */
  throttle: { rateLimit: number; burstLimit: number; perClientPerMinute: number };
}

export type Compute = "lambda" | "container" | "both";

export interface PolicyOverrides {
  /** Lets a personal stage try the container: `DODECK_COMPUTE=both sst deploy --stage alice`. */
  compute?: Compute;
}

// SST derives physical names (and we derive secret names) from the stage; AWS names
// allow letters, digits and hyphens, and the whole name must stay short.
const stageName = /^[a-z][a-z0-9-]{0,23}$/;

/**
 * Stages that CI deploys and people share. `sst dev` must never run on them: under `$dev`
 * the program declares no table, no alarms and no ECS resources, so Pulumi would delete
 * the stage's table (dev) or replace it by an empty one on the next deploy (staging).
 */
export const sharedStages = ["dev", "staging", "prod"] as const;

/** Throws, before any resource is declared, when `sst dev` targets a shared stage. */
export function assertDeployable(stage: string, dev: boolean): void {
  if (!dev || !(sharedStages as readonly string[]).includes(stage)) return;
  throw new Error(
    `Refusing \`sst dev\` on the shared stage "${stage}": it would delete or replace the stage's table, alarms and container. Use a personal stage (npx sst dev --stage <your-name>); ${sharedStages.join(", ")} are deployed only by the Deploy workflow.`,
  );
}

/**
 * Secret names are part of the operator contract (`aws secretsmanager put-secret-value`);
 * here, with no SST globals, so the deploy workflow's scripts can name them too.
 */
export function secretNames(stage: string) {
  return {
    issuer: `dodeck/${stage}/auth0-issuer`,
    audience: `dodeck/${stage}/auth0-audience`,
  };
}

export function profileOf(stage: string): Profile {
  if (stage === "prod") return "prod";
  if (stage === "staging") return "staging";
  // `dev`, personal stages (alice) and PR stages (pr-123) all get the dev profile.
  return "dev";
}

export function stagePolicy(stage: string, overrides: PolicyOverrides = {}): StagePolicy {
  if (!stageName.test(stage)) {
    throw new Error(
      `Invalid stage "${stage}": use 1-24 lower-case letters, digits or hyphens, starting with a letter`,
    );
  }
  const profile = profileOf(stage);
  const base = profiles[profile];
  const compute = overrides.compute ? computeOf(overrides.compute) : base.compute;
  return { ...base, stage, compute };
}

export function computeOf(value: string): StagePolicy["compute"] {
  switch (value) {
    case "lambda":
      return { lambda: true, container: false };
    case "container":
      return { lambda: false, container: true };
    case "both":
      return { lambda: true, container: true };
    default:
      throw new Error(`Invalid DODECK_COMPUTE "${value}": use lambda, container or both`);
  }
}

const profiles: Record<Profile, Omit<StagePolicy, "stage">> = {
  dev: {
    profile: "dev",
    environment: "dev",
    removal: "remove",
    protect: false,
    // Throw-away data: no backups, and `sst remove` must be able to delete the table.
    table: { deletionProtection: false, pointInTimeRecovery: false },
    secretRecoveryDays: 0,
    logRetention: "1 week",
    logLevel: "debug",
    requireEmailVerified: true,
    corsOrigins: ["http://localhost:3000", "http://localhost:5173"],
    compute: { lambda: true, container: false },
    domain: {},
    alarms: null,
    // Personal and PR stages serve a developer and CI, not users.
    throttle: { rateLimit: 50, burstLimit: 100, perClientPerMinute: 1200 },
  },
  staging: {
    profile: "staging",
    environment: "staging",
    removal: "retain",
    protect: false,
    table: { deletionProtection: true, pointInTimeRecovery: true },
    secretRecoveryDays: 7,
    logRetention: "1 month",
    logLevel: "info",
    requireEmailVerified: true,
    corsOrigins: ["https://staging.dodeck.app"],
    // Staging runs both so the container path (image, ECS secret injection, ALB health
    // checks) is exercised before anyone relies on it; prod stays on Lambda by default.
    compute: { lambda: true, container: true },
    domain: { api: "api.staging.dodeck.app", container: "ecs.staging.dodeck.app" },
    alarms: {
      emails: ["dodeck-staging-alerts@dodeck.app"],
      lambdaErrors: 5,
      lambdaP99Ms: 5000,
      api5xxPercent: 5,
      api5xxMinRequests: 20,
      container5xx: 10,
      dynamoThrottles: 10,
      dynamoSystemErrors: 1,
    },
    // Enough for load tests of a release candidate, far below the account's 10,000 rps.
    throttle: { rateLimit: 200, burstLimit: 400, perClientPerMinute: 3000 },
  },
  prod: {
    profile: "prod",
    environment: "prod",
    removal: "retain",
    protect: true,
    table: { deletionProtection: true, pointInTimeRecovery: true },
    secretRecoveryDays: 30,
    logRetention: "1 year",
    logLevel: "info",
    requireEmailVerified: true,
    corsOrigins: ["https://dodeck.app", "https://www.dodeck.app"],
    compute: { lambda: true, container: false },
    domain: { api: "api.dodeck.app", container: "ecs.dodeck.app" },
    alarms: {
      emails: ["dodeck-oncall@dodeck.app"],
      lambdaErrors: 3,
      lambdaP99Ms: 3000,
      api5xxPercent: 1,
      api5xxMinRequests: 50,
      container5xx: 5,
      dynamoThrottles: 1,
      dynamoSystemErrors: 1,
    },
    // Generous for real use, and a ceiling on what one abusive client can cost; raise it here.
    throttle: { rateLimit: 1000, burstLimit: 2000, perClientPerMinute: 6000 },
  },
};
