/**
 * Brings a stage's container up after `sst deploy`, or says exactly why it cannot.
 *
 *   npx tsx scripts/start-container.ts --outputs .sst/outputs.json <stage>
 *
 * `sst deploy` does not wait for ECS. SST enables ECS's deployment circuit breaker, so when
 * tasks cannot start (on a stage's first deploy the Auth0 secrets have no value yet, and
 * ECS cannot inject them) the rollout ends FAILED after a few launches and ECS stops
 * trying; deploying again changes nothing in the service and starts no new rollout. This
 * step, run by the Deploy workflow after every deploy of a stage with a container:
 *
 * 1. fails at once, naming the secrets, when one of them has no value (no task can start);
 * 2. forces a new deployment when the service's current rollout is FAILED (the secrets have
 *    been set since, or the cause was fixed);
 * 3. waits until the rollout is COMPLETED, and fails with ECS's latest events if it FAILS.
 *
 * It needs `ecs:DescribeServices`, `ecs:UpdateService` on the stage's service and
 * `secretsmanager:DescribeSecret` on its secrets: the deploy role has them, and
 * stacks/test/deploy-policy.sst.test.ts checks it. Uses the AWS CLI (on GitHub's runners).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { secretNames } from "../stacks/stage.ts";

export type Aws = (args: string[]) => Promise<unknown>;

export interface EcsDeployment {
  status: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  runningCount?: number;
  desiredCount?: number;
}

export interface EcsService {
  deployments: EcsDeployment[];
  events?: { createdAt?: string; message: string }[];
}

export type Step =
  | { kind: "no-container" }
  | { kind: "missing-secrets"; secrets: string[] }
  | { kind: "force-new-deployment" }
  | { kind: "wait" };

/** What to do, from the service's deployments and which secrets have a current value. */
export function decide(service: EcsService, secretsWithoutValue: string[]): Step {
  if (secretsWithoutValue.length > 0)
    return { kind: "missing-secrets", secrets: secretsWithoutValue };
  const primary = service.deployments.find((d) => d.status === "PRIMARY");
  if (!primary || primary.rolloutState === "FAILED") return { kind: "force-new-deployment" };
  return { kind: "wait" };
}

/** A secret has a value when one of its versions carries the AWSCURRENT label. */
export function hasValue(describeSecret: { VersionIdsToStages?: Record<string, string[]> }) {
  return Object.values(describeSecret.VersionIdsToStages ?? {}).some((labels) =>
    labels.includes("AWSCURRENT"),
  );
}

export interface StartOptions {
  stage: string;
  cluster?: string;
  service?: string;
  aws: Aws;
  log?: (line: string) => void;
  pollMs?: number;
  timeoutMs?: number;
}

/** Returns normally when the container runs; throws with the reason otherwise. */
export async function startContainer(options: StartOptions): Promise<Step> {
  const { stage, cluster, service, aws } = options;
  const log = options.log ?? console.log;
  if (!cluster || !service) {
    log(`stage ${stage} runs no container: nothing to start`);
    return { kind: "no-container" };
  }
  const names = Object.values(secretNames(stage));
  const withoutValue: string[] = [];
  for (const name of names) {
    const described = (await aws(["secretsmanager", "describe-secret", "--secret-id", name])) as {
      VersionIdsToStages?: Record<string, string[]>;
    };
    if (!hasValue(described)) withoutValue.push(name);
  }
  const describe = async () => {
    const out = (await aws([
      "ecs",
      "describe-services",
      "--cluster",
      cluster,
      "--services",
      service,
    ])) as { services?: EcsService[] };
    const found = out.services?.[0];
    if (!found) throw new Error(`ECS service ${service} not found in cluster ${cluster}`);
    return found;
  };

  const step = decide(await describe(), withoutValue);
  if (step.kind === "missing-secrets") {
    throw new Error(
      `the container cannot start: ${step.secrets.join(" and ")} ${step.secrets.length > 1 ? "have" : "has"} no value. Set ${step.secrets.length > 1 ? "them" : "it"} with aws secretsmanager put-secret-value (docs/deploy.md, "Auth0 settings per stage"), then re-run the failed jobs.`,
    );
  }
  if (step.kind === "force-new-deployment") {
    log(`the service's last rollout FAILED; starting a new deployment of ${service}`);
    await aws([
      "ecs",
      "update-service",
      "--cluster",
      cluster,
      "--service",
      service,
      "--force-new-deployment",
    ]);
  }

  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  for (;;) {
    const current = await describe();
    const primary = current.deployments.find((d) => d.status === "PRIMARY");
    if (primary?.rolloutState === "COMPLETED") {
      log(`container running: ${primary.runningCount ?? "?"}/${primary.desiredCount ?? "?"} tasks`);
      return step;
    }
    if (primary?.rolloutState === "FAILED" || Date.now() > deadline) {
      const events = (current.events ?? []).slice(0, 5).map((e) => `  ${e.message}`);
      throw new Error(
        `the container rollout ${primary?.rolloutState === "FAILED" ? "FAILED" : "did not finish in time"}: ${primary?.rolloutStateReason ?? ""}\nlatest ECS events:\n${events.join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 15_000));
  }
}

const awsCli: Aws = async (args) => {
  const { stdout } = await promisify(execFile)("aws", [...args, "--output", "json"]);
  return stdout.trim() ? JSON.parse(stdout) : {};
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outputsAt = args.indexOf("--outputs");
  const outputsFile = outputsAt >= 0 ? args[outputsAt + 1] : ".sst/outputs.json";
  const stage = args.filter((_, i) => i !== outputsAt && i !== outputsAt + 1)[0];
  if (!stage || !outputsFile) {
    console.error("usage: start-container.ts [--outputs .sst/outputs.json] <stage>");
    process.exit(2);
  }
  const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, unknown>;
  try {
    await startContainer({
      stage,
      cluster: typeof outputs.containerCluster === "string" ? outputs.containerCluster : undefined,
      service: typeof outputs.containerService === "string" ? outputs.containerService : undefined,
      aws: awsCli,
    });
  } catch (error) {
    console.error(
      `::error title=Container not running::${(error as Error).message.split("\n")[0]}`,
    );
    console.error((error as Error).message);
    process.exit(1);
  }
}
