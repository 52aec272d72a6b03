/**
 * The deploy role's policy (docs/deploy/deploy-policy.json) against what each stage's
 * resource graph makes a deploy do: every resource sst.config.ts declares, with its real
 * physical name, mapped to the IAM requests its create/read/update/delete needs
 * (stacks/test/iam.ts). Needs the SST platform (.sst/platform), installed when missing.
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSstPlatform, repoRoot } from "../../scripts/sst-platform.ts";
import { stagePolicy } from "../stage.ts";
import { type GraphRun, runGraph } from "./graph.ts";
import { deployRequests, fillPolicy, grantedBy, type Policy, type Request } from "./iam.ts";

const template = readFileSync(path.join(repoRoot, "docs/deploy/deploy-policy.json"), "utf8");
const stages = ["dev", "alice", "staging", "prod"] as const;
const graphs: Record<string, GraphRun> = {};

beforeAll(async () => {
  await ensureSstPlatform();
  const runs = await Promise.all(stages.map((stage) => runGraph(stage, "deploy")));
  stages.forEach((stage, i) => {
    graphs[stage] = runs[i]!;
  });
}, 240_000);

afterAll(() => {
  for (const run of Object.values(graphs)) rmSync(run.work, { recursive: true, force: true });
});

const denied = (policy: Policy, requests: Request[]) =>
  requests
    .filter((request) => grantedBy(policy, request) === undefined)
    .map((r) => `${r.action} ${r.resource} (${r.why})`);

/** The policy with one statement's actions or resources edited, to show the test bites. */
function edited(policy: Policy, sid: string, edit: (s: Policy["Statement"][number]) => void) {
  const copy = structuredClone(policy);
  const statement = copy.Statement.find((s) => s.Sid === sid);
  if (!statement) throw new Error(`no statement ${sid}`);
  edit(statement);
  return copy;
}

describe.each(stages)("the deploy policy of stage %s", (stage) => {
  const g = () => graphs[stage]!;
  const policy = fillPolicy(template, stage);

  it("grants every request the stage's resource graph implies", () => {
    expect(denied(policy, deployRequests(g()))).toEqual([]);
  });

  it("covers the Lambda code upload, tags included (the provider reads them back)", () => {
    const upload = deployRequests(g()).filter((r) => r.why.includes("BucketObjectv2 ApiCode"));
    expect(upload.map((r) => r.action)).toEqual(
      expect.arrayContaining(["s3:PutObject", "s3:GetObjectTagging", "s3:PutObjectTagging"]),
    );
    const withoutTagging = edited(policy, "SstBootstrapAssetBucket", (s) => {
      s.Action = (s.Action as string[]).filter((a) => !a.endsWith("ObjectTagging"));
    });
    expect(denied(withoutTagging, upload)).toEqual([
      expect.stringMatching(/^s3:GetObjectTagging arn:aws:s3:::sst-asset-mock\/assets\/Api-code-/),
      expect.stringMatching(/^s3:PutObjectTagging arn:aws:s3:::sst-asset-mock\/assets\/Api-code-/),
    ]);
  });

  if (stagePolicy(stage).compute.container) {
    it("lets Application Auto Scaling create the target-tracking alarms of the stage's cluster", () => {
      const alarms = deployRequests(g()).filter((r) =>
        r.resource.includes(":alarm:TargetTracking-"),
      );
      const cluster = String(g().outputs.containerCluster);
      expect(cluster).toMatch(new RegExp(`^dodeck-${stage}-`));
      // CPU and memory policies, a high and a low alarm each.
      expect(new Set(alarms.map((r) => r.resource.replace(/-[0-9a-f-]{36}$/, "")))).toEqual(
        new Set(
          ["Cpu", "Memory"].flatMap(() =>
            ["AlarmHigh", "AlarmLow"].map(
              (side) =>
                `arn:aws:cloudwatch:us-east-1:123456789012:alarm:TargetTracking-service/${cluster}/Service-${side}`,
            ),
          ),
        ),
      );
      // The workflow's container step may read and restart the stage's service.
      expect(deployRequests(g()).filter((r) => r.why.includes("start-container"))).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: "ecs:UpdateService",
            resource: `arn:aws:ecs:us-east-1:123456789012:service/${cluster}/Service`,
          }),
          expect.objectContaining({ action: "secretsmanager:DescribeSecret" }),
        ]),
      );
      const stageAlarmsOnly = edited(policy, "StageAlarms", (s) => {
        s.Resource = (s.Resource as string[]).filter((r) => !r.includes("TargetTracking"));
      });
      expect(denied(stageAlarmsOnly, alarms)).toHaveLength(alarms.length);
    });
  } else {
    it("deploys without the container statements (they can be deleted from this stage's role)", () => {
      const lambdaOnly = structuredClone(policy);
      lambdaOnly.Statement = lambdaOnly.Statement.filter(
        (s) => s.Sid !== "ContainerServiceStagingOnly" && s.Sid !== "ContainerEdgeThrottle",
      );
      expect(denied(lambdaOnly, deployRequests(g()))).toEqual([]);
    });
  }
});

describe("stage isolation in one account", () => {
  it("keeps the named resources of staging out of dev's role; the rest is region-wide, as docs/deploy.md says", () => {
    const devPolicy = fillPolicy(template, "dev");
    const crossing = new Set(
      deployRequests(graphs.staging!)
        .filter((r) => !r.why.startsWith("sst cli"))
        .map((r) => grantedBy(devPolicy, r))
        .filter((sid): sid is string => sid !== undefined),
    );
    // Statements keyed by name (table, secrets, functions, roles, PassRole, alarms, topic)
    // never grant another stage's resources; these, scoped by region or account only, do
    // (the WAF statement names the stage's web ACL, but its association also names the load
    // balancer, whose name AWS picks).
    expect([...crossing].sort()).toEqual(
      [
        "ContainerEdgeThrottle",
        "ContainerServiceStagingOnly",
        "CustomDomainsAndCloudMapZones",
        "EcrLogin",
        "HttpApiInThisRegion",
        "LogGroupsAndApiAccessLogDelivery",
        "ServiceLinkedRolesForEcsElbAutoscaling",
        "SstAssetImageRepository",
        "SstBootstrapAssetBucket",
      ].sort(),
    );
  });

  it("fails loudly on a resource type it has no IAM mapping for", () => {
    const graph = structuredClone(graphs.dev!);
    graph.resources.push({ ...graph.resources[0]!, type: "aws:sqs/queue:Queue", name: "Jobs" });
    expect(() => deployRequests(graph)).toThrow(/no IAM mapping for aws:sqs\/queue:Queue/);
  });
});
