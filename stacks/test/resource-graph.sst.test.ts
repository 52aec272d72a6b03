/**
 * The SST program executed per stage against Pulumi mocks: what `sst deploy` would ask AWS
 * to create. Needs the SST platform (.sst/platform), installed offline when missing.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger } from "@dodeck/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTargets } from "../../scripts/build.ts";
import { ensureSstPlatform } from "../../scripts/sst-platform.ts";
import { type StagePolicy, sharedStages, stagePolicy } from "../stage.ts";
import { sweepSchedule } from "../sweeper-settings.ts";
import { type GraphRun, ofType, one, roleStatements, runGraph, unsecret } from "./graph.ts";

// Mirrors stacks/table.ts on purpose: a widened grant must fail here, not be copied along.
const tableActions = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
];

const deployed = ["dev", "alice", "staging", "prod"] as const;
const graphs: Record<string, GraphRun> = {};
let devMode: GraphRun;
let devBoth: GraphRun;
/** What run() did when `sst dev` targeted each shared stage. */
const devOnShared: Record<string, unknown> = {};

beforeAll(async () => {
  await ensureSstPlatform();
  const runs = await Promise.all([
    ...deployed.map((stage) => runGraph(stage, "deploy")),
    runGraph("alice", "dev"),
    runGraph("bob", "dev", { DODECK_COMPUTE: "both" }),
  ]);
  deployed.forEach((stage, i) => {
    graphs[stage] = runs[i]!;
  });
  devMode = runs[deployed.length]!;
  devBoth = runs[deployed.length + 1]!;
  const refused = await Promise.all(
    sharedStages.map((stage) =>
      runGraph(stage, "dev").then(
        (run) => run,
        (error) => error,
      ),
    ),
  );
  sharedStages.forEach((stage, i) => {
    devOnShared[stage] = refused[i];
  });
}, 240_000);

afterAll(() => {
  for (const run of [...Object.values(graphs), devMode, devBoth]) {
    if (run) rmSync(run.work, { recursive: true, force: true });
  }
});

const table = (g: GraphRun) => one(g, "aws:dynamodb/table:Table");
const secrets = (g: GraphRun) => ofType(g, "aws:secretsmanager/secret:Secret");
const secretArns = (g: GraphRun) =>
  secrets(g)
    .map((s) => String(s.state.arn))
    .sort();
const lambda = (g: GraphRun) => one(g, "aws:lambda/function:Function", "ApiFunction");
const lambdaEnv = (g: GraphRun) =>
  (lambda(g).inputs.environment as { variables: Record<string, string> }).variables;

