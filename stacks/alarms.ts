import type { ApiHandle } from "./api.ts";
import type { ServiceHandle } from "./service.ts";
import type { AlarmPolicy, StagePolicy } from "./stage.ts";
import type { SweeperHandle } from "./sweeper.ts";
import type { TableHandle } from "./table.ts";

/** Operations the app sends; DynamoDB reports throttles and system errors per operation. */
export const dynamoOperations = [
  "GetItem",
  "BatchGetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "BatchWriteItem",
  "TransactWriteItems",
] as const;

const period = 300;

/**
 * CloudWatch Logs Insights query for the function's errors. The function logs in Lambda's
 * text format (stacks/api.ts), so each app line is `<time>\t<request id>\tINFO\t{json}` and
 * its `"level":"error"` is matched in the raw message; `\tERROR\t` catches what the Lambda
 * runtime itself reports (an uncaught error, a timeout's "Invoke Error").
 */
export const logErrorQuery =
  'fields @timestamp, @requestId, @message | filter @message like /"level":"error"/ or @message like /\tERROR\t/ | sort @timestamp desc';

export interface AlarmTargets {
  api?: ApiHandle;
  service?: ServiceHandle;
  sweeper?: SweeperHandle;
  table: TableHandle;
}

/** Returns the topic, or undefined when the stage's policy has no alarms. */
export function createAlarms(policy: StagePolicy, targets: AlarmTargets) {
  const alarms = policy.alarms;
  if (!alarms || $dev) return undefined;

  const topic = new aws.sns.Topic("Alarms", { name: `${$app.name}-${$app.stage}-alarms` });
  alarms.emails.forEach((email, index) => {
    // E-mail subscriptions stay "pending confirmation" until the recipient clicks the link.
    new aws.sns.TopicSubscription(`AlarmsEmail${index}`, {
      topic: topic.arn,
      protocol: "email",
      endpoint: email,
    });
  });

  const alarm = (
    id: string,
    args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "name">,
  ) =>
    new aws.cloudwatch.MetricAlarm(id, {
      name: `${$app.name}-${$app.stage}-${kebab(id)}`,
      alarmActions: [topic.arn],
      okActions: [topic.arn],
      // No traffic is not an outage; the 5xx-rate alarm also needs a minimum volume.
      treatMissingData: "notBreaching",
      ...args,
    });

  if (targets.api) lambdaAlarms(alarms, targets.api, alarm);
  if (targets.service) containerAlarms(alarms, targets.service, alarm);
  if (targets.table.table) dynamoAlarms(alarms, targets.table.table, alarm);
  if (targets.sweeper) sweeperAlarm(targets.sweeper, alarm);
  return topic;
}

type AlarmFactory = (
  id: string,
  args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "name">,
) => aws.cloudwatch.MetricAlarm;

