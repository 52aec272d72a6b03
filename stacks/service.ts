import { throttleLoadBalancer } from "./edge-throttle.ts";
import { appEnvironment } from "./environment.ts";
import type { SecretsHandle } from "./secrets.ts";
import type { StagePolicy } from "./stage.ts";
import type { TableHandle } from "./table.ts";

export const containerPort = 8080;

export interface ServiceHandle {
  service: sst.aws.Service;
  cluster: sst.aws.Cluster;
}

/** VPC parts SST's `removal: "retain"` would keep after `sst remove` (they hold no data). */
const networkParts = ["vpc", "securityGroup", "publicSubnet", "privateSubnet"] as const;

/**
 * The same app as a Fargate container behind an ALB. The VPC has no NAT gateway: tasks
 * run in public subnets with a public IP (SST's default for its own VPC), which saves
 * ~$32/month per AZ of NAT and is fine for a service that only calls AWS APIs and Auth0.
 */
export function createService(policy: StagePolicy, table: TableHandle, secrets: SecretsHandle) {
  const vpc = new sst.aws.Vpc("Vpc", {
    az: 2,
    // SST retains VPCs, subnets and the default security group on `removal: "retain"`
    // stages. They hold no data, so `sst remove --stage staging` deletes them like the rest
    // of the container (only the table is kept).
    transform: Object.fromEntries(
      networkParts.map((part) => [
        part,
        (_args: unknown, opts: { retainOnDelete?: boolean }) => {
          opts.retainOnDelete = false;
        },
      ]),
    ),
  });
  const cluster = new sst.aws.Cluster("Cluster", { vpc });
  const secretArns = [secrets.issuer.arn, secrets.audience.arn];
  const domain = policy.domain.container;

  const service = new sst.aws.Service("Service", {
    cluster,
    image: { context: ".", dockerfile: "Dockerfile" },
    architecture: "x86_64",
    cpu: "0.25 vCPU",
    memory: "0.5 GB",
    link: [table.link, secrets.issuer, secrets.audience],
    environment: { ...appEnvironment(policy, table, secrets), PORT: String(containerPort) },
    // ECS reads the values at task start and hands them to the container as AUTH0_ISSUER /
    // AUTH0_AUDIENCE; only the ARNs appear in the task definition and in SST's state.
    ssm: { AUTH0_ISSUER: secrets.issuer.arn, AUTH0_AUDIENCE: secrets.audience.arn },
    logging: { retention: policy.logRetention },
    loadBalancer: {
      ...(domain ? { domain } : {}),
      // HTTPS needs a certificate, hence a domain; a stage without one (a personal stage
      // trying DODECK_COMPUTE=both) gets plain HTTP on the ALB's own name.
      rules: domain
        ? [
            { listen: "443/https", forward: `${containerPort}/http` },
            { listen: "80/http", redirect: "443/https" },
          ]
        : [{ listen: "80/http", forward: `${containerPort}/http` }],
      health: {
        [`${containerPort}/http`]: {
          path: "/healthz",
          interval: "10 seconds",
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      },
    },
    scaling: { min: 1, max: policy.profile === "prod" ? 4 : 2 },
    // `sst dev` runs the Node server locally on the port the environment names.
    dev: { command: "npm run dev:server", url: `http://localhost:${containerPort}` },
    transform: {
      // SST's execution role may read every SSM parameter and secret ("*"); narrow it to
      // the two secrets this service injects.
      executionRole: (args) => {
        args.inlinePolicies = [
          {
            name: "inline",
            policy: $jsonStringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "ReadAuth0Secrets",
                  Effect: "Allow",
                  Action: ["secretsmanager:GetSecretValue"],
                  Resource: secretArns,
                },
              ],
            }),
          },
        ];
      },
    },
  });

  // Under `sst dev` the service runs locally and has no load balancer to throttle.
  if (!$dev) throttleLoadBalancer(policy, service.nodes.loadBalancer.arn);

  return { service, cluster } satisfies ServiceHandle;
}