describe.each(deployed)("stage %s", (stage) => {
  const policy: StagePolicy = stagePolicy(stage);
  const g = () => graphs[stage]!;

  it("creates the table with the shared key schema, on demand", () => {
    const t = table(g()).inputs;
    expect(t.hashKey).toBe("PK");
    expect(t.rangeKey).toBe("SK");
    expect(t.attributes).toEqual([
      { name: "PK", type: "S" },
      { name: "SK", type: "S" },
    ]);
    expect(t.billingMode).toBe("PAY_PER_REQUEST");
  });

  it("sets point-in-time recovery and deletion protection by policy", () => {
    const t = table(g()).inputs;
    expect(t.pointInTimeRecovery).toEqual({ enabled: policy.table.pointInTimeRecovery });
    expect(t.deletionProtectionEnabled).toBe(policy.table.deletionProtection);
    // Stated absolutely too, so a policy edit cannot quietly drop backups where data matters.
    if (stage === "prod" || stage === "staging") {
      expect(t.pointInTimeRecovery).toEqual({ enabled: true });
      expect(t.deletionProtectionEnabled).toBe(true);
    }
  });

  it("applies the removal and protection policy of the app", () => {
    expect(g().app).toMatchObject({
      name: "dodeck",
      home: "aws",
      removal: policy.removal,
      protect: policy.protect,
    });
    expect(g().outputs._protect).toBe(policy.protect);
    expect(Boolean(table(g()).opts.retainOnDelete)).toBe(policy.removal === "retain");
    // Only data is kept: SST would also retain the VPC parts; the stack opts them out.
    const network = g().resources.filter((r) =>
      [
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
      ].includes(r.type),
    );
    expect(network.filter((r) => r.opts.retainOnDelete)).toEqual([]);
  });

  it("creates the two Auth0 secrets by name and never a secret value", () => {
    expect(secrets(g()).map((s) => s.inputs.name)).toEqual([
      `dodeck/${stage}/auth0-issuer`,
      `dodeck/${stage}/auth0-audience`,
    ]);
    for (const s of secrets(g()))
      expect(s.inputs.recoveryWindowInDays).toBe(policy.secretRecoveryDays);
    // A SecretVersion would put the value into SST's state.
    expect(ofType(g(), "aws:secretsmanager/secretVersion:SecretVersion")).toEqual([]);
  });

  it("runs the compute the policy names", () => {
    const functions = ofType(g(), "aws:lambda/function:Function").map((fn) => fn.name);
    // The sweeper runs on every deployed stage: the container deletes decks too.
    expect(functions.sort()).toEqual(
      [...(policy.compute.lambda ? ["ApiFunction"] : []), "SweeperHandlerFunction"].sort(),
    );
    expect(ofType(g(), "aws:ecs/service:Service")).toHaveLength(policy.compute.container ? 1 : 0);
  });

  it("runs the Lambda adapter behind an HTTP API with tracing and log retention", () => {
    const fn = lambda(g()).inputs;
    // The prebuilt bundle's entry (stacks/lambda-bundle.ts), not a source path SST bundles.
    expect(fn.handler).toBe("index.handler");
    expect(fn.runtime).toBe("nodejs22.x");
    expect(fn.tracingConfig).toEqual({ mode: "Active" });
    const days = { "1 week": 7, "1 month": 30, "3 months": 90, "1 year": 365 }[policy.logRetention];
    const logGroup = ofType(g(), "aws:cloudwatch/logGroup:LogGroup").find((l) =>
      String(l.inputs.name).startsWith("/aws/lambda/"),
    );
    expect(logGroup?.inputs.retentionInDays).toBe(days);
    // Text: the app's own JSON lines stay whole (JSON format would wrap them in `message`).
    expect(fn.loggingConfig).toMatchObject({ logFormat: "Text" });
    expect(one(g(), "aws:apigatewayv2/route:Route").inputs.routeKey).toBe("$default");
    // The app answers CORS; the gateway must not pre-empt it.
    const cors = one(g(), "aws:apigatewayv2/api:Api").inputs.corsConfiguration as {
      allowOrigins?: string[];
    };
    expect(cors?.allowOrigins ?? []).toEqual([]);
    const domains = ofType(g(), "aws:apigatewayv2/domainName:DomainName");
    expect(domains.map((d) => d.inputs.domainName)).toEqual(
      policy.domain.api ? [policy.domain.api] : [],
    );
  });

  it("throttles the HTTP API's $default route at the policy's rate and burst", () => {
    const stages = ofType(g(), "aws:apigatewayv2/stage:Stage");
    expect(stages).toHaveLength(policy.compute.lambda ? 1 : 0);
    for (const apiStage of stages) {
      expect(apiStage.inputs.defaultRouteSettings).toEqual({
        throttlingRateLimit: policy.throttle.rateLimit,
        throttlingBurstLimit: policy.throttle.burstLimit,
      });
    }
  });

  it("throttles the container's load balancer with WAF: per client and for the whole stage, 429 like the gateway", () => {
    const acls = ofType(g(), "aws:wafv2/webAcl:WebAcl");
    const associations = ofType(g(), "aws:wafv2/webAclAssociation:WebAclAssociation");
    expect(acls).toHaveLength(policy.compute.container ? 1 : 0);
    expect(associations).toHaveLength(acls.length);
    if (!policy.compute.container) return;
    const acl = acls[0]!;
    expect(acl.inputs).toMatchObject({
      name: `dodeck-${stage}-container`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      customResponseBodies: [
        {
          key: "TooManyRequests",
          contentType: "APPLICATION_JSON",
          content: '{"message":"Too Many Requests"}',
        },
      ],
    });
    const rules = acl.inputs.rules as {
      name: string;
      action: { block: { customResponse: { responseCode: number; responseHeaders: unknown[] } } };
      statement: { rateBasedStatement: Record<string, unknown> };
    }[];
    expect(
      rules.map((r) => [
        r.name,
        r.statement.rateBasedStatement.limit,
        r.statement.rateBasedStatement.aggregateKeyType,
      ]),
    ).toEqual([
      ["PerClient", policy.throttle.perClientPerMinute, "IP"],
      ["WholeStage", policy.throttle.rateLimit * 60, "CONSTANT"],
    ]);
    for (const rule of rules) {
      expect(rule.statement.rateBasedStatement.evaluationWindowSec).toBe(60);
      expect(rule.action.block.customResponse).toMatchObject({
        responseCode: 429,
        responseHeaders: [{ name: "Retry-After", value: "60" }],
      });
    }
    const [alb] = ofType(g(), "aws:lb/loadBalancer:LoadBalancer");
    expect(associations[0]!.inputs).toMatchObject({
      resourceArn: alb!.state.arn,
      webAclArn: acl.state.arn,
    });
  });

  it("gives the Lambda the app's environment, with secret ARNs and no secret values", () => {
    const env = lambdaEnv(g());
    expect(env).toMatchObject({
      ENVIRONMENT: policy.environment,
      TABLE_NAME: table(g()).state.name,
      CORS_ALLOWED_ORIGINS: policy.corsOrigins.join(","),
      LOG_LEVEL: policy.logLevel,
      REQUIRE_EMAIL_VERIFIED: "true",
    });
    expect([env.AUTH0_AUDIENCE_SECRET_ARN, env.AUTH0_ISSUER_SECRET_ARN]).toEqual(secretArns(g()));
    expect(env).not.toHaveProperty("AUTH0_ISSUER");
    expect(env).not.toHaveProperty("AUTH0_AUDIENCE");
    expect(env).not.toHaveProperty("DYNAMODB_ENDPOINT_URL");
  });

  it("links secrets by ARN only: no link property carries a value", () => {
    const build = g().rpc.find(
      (call) => call.method === "Runtime.Build" && call.params.functionID === "Api",
    );
    const links = build?.params.links as Record<string, Record<string, unknown>>;
    expect(Object.keys(links).sort()).toEqual(["Auth0Audience", "Auth0Issuer", "DoDeckTable"]);
    for (const name of ["Auth0Issuer", "Auth0Audience"]) {
      expect(Object.keys(links[name]!).sort()).toEqual(["arn", "type"]);
    }
    expect(Object.keys(links.DoDeckTable!).sort()).toEqual(["arn", "name", "type"]);
  });

  it("grants the Lambda only the table actions the app uses and only the two secrets", () => {
    expectLeastPrivilege(g(), one(g(), "aws:iam/role:Role", "ApiRole"));
  });

  // Registered per stage (not skipped): alarmed stages assert the alarms, the others their absence.
  const whenAlarmed = policy.alarms ? it : () => undefined;
  const whenQuiet = policy.alarms ? () => undefined : it;

  whenAlarmed("sends alarms to an SNS topic with the policy's e-mail recipients", () => {
    const topic = one(g(), "aws:sns/topic:Topic");
    expect(g().outputs.alarmTopic).toBe(topic.state.arn);
    const subscriptions = ofType(g(), "aws:sns/topicSubscription:TopicSubscription");
    expect(subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual(
      policy.alarms!.emails.map((email) => ["email", email]),
    );
  });

  whenAlarmed("alarms on Lambda, API, DynamoDB (and container) faults", () => {
    const alarms = ofType(g(), "aws:cloudwatch/metricAlarm:MetricAlarm");
    const byName = Object.fromEntries(
      alarms.map((a) => [String(a.inputs.name).replace(`dodeck-${stage}-`, ""), a.inputs]),
    );
    const expected = [
      "api-lambda-errors",
      "api-lambda-throttles",
      "api-lambda-duration",
      "api5xx-rate",
      "dynamo-throttles",
      "dynamo-system-errors",
      "sweeper-errors",
      ...(policy.compute.container ? ["container5xx", "container-unhealthy-targets"] : []),
    ];
    expect(Object.keys(byName).sort()).toEqual(expected.sort());
    const topicArn = one(g(), "aws:sns/topic:Topic").state.arn;
    for (const alarm of alarms) {
      expect(String(alarm.inputs.alarmDescription)).toMatch(/First: /);
      expect(alarm.inputs.alarmActions).toEqual([topicArn]);
    }
    const a = policy.alarms!;
    const fnName = lambda(g()).state.name;
    expect(byName["api-lambda-errors"]).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fnName },
      threshold: a.lambdaErrors,
    });
    expect(byName["api-lambda-throttles"]).toMatchObject({ metricName: "Throttles", threshold: 1 });
    // The errors alarm's runbook query finds the app's error lines as Lambda's text format
    // stores them (`<time>\t<request id>\tINFO\t<the app's JSON line>`).
    const description = String(byName["api-lambda-errors"]!.alarmDescription);
    const pattern = /filter @message like \/(.+?)\/ or/.exec(description)?.[1];
    const lines: string[] = [];
    createLogger("error", (line) => lines.push(line))("error", "dodeck: cannot start: x");
    expect(`2026-11-30T17:00:00.000Z\t9f0c\tINFO\t${lines[0]}`).toMatch(new RegExp(pattern!));
    expect(byName["api-lambda-duration"]).toMatchObject({
      metricName: "Duration",
      extendedStatistic: "p99",
      threshold: a.lambdaP99Ms,
    });
    const rate = byName["api5xx-rate"]!;
    expect(rate.threshold).toBe(a.api5xxPercent);
    expect(JSON.stringify(rate.metricQueries)).toContain('"metricName":"5xx"');
    // HTTP APIs publish no 5xx datapoint in a period without errors: missing data is 0.
    const rateQuery = (rate.metricQueries as { returnData?: boolean; expression?: string }[]).find(
      (q) => q.returnData,
    );
    expect(rateQuery?.expression).toBe(
      `IF(FILL(requests, 0) >= ${a.api5xxMinRequests}, 100 * FILL(errors, 0) / FILL(requests, 0), 0)`,
    );
    const tableName = table(g()).state.name;
    for (const [alarm, metric, threshold] of [
      ["dynamo-throttles", "ThrottledRequests", a.dynamoThrottles],
      ["dynamo-system-errors", "SystemErrors", a.dynamoSystemErrors],
    ] as const) {
      const queries = byName[alarm]!.metricQueries as {
        expression?: string;
        returnData?: boolean;
        metric?: { metricName: string; dimensions: { TableName: string; Operation: string } };
      }[];
      expect(byName[alarm]!.threshold).toBe(threshold);
      expect(queries.find((q) => q.returnData)?.expression).toMatch(/^SUM\(\[/);
      const metrics = queries.filter((q) => q.metric).map((q) => q.metric!);
      expect(
        metrics.every((m) => m.metricName === metric && m.dimensions.TableName === tableName),
      ).toBe(true);
      expect(metrics.map((m) => m.dimensions.Operation)).toEqual(
        expect.arrayContaining([
          "GetItem",
          "BatchGetItem",
          "Query",
          "TransactWriteItems",
          "BatchWriteItem",
        ]),
      );
    }
  });

  it("finishes interrupted deletes on a schedule, from the sweeper bundle, with only the deletes it needs", () => {
    const rule = one(g(), "aws:cloudwatch/eventRule:EventRule", "SweeperRule");
    expect(rule.inputs).toMatchObject({ scheduleExpression: sweepSchedule, state: "ENABLED" });
    const fn = one(g(), "aws:lambda/function:Function", "SweeperHandlerFunction");
    const target = one(g(), "aws:cloudwatch/eventTarget:EventTarget", "SweeperTarget");
    expect(target.inputs).toMatchObject({ rule: rule.state.name, arn: fn.state.arn });
    expect(one(g(), "aws:lambda/permission:Permission", "SweeperPermission").inputs).toMatchObject({
      principal: "events.amazonaws.com",
      sourceArn: rule.state.arn,
    });
    expect(fn.inputs).toMatchObject({
      handler: "index.handler",
      runtime: "nodejs22.x",
      timeout: 900,
    });
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env).toMatchObject({ TABLE_NAME: table(g()).state.name });
    // It needs the table only: no Auth0 setting, no endpoint override.
    expect(Object.keys(env).filter((k) => /AUTH0|DYNAMODB/.test(k))).toEqual([]);
    expect(g().builds.SweeperHandler?.dir).toMatch(/dodeck\/sweeper$/);
    const statements = roleStatements(one(g(), "aws:iam/role:Role", "SweeperHandlerRole"));
    expect(statements.filter((st) => st.actions.some((a) => a.startsWith("dynamodb:")))).toEqual([
      // Spelled out on purpose, like tableActions above: a widened grant must fail here.
      {
        effect: "Allow",
        actions: [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:BatchWriteItem",
          "dynamodb:DeleteItem",
        ],
        resources: [table(g()).state.arn],
      },
    ]);
    // Never puts or updates, never reads a secret.
    expect(
      statements.flatMap((st) => st.actions).filter((a) => /Put|Update|secretsmanager/.test(a)),
    ).toEqual([]);
  });

  whenAlarmed("alarms on any failed sweep, to the stage's topic", () => {
    const alarm = ofType(g(), "aws:cloudwatch/metricAlarm:MetricAlarm").find(
      (a) => a.inputs.name === `dodeck-${stage}-sweeper-errors`,
    );
    const fn = one(g(), "aws:lambda/function:Function", "SweeperHandlerFunction");
    expect(alarm?.inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fn.state.name },
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      alarmActions: [one(g(), "aws:sns/topic:Topic").state.arn],
    });
  });

  whenQuiet("has no alarms and no alarm topic", () => {
    expect(ofType(g(), "aws:cloudwatch/metricAlarm:MetricAlarm")).toEqual([]);
    expect(ofType(g(), "aws:sns/topic:Topic")).toEqual([]);
    expect(g().outputs.alarmTopic).toBeUndefined();
  });

  it("outputs the API URL and the table name", () => {
    expect(g().outputs.table).toBe(table(g()).state.name);
    expect(String(g().outputs.api)).toMatch(/^https:\/\//);
  });
});

