/**
 * The container's edge throttle as AWS WAF rules, derived from the stage policy. Pure (no SST
 * globals) so it is unit-tested without the platform; `stacks/edge-throttle.ts` declares it.
 */
import type { StagePolicy } from "./stage.ts";

/** WAF counts requests over this window; 60 s is the shortest it offers. */
export const windowSeconds = 60;

/**
 * What a throttled client gets: the status and body API Gateway answers on the Lambda path,
 * so a client handles one shape whichever compute serves the stage, plus the window as
 * `Retry-After`, which the gateway does not send.
 */
export const throttledResponse = {
  status: 429,
  bodyKey: "TooManyRequests",
  body: JSON.stringify({ message: "Too Many Requests" }),
  retryAfterSeconds: windowSeconds,
} as const;

export interface RateRule {
  name: string;
  /** Requests allowed per window before WAF blocks: per client IP, or for all clients together. */
  limit: number;
  aggregate: "IP" | "CONSTANT";
}

export function edgeThrottleRules(policy: StagePolicy): RateRule[] {
  return [
    { name: "PerClient", limit: policy.throttle.perClientPerMinute, aggregate: "IP" },
    // The stage-wide rate API Gateway enforces on the Lambda path, per window.
    { name: "WholeStage", limit: policy.throttle.rateLimit * windowSeconds, aggregate: "CONSTANT" },
  ];
}
