import { edgeThrottleRules, throttledResponse, windowSeconds } from "./edge-throttle-rules.ts";
import type { StagePolicy } from "./stage.ts";

/**
 * Throttles the container at its load balancer (an ALB has no rate limit of its own): an AWS
 * WAF web ACL with the policy's rate rules, answering 429 like API Gateway does on the Lambda
 * path. Costs about $7/month per stage plus $0.60 per million requests (docs/infrastructure.md).
 */
export function throttleLoadBalancer(policy: StagePolicy, loadBalancerArn: $util.Input<string>) {
  const name = `${$app.name}-${$app.stage}-container`;
  const visibility = (metricName: string) => ({
    cloudwatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  const acl = new aws.wafv2.WebAcl("ContainerThrottle", {
    name,
    scope: "REGIONAL",
    defaultAction: { allow: {} },
    customResponseBodies: [
      {
        key: throttledResponse.bodyKey,
        contentType: "APPLICATION_JSON",
        content: throttledResponse.body,
      },
    ],
    rules: edgeThrottleRules(policy).map((rule, priority) => ({
      name: rule.name,
      priority,
      action: {
        block: {
          customResponse: {
            responseCode: throttledResponse.status,
            customResponseBodyKey: throttledResponse.bodyKey,
            responseHeaders: [
              { name: "Retry-After", value: String(throttledResponse.retryAfterSeconds) },
            ],
          },
        },
      },
      statement: {
        rateBasedStatement: {
          limit: rule.limit,
          evaluationWindowSec: windowSeconds,
          aggregateKeyType: rule.aggregate,
          // WAF counts CONSTANT-keyed requests only under a scope-down statement; this one
          // matches every request (every path starts with "/").
          ...(rule.aggregate === "CONSTANT"
            ? {
                scopeDownStatement: {
                  byteMatchStatement: {
                    fieldToMatch: { uriPath: {} },
                    positionalConstraint: "STARTS_WITH",
                    searchString: "/",
                    textTransformations: [{ priority: 0, type: "NONE" }],
                  },
                },
              }
            : {}),
        },
      },
      visibilityConfig: visibility(`${name}-${rule.name}`),
    })),
    visibilityConfig: visibility(name),
  });
  new aws.wafv2.WebAclAssociation("ContainerThrottleAssociation", {
    resourceArn: loadBalancerArn,
    webAclArn: acl.arn,
  });
  return acl;
}