describe("the container on staging", () => {
  const g = () => graphs.staging!;

  it("is built from the repo's Dockerfile and serves HTTPS with a /healthz health check", () => {
    const image = one(g(), "docker-build:index:Image").inputs as {
      context: { location: string };
      dockerfile: { location: string };
    };
    expect(image.dockerfile.location).toMatch(/\/Dockerfile$/);
    const target = one(g(), "aws:lb/targetGroup:TargetGroup").inputs as {
      port: number;
      healthCheck: { path: string };
    };
    expect(target.port).toBe(8080);
    expect(target.healthCheck.path).toBe("/healthz");
    const listeners = ofType(g(), "aws:lb/listener:Listener").map((l) => [
      l.inputs.port,
      l.inputs.protocol,
    ]);
    expect(listeners).toContainEqual([443, "HTTPS"]);
  });

  it("gets the Auth0 values injected by ECS from Secrets Manager, never as plain environment", () => {
    const definition = one(g(), "aws:ecs/taskDefinition:TaskDefinition");
    const [container] = JSON.parse(String(unsecret(definition.inputs.containerDefinitions))) as {
      environment: { name: string; value: string }[];
      secrets: { name: string; valueFrom: string }[];
    }[];
    const env = Object.fromEntries(container!.environment.map((e) => [e.name, e.value]));
    expect(env).not.toHaveProperty("AUTH0_ISSUER");
    expect(env).not.toHaveProperty("AUTH0_AUDIENCE");
    expect(env).toMatchObject({ PORT: "8080", ENVIRONMENT: "staging" });
    // A link's properties reach a container as SST_RESOURCE_* variables: ARNs only.
    for (const name of ["SST_RESOURCE_Auth0Issuer", "SST_RESOURCE_Auth0Audience"]) {
      expect(Object.keys(JSON.parse(env[name] ?? "{}")).sort()).toEqual(["arn", "type"]);
    }
    const injected = Object.fromEntries(container!.secrets.map((s) => [s.name, s.valueFrom]));
    expect([injected.AUTH0_AUDIENCE, injected.AUTH0_ISSUER]).toEqual(secretArns(g()));
  });

  it("grants the task role least privilege and narrows the execution role to the two secrets", () => {
    expectLeastPrivilege(g(), one(g(), "aws:iam/role:Role", "ServiceTaskRole"));
    const execution = roleStatements(one(g(), "aws:iam/role:Role", "ServiceExecutionRole"));
    expect(execution).toEqual([
      {
        effect: "Allow",
        actions: ["secretsmanager:GetSecretValue"],
        resources: secretArns(g()).reverse(),
      },
    ]);
  });
});