function lambdaAlarms(alarms: AlarmPolicy, api: ApiHandle, alarm: AlarmFactory) {
  const functionName = api.fn.name;
  alarm("ApiLambdaErrors", {
    alarmDescription: `Lambda Api threw or timed out. First: Logs Insights on the function's log group: ${logErrorQuery}`,
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    period,
    evaluationPeriods: 1,
    threshold: alarms.lambdaErrors,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  alarm("ApiLambdaThrottles", {
    alarmDescription:
      "Lambda Api was throttled. First: the account's concurrent executions in the Lambda console and any reserved concurrency.",
    namespace: "AWS/Lambda",
    metricName: "Throttles",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    period,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
  alarm("ApiLambdaDuration", {
    alarmDescription:
      "Lambda Api p99 duration is high. First: the X-Ray service map for a slow DynamoDB or JWKS call, then cold starts.",
    namespace: "AWS/Lambda",
    metricName: "Duration",
    dimensions: { FunctionName: functionName },
    extendedStatistic: "p99",
    period,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: alarms.lambdaP99Ms,
    comparisonOperator: "GreaterThanThreshold",
  });
  const apiId = api.gateway.nodes.api.id;
  alarm("Api5xxRate", {
    alarmDescription:
      "HTTP API answers 5xx above the threshold rate. First: the API access log for the routes, then the Lambda errors alarm.",
    evaluationPeriods: 1,
    threshold: alarms.api5xxPercent,
    comparisonOperator: "GreaterThanThreshold",
    metricQueries: [
      {
        id: "rate",
        label: "5xx %",
        returnData: true,
        // A period without errors publishes no 5xx datapoint (and a quiet one no Count):
        // missing means 0, so the alarm reads OK rather than INSUFFICIENT_DATA.
        expression: `IF(FILL(requests, 0) >= ${alarms.api5xxMinRequests}, 100 * FILL(errors, 0) / FILL(requests, 0), 0)`,
      },
      apiMetric("errors", "5xx", apiId),
      apiMetric("requests", "Count", apiId),
    ],
  });
}

/**
 * Any failed sweep: a deck it could not finish (the function throws after trying the others),
 * a timeout or a crash. Over 15 minutes, one schedule period: a sweep that keeps failing
 * keeps the alarm in ALARM, one that recovers sends OK.
 */
function sweeperAlarm(sweeper: SweeperHandle, alarm: AlarmFactory) {
  alarm("SweeperErrors", {
    alarmDescription: `The deck-delete sweeper failed. First: Logs Insights on the sweeper's log group: ${logErrorQuery}; its error line names each deck and why. A rerun (npm run sweep against the stage's table) is always safe.`,
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: sweeper.cron.nodes.function.apply((fn) => fn.name) },
    statistic: "Sum",
    period: 900,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
}

function apiMetric(id: string, metricName: string, apiId: $util.Input<string>) {
  return {
    id,
    returnData: false,
    metric: {
      namespace: "AWS/ApiGateway",
      metricName,
      dimensions: { ApiId: apiId },
      stat: "Sum",
      period,
    },
  };
}

function containerAlarms(alarms: AlarmPolicy, handle: ServiceHandle, alarm: AlarmFactory) {
  const loadBalancer = handle.service.nodes.loadBalancer.arnSuffix;
  // SST does not expose the target group; the ECS service's load balancer block names it.
  const targetGroup = handle.service.nodes.service.loadBalancers.apply((entries) =>
    arnSuffix(entries?.[0]?.targetGroupArn ?? ""),
  );
  alarm("Container5xx", {
    alarmDescription:
      "Container or its load balancer answered 5xx. First: the service's log group, then ECS events for task restarts.",
    evaluationPeriods: 1,
    threshold: alarms.container5xx,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    metricQueries: [
      {
        id: "total",
        label: "ALB + target 5xx",
        returnData: true,
        expression: "FILL(target, 0) + FILL(elb, 0)",
      },
      albMetric("target", "HTTPCode_Target_5XX_Count", { LoadBalancer: loadBalancer }),
      albMetric("elb", "HTTPCode_ELB_5XX_Count", { LoadBalancer: loadBalancer }),
    ],
  });
  alarm("ContainerUnhealthyTargets", {
    alarmDescription:
      "The load balancer sees unhealthy container targets (/healthz failing). First: ECS stopped-task reasons, e.g. a missing Auth0 secret value.",
    namespace: "AWS/ApplicationELB",
    metricName: "UnHealthyHostCount",
    dimensions: { LoadBalancer: loadBalancer, TargetGroup: targetGroup },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
}

function albMetric(
  id: string,
  metricName: string,
  dimensions: Record<string, $util.Input<string>>,
) {
  return {
    id,
    returnData: false,
    metric: { namespace: "AWS/ApplicationELB", metricName, dimensions, stat: "Sum", period },
  };
}

function dynamoAlarms(alarms: AlarmPolicy, table: sst.aws.Dynamo, alarm: AlarmFactory) {
  const sumOver = (metricName: string) => [
    {
      id: "total",
      label: `${metricName}, all operations`,
      returnData: true,
      expression: `SUM([${dynamoOperations.map((_, i) => `m${i}`).join(", ")}])`,
    },
    ...dynamoOperations.map((operation, i) => ({
      id: `m${i}`,
      returnData: false,
      metric: {
        namespace: "AWS/DynamoDB",
        metricName,
        dimensions: { TableName: table.name, Operation: operation },
        stat: "Sum",
        period,
      },
    })),
  ];
  alarm("DynamoThrottles", {
    alarmDescription:
      "DynamoDB throttled requests (on-demand table). First: hot partitions in CloudWatch Contributor Insights, then the table's account limits.",
    evaluationPeriods: 1,
    threshold: alarms.dynamoThrottles,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    metricQueries: sumOver("ThrottledRequests"),
  });
  alarm("DynamoSystemErrors", {
    alarmDescription:
      "DynamoDB returned 500s (service side). First: the AWS Health Dashboard for DynamoDB in this region; the SDK retries them.",
    evaluationPeriods: 1,
    threshold: alarms.dynamoSystemErrors,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    metricQueries: sumOver("SystemErrors"),
  });
}

/** `arn:aws:elasticloadbalancing:r:a:targetgroup/name/id` → `targetgroup/name/id`, the metric dimension. */
export function arnSuffix(arn: string) {
  return arn.split(":").slice(5).join(":");
}

function kebab(id: string) {
  return id.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}