describe("sst dev", () => {
  it("links DoDeckTable to DynamoDB Local and creates no cloud table", () => {
    expect(ofType(devMode, "aws:dynamodb/table:Table")).toEqual([]);
    const target = devMode.rpc.find((call) => call.method === "Runtime.AddTarget");
    const links = target?.params.links as Record<string, Record<string, unknown>>;
    expect(links.DoDeckTable).toMatchObject({ name: "DoDeck", endpoint: "http://localhost:8000" });
    expect(lambdaEnv(devMode)).toMatchObject({
      ENVIRONMENT: "dev",
      TABLE_NAME: "DoDeck",
      DYNAMODB_ENDPOINT_URL: "http://localhost:8000",
    });
  });

  it("starts DynamoDB Local with npm run db:local", () => {
    expect(devMode.devCommands.DynamoDBLocal).toMatchObject({
      dev: { command: "npm run db:local", autostart: true },
    });
  });

  it("has no alarms", () => {
    expect(ofType(devMode, "aws:cloudwatch/metricAlarm:MetricAlarm")).toEqual([]);
  });

  it("schedules no sweeper (npm run sweep does the job against DynamoDB Local)", () => {
    expect(ofType(devMode, "aws:cloudwatch/eventRule:EventRule")).toEqual([]);
  });

  it.each(sharedStages)(
    "is refused on the shared stage %s before any resource is declared",
    (stage) => {
      const outcome = devOnShared[stage];
      expect(outcome).toBeInstanceOf(Error);
      const message = (outcome as Error).message;
      expect(message).toContain(`Refusing \`sst dev\` on the shared stage "${stage}"`);
      // The refusal is the first thing run() does: nothing reached Pulumi but the root stack.
      expect(message).not.toMatch(/aws:dynamodb|Provider\.Aws\.Bootstrap/);
    },
  );

  it("runs the container locally with npm run dev:server, with a placeholder URL", () => {
    expect(ofType(devBoth, "aws:ecs/service:Service")).toEqual([]);
    expect(devBoth.devCommands.ServiceDev).toMatchObject({
      dev: { command: "npm run dev:server" },
      environment: { PORT: "8080", TABLE_NAME: "DoDeck" },
    });
    expect(devBoth.outputs.container).toBe("http://localhost:8080");
  });
});

function expectLeastPrivilege(g: GraphRun, role: { inputs: Record<string, unknown> }) {
  const statements = roleStatements(role as never);
  const tableArn = table(g).state.arn;
  const dynamo = statements.filter((s) => s.actions.some((a) => a.startsWith("dynamodb:")));
  expect(dynamo).toEqual([{ effect: "Allow", actions: tableActions, resources: [tableArn] }]);
  const secret = statements.filter((s) => s.actions.some((a) => a.startsWith("secretsmanager:")));
  expect(secret.map((s) => s.actions)).toEqual([
    ["secretsmanager:GetSecretValue"],
    ["secretsmanager:GetSecretValue"],
  ]);
  expect(secret.flatMap((s) => s.resources).sort()).toEqual(secretArns(g));
  // No wildcard action (dynamodb:*, *), and resource "*" only for telemetry.
  expect(statements.flatMap((s) => s.actions).filter((a) => a.includes("*"))).toEqual([]);
  const anyResource = statements.filter((s) => s.resources.includes("*"));
  expect(anyResource.flatMap((s) => s.actions).every((a) => /^(xray|ssmmessages):/.test(a))).toBe(
    true,
  );
}

describe("the Lambda bundle SST would deploy", () => {
  // SST's own function.ts zips the bundle directory and names the upload by the zip's
  // SHA-256; the harness only answered `Runtime.Build` as the CLI does for a `bundle`.
  let unzipped: string;
  let codeKey: string;
  let zipHash: string;

  beforeAll(() => {
    const g = graphs.staging!;
    const zip = path.join(g.work, "artifacts", "Api", "code.zip");
    zipHash = createHash("sha256").update(readFileSync(zip)).digest("hex");
    codeKey = String(one(g, "aws:s3/bucketObjectv2:BucketObjectv2", "ApiCode").inputs.key);
    unzipped = mkdtempSync(path.join(tmpdir(), "dodeck-lambda-zip-"));
    execFileSync("unzip", ["-q", zip, "-d", unzipped]);
  });

  afterAll(() => {
    if (unzipped) rmSync(unzipped, { recursive: true, force: true });
  });

  it("is the zip SST uploads: the function code object is named by its hash", () => {
    expect(codeKey).toBe(`assets/Api-code-${zipHash}.zip`);
    const buildCall = graphs.staging!.rpc.find((call) => call.method === "Runtime.Build");
    expect(buildCall?.params).toMatchObject({ handler: "index.handler" });
    expect(String(buildCall?.params.bundle)).toMatch(/dodeck\/lambda$/);
    // No SST-side bundling options: SST's esbuild (and its plugin bridge) never runs.
    expect(buildCall?.params.properties).not.toHaveProperty("plugins");
    expect(readdirSync(unzipped).sort()).toEqual(["index.mjs", "index.mjs.map", "resource.enc"]);
  });

  it("holds exactly what scripts/build.ts builds for dist/lambda, the bundle the benchmarks measure", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "dodeck-lambda-build-"));
    try {
      await buildTargets(["lambda"], out);
      // The code byte for byte (the map's `sources` are relative to where it was written).
      const built = readFileSync(path.join(out, "lambda", "index.mjs"));
      expect(readFileSync(path.join(unzipped, "index.mjs")).equals(built)).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it("carries the environment-only credential provider, not the SDK's default chain", () => {
    const code = readFileSync(path.join(unzipped, "index.mjs"), "utf8");
    expect(code).toContain("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    // The chain's ECS, IMDS, SSO and ini-file providers are not in the deployed code.
    expect(code).not.toContain("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  });

  it("is not used under sst dev, which runs the source with the SDK's full chain", () => {
    const target = devMode.rpc.find((call) => call.method === "Runtime.AddTarget");
    expect(target?.params).toMatchObject({ handler: "packages/functions/src/lambda.handler" });
    expect(target?.params.bundle ?? undefined).toBeUndefined();
  });

  it("answers an API Gateway v2 event for /healthz, reading Auth0 settings from the linked secrets", async () => {
    const g = graphs.staging!;
    const bundle = path.join(unzipped, "index.mjs");
    const asked: string[] = [];
    const values: Record<string, string> = {};
    const [audienceArn, issuerArn] = secretArns(g);
    values[issuerArn!] = "https://tenant.example.auth0.com/";
    values[audienceArn!] = "https://api.dodeck.app";
    // Stands in for Secrets Manager: the SDK honours AWS_ENDPOINT_URL_SECRETS_MANAGER.
    const secretsManager = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${req.headers["x-amz-target"]} ${SecretId}`);
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ ARN: SecretId, Name: SecretId, SecretString: values[SecretId] }));
      });
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, "127.0.0.1", resolve));
    const { port } = secretsManager.address() as AddressInfo;
    Object.assign(process.env, lambdaEnv(g), {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
    });
    try {
      const { handler } = (await import(pathToFileURL(bundle).href)) as {
        handler: (
          event: unknown,
          context: unknown,
        ) => Promise<{ statusCode: number; body: string }>;
      };
      const response = await handler(healthzEvent(), { awsRequestId: "test" });
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ ok: true, environment: "staging" });
      expect(asked.sort()).toEqual(
        [issuerArn, audienceArn].map((arn) => `secretsmanager.GetSecretValue ${arn}`).sort(),
      );
    } finally {
      secretsManager.close();
    }
  });
});

function healthzEvent() {
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/healthz",
    rawQueryString: "",
    headers: { host: "api.staging.dodeck.app", "user-agent": "graph-test" },
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      domainName: "api.staging.dodeck.app",
      domainPrefix: "api",
      http: {
        method: "GET",
        path: "/healthz",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.10",
        userAgent: "graph-test",
      },
      requestId: "graph-test-1",
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}
