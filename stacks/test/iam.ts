/**
 * What a deploy asks AWS to do, derived from a stage's resource graph, and an evaluator of
 * the deploy policy (docs/deploy/deploy-policy.json) against it.
 *
 * `deployRequests(graph)` turns every resource the program declares into the IAM requests
 * (action, resource ARN, condition context) that creating, reading, updating and deleting it
 * makes with the deploy role's credentials: the Terraform AWS provider's calls for each type,
 * the calls AWS services make with the caller's permissions (Lambda reading its code object,
 * Application Auto Scaling creating its target-tracking alarms, PassRole), and SST's own
 * (CLI bootstrap, hosted-zone lookups, image push). A resource type it does not know fails
 * the test: a new component must be mapped here before the policy can be said to cover it.
 *
 * The per-type action lists are written from the AWS provider's and the services' IAM
 * documentation, not measured: docs/infrastructure.md lists the policy under "verified only
 * on AWS". What this does prove offline is that every resource and every name the program
 * really creates is covered by some statement, with the actual physical names.
 */
import type { GraphResource, GraphRun } from "./graph.ts";

export const account = "123456789012";
export const region = "us-east-1";

export interface Request {
  action: string;
  resource: string;
  /** Condition keys the request carries besides aws:RequestedRegion. */
  context?: Record<string, string>;
  /** Which resource of the graph (or "sst cli") needs it. */
  why: string;
}

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
  Version: string;
  Statement: Statement[];
}

/** The policy template with the placeholders docs/deploy.md's `fill` replaces. */
export function fillPolicy(template: string, stage: string): Policy {
  return JSON.parse(
    template
      .replaceAll("ACCOUNT_ID", account)
      .replaceAll("REGION", region)
      .replaceAll("GITHUB_REPOSITORY", "acme/dodeck")
      .replaceAll("STAGE", stage),
  ) as Policy;
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

/** IAM wildcard match: `*` any run of characters (slashes too), `?` one character. */
function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

function conditionHolds(
  condition: Statement["Condition"],
  context: Record<string, string>,
): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      if (operator === "StringEquals") return list(expected).includes(actual);
      if (operator === "StringLike") return list(expected).some((e) => globMatch(e, actual, false));
      throw new Error(`condition operator ${operator} is not modelled`);
    }),
  );
}

/** The Sid of the first Allow statement that grants the request, or undefined (implicit deny). */
export function grantedBy(policy: Policy, request: Request): string | undefined {
  const context = { "aws:RequestedRegion": region, ...request.context };
  for (const statement of policy.Statement) {
    if (statement.Effect !== "Allow") continue;
    const action = list(statement.Action).some((a) => globMatch(a, request.action, true));
    const resource = list(statement.Resource).some((r) => globMatch(r, request.resource, false));
    if (action && resource && conditionHolds(statement.Condition, context)) {
      return statement.Sid ?? "(no Sid)";
    }
  }
  return undefined;
}

const arn = (service: string, resource: string, where = `${region}:${account}`) =>
  `arn:aws:${service}:${where}:${resource}`;
const str = (value: unknown) => String(value ?? "");
const many = (prefix: string, actions: string[], resource: string, why: string): Request[] =>
  actions.map((action) => ({ action: `${prefix}:${action}`, resource, why }));

/** EC2 resource types: ARN resource kind and the provider's calls. */
const ec2Types: Record<string, [string, string[]]> = {
  "aws:ec2/vpc:Vpc": [
    "vpc",
    ["CreateVpc", "DescribeVpcs", "DescribeVpcAttribute", "ModifyVpcAttribute", "DeleteVpc"],
  ],
  "aws:ec2/subnet:Subnet": [
    "subnet",
    ["CreateSubnet", "DescribeSubnets", "ModifySubnetAttribute", "DeleteSubnet"],
  ],
  "aws:ec2/internetGateway:InternetGateway": [
    "internet-gateway",
    [
      "CreateInternetGateway",
      "AttachInternetGateway",
      "DescribeInternetGateways",
      "DetachInternetGateway",
      "DeleteInternetGateway",
    ],
  ],
  "aws:ec2/routeTable:RouteTable": [
    "route-table",
    ["CreateRouteTable", "DescribeRouteTables", "CreateRoute", "DeleteRoute", "DeleteRouteTable"],
  ],
  "aws:ec2/routeTableAssociation:RouteTableAssociation": [
    "route-table",
    ["AssociateRouteTable", "DisassociateRouteTable", "DescribeRouteTables"],
  ],
  "aws:ec2/securityGroup:SecurityGroup": [
    "security-group",
    [
      "CreateSecurityGroup",
      "DescribeSecurityGroups",
      "AuthorizeSecurityGroupIngress",
      "AuthorizeSecurityGroupEgress",
      "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress",
      "DeleteSecurityGroup",
      "DescribeNetworkInterfaces",
    ],
  ],
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": [
    "security-group",
    [
      "DescribeSecurityGroups",
      "AuthorizeSecurityGroupIngress",
      "AuthorizeSecurityGroupEgress",
      "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress",
    ],
  ],
};

/** Load balancer resource types and the provider's calls. */
const elbTypes: Record<string, string[]> = {
  "aws:lb/loadBalancer:LoadBalancer": [
    "CreateLoadBalancer",
    "DescribeLoadBalancers",
    "DescribeLoadBalancerAttributes",
    "ModifyLoadBalancerAttributes",
    "SetSecurityGroups",
    "SetSubnets",
    "DeleteLoadBalancer",
  ],
  "aws:lb/targetGroup:TargetGroup": [
    "CreateTargetGroup",
    "DescribeTargetGroups",
    "DescribeTargetGroupAttributes",
    "ModifyTargetGroup",
    "ModifyTargetGroupAttributes",
    "DeleteTargetGroup",
  ],
  "aws:lb/listener:Listener": [
    "CreateListener",
    "DescribeListeners",
    "ModifyListener",
    "DeleteListener",
  ],
};

/** Graph types that are not AWS API resources (SST components, Pulumi internals, local randomness). */
const notAws = [/^sst:/, /^pulumi:pulumi:Stack$/, /^random:/];

/** SST's CLI, before and around the program: bootstrap, state, passphrase (not in the graph). */
function cliRequests(stage: string): Request[] {
  const why = "sst cli (bootstrap, state, passphrase)";
  const state = "sst-state-abc123";
  const asset = "sst-asset-abc123";
  return [
    ...many(
      "ssm",
      ["GetParameter", "PutParameter"],
      arn("ssm", `parameter/sst/passphrase/dodeck/${stage}`),
      why,
    ),
    ...many("ssm", ["GetParameter", "PutParameter"], arn("ssm", "parameter/sst/bootstrap"), why),
    ...many(
      "s3",
      ["CreateBucket", "PutBucketVersioning", "ListBucket"],
      `arn:aws:s3:::${state}`,
      why,
    ),
    ...many(
      "s3",
      ["GetObject", "PutObject", "DeleteObject"],
      `arn:aws:s3:::${state}/app/dodeck/${stage}.json`,
      why,
    ),
    ...many(
      "s3",
      ["GetObject", "PutObject", "DeleteObject"],
      `arn:aws:s3:::${state}/lock/dodeck/${stage}.json`,
      why,
    ),
    ...many(
      "s3",
      ["CreateBucket", "PutBucketVersioning", "ListBucket"],
      `arn:aws:s3:::${asset}`,
      why,
    ),
    ...many(
      "ecr",
      ["CreateRepository", "DescribeRepositories"],
      arn("ecr", "repository/sst-asset"),
      why,
    ),
  ];
}

/** Every IAM request a deploy (create, read, update, delete) of this graph makes. */
export function deployRequests(graph: GraphRun): Request[] {
  const requests = cliRequests(graph.stage);
  const unknown: string[] = [];
  const byUrnName = new Map(graph.resources.map((r) => [r.name, r]));
  for (const resource of graph.resources) {
    if (notAws.some((pattern) => pattern.test(resource.type))) continue;
    const mapped = requestsFor(resource, byUrnName);
    if (mapped === undefined) unknown.push(resource.type);
    else requests.push(...mapped);
  }
  requests.push(...startContainerRequests(graph));
  if (unknown.length > 0) {
    throw new Error(
      `no IAM mapping for ${[...new Set(unknown)].join(", ")}: add the actions its create/read/update/delete needs to stacks/test/iam.ts`,
    );
  }
  return requests;
}

/** The Deploy workflow's step after `sst deploy` (scripts/start-container.ts), when a container runs. */
function startContainerRequests(graph: GraphRun): Request[] {
  const { containerCluster, containerService } = graph.outputs;
  if (typeof containerCluster !== "string" || typeof containerService !== "string") return [];
  const why = "deploy workflow (scripts/start-container.ts)";
  return [
    ...many(
      "ecs",
      ["DescribeServices", "UpdateService"],
      arn("ecs", `service/${containerCluster}/${containerService}`),
      why,
    ),
    ...graph.resources
      .filter((r) => r.type === "aws:secretsmanager/secret:Secret")
      .map((r) => ({ action: "secretsmanager:DescribeSecret", resource: str(r.state.arn), why })),
  ];
}

function requestsFor(r: GraphResource, byName: Map<string, GraphResource>): Request[] | undefined {
  const i = r.inputs;
  const s = r.state;
  const why = `${r.type} ${r.name}`;
  const name = str(i.name ?? s.name);
  const passRole = (roleArn: unknown, service: string): Request => ({
    action: "iam:PassRole",
    resource: str(roleArn),
    context: { "iam:PassedToService": service },
    why,
  });
  const serviceLinkedRole = (service: string, path: string): Request => ({
    action: "iam:CreateServiceLinkedRole",
    resource: `arn:aws:iam::${account}:role/aws-service-role/${service}/${path}`,
    context: { "iam:AWSServiceName": service },
    why,
  });
  const apigw = (path: string, methods = ["POST", "GET", "PATCH", "DELETE"]) =>
    methods.map((m) => ({
      action: `apigateway:${m}`,
      resource: `arn:aws:apigateway:${region}::${path}`,
      why,
    }));

  const ec2 = ec2Types[r.type];
  if (ec2) {
    const [kind, actions] = ec2;
    return many(
      "ec2",
      [...actions, "CreateTags", "DeleteTags"],
      arn("ec2", `${kind}/${r.id}`),
      why,
    );
  }
  const elb = elbTypes[r.type];
  if (elb) {
    return [
      ...many(
        "elasticloadbalancing",
        [...elb, "AddTags", "RemoveTags", "DescribeTags"],
        str(s.arn),
        why,
      ),
      ...(r.type.endsWith("LoadBalancer")
        ? [
            serviceLinkedRole(
              "elasticloadbalancing.amazonaws.com",
              "AWSServiceRoleForElasticLoadBalancing",
            ),
          ]
        : []),
    ];
  }

  switch (r.type) {
    case "aws:dynamodb/table:Table":
      return many(
        "dynamodb",
        [
          "CreateTable",
          "DescribeTable",
          "UpdateTable",
          "DeleteTable",
          "DescribeContinuousBackups",
          "UpdateContinuousBackups",
          "DescribeTimeToLive",
          "UpdateTimeToLive",
          "ListTagsOfResource",
          "TagResource",
          "UntagResource",
        ],
        arn("dynamodb", `table/${name}`),
        why,
      );
    case "aws:secretsmanager/secret:Secret":
      return many(
        "secretsmanager",
        [
          "CreateSecret",
          "DescribeSecret",
          "GetResourcePolicy",
          "UpdateSecret",
          "DeleteSecret",
          "TagResource",
          "UntagResource",
        ],
        str(s.arn),
        why,
      );
    case "aws:iam/role:Role":
      return [
        ...many(
          "iam",
          [
            "CreateRole",
            "GetRole",
            "DeleteRole",
            "TagRole",
            "UntagRole",
            "UpdateAssumeRolePolicy",
            "PutRolePolicy",
            "GetRolePolicy",
            "DeleteRolePolicy",
            "ListRolePolicies",
            "ListAttachedRolePolicies",
            "ListInstanceProfilesForRole",
          ],
          `arn:aws:iam::${account}:role/${name}`,
          why,
        ),
        ...((i.managedPolicyArns as string[] | undefined)?.length
          ? many(
              "iam",
              ["AttachRolePolicy", "DetachRolePolicy"],
              `arn:aws:iam::${account}:role/${name}`,
              why,
            )
          : []),
      ];
    case "aws:cloudwatch/logGroup:LogGroup":
      return many(
        "logs",
        [
          "CreateLogGroup",
          "DescribeLogGroups",
          "PutRetentionPolicy",
          "DeleteLogGroup",
          "ListTagsForResource",
          "TagResource",
        ],
        arn("logs", `log-group:${name}`),
        why,
      );
    case "aws:s3/bucketObjectv2:BucketObjectv2":
      // The provider reads the tags back after every write (and fails without the grant).
      return many(
        "s3",
        ["PutObject", "GetObject", "GetObjectTagging", "PutObjectTagging", "DeleteObject"],
        `arn:aws:s3:::${str(i.bucket)}/${str(i.key)}`,
        why,
      );
    case "aws:lambda/function:Function": {
      const code = byName.get(`${r.name.replace(/Function$/, "")}Code`);
      return [
        ...many(
          "lambda",
          [
            "CreateFunction",
            "GetFunction",
            "GetFunctionConfiguration",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
            "DeleteFunction",
            "ListVersionsByFunction",
            "GetFunctionCodeSigningConfig",
            "TagResource",
            "ListTags",
          ],
          arn("lambda", `function:${name}`),
          why,
        ),
        passRole(i.role, "lambda.amazonaws.com"),
        // CreateFunction/UpdateFunctionCode read the zip from S3 as the caller.
        ...(code
          ? [
              {
                action: "s3:GetObject",
                resource: `arn:aws:s3:::${str(code.inputs.bucket)}/${str(code.inputs.key)}`,
                why,
              },
            ]
          : []),
      ];
    }
    case "aws:lambda/permission:Permission":
      return many(
        "lambda",
        ["AddPermission", "GetPolicy", "RemovePermission"],
        str(i.function).startsWith("arn:")
          ? str(i.function)
          : arn("lambda", `function:${str(i.function)}`),
        why,
      );
    case "aws:apigatewayv2/api:Api":
      return [
        ...apigw("/apis"),
        ...apigw(`/apis/${r.id}`),
        ...apigw(`/tags/*`, ["POST", "GET", "DELETE"]),
      ];
    case "aws:apigatewayv2/stage:Stage":
      return [
        ...apigw(`/apis/${str(i.apiId)}/stages`),
        ...apigw(`/apis/${str(i.apiId)}/stages/${name}`),
        // Access logging: API Gateway delivers to CloudWatch Logs with the caller's rights.
        ...many(
          "logs",
          [
            "CreateLogDelivery",
            "GetLogDelivery",
            "UpdateLogDelivery",
            "DeleteLogDelivery",
            "ListLogDeliveries",
            "PutResourcePolicy",
            "DescribeResourcePolicies",
            "DescribeLogGroups",
          ],
          "*",
          why,
        ),
      ];
    case "aws:apigatewayv2/route:Route":
    case "aws:apigatewayv2/integration:Integration": {
      const kind = r.type.endsWith("Route") ? "routes" : "integrations";
      return [
        ...apigw(`/apis/${str(i.apiId)}/${kind}`),
        ...apigw(`/apis/${str(i.apiId)}/${kind}/${r.id}`),
      ];
    }
    case "aws:apigatewayv2/domainName:DomainName":
      return [...apigw("/domainnames"), ...apigw(`/domainnames/${str(i.domainName)}`)];
    case "aws:apigatewayv2/apiMapping:ApiMapping":
      return [
        ...apigw(`/domainnames/${str(i.domainName)}/apimappings`),
        ...apigw(`/domainnames/${str(i.domainName)}/apimappings/${r.id}`),
      ];
    case "aws:acm/certificate:Certificate":
      return many(
        "acm",
        [
          "RequestCertificate",
          "DescribeCertificate",
          "DeleteCertificate",
          "ListTagsForCertificate",
          "AddTagsToCertificate",
        ],
        str(s.arn),
        why,
      );
    case "aws:acm/certificateValidation:CertificateValidation":
      return many("acm", ["DescribeCertificate"], str(i.certificateArn), why);
    case "aws:route53/record:Record":
      return [
        ...many(
          "route53",
          ["ChangeResourceRecordSets", "ListResourceRecordSets", "GetHostedZone"],
          `arn:aws:route53:::hostedzone/${str(i.zoneId)}`,
          why,
        ),
        ...many("route53", ["GetChange"], "arn:aws:route53:::change/C0123456789", why),
      ];
    case "pulumi-nodejs:dynamic:Resource":
      // SST's dynamic providers; the graph has only hosted-zone lookups (answered by the CLI).
      if (!r.name.includes("HostedZoneLookup")) return undefined;
      return many("route53", ["ListHostedZones"], "*", why);
    case "aws:sns/topic:Topic":
      return many(
        "sns",
        [
          "CreateTopic",
          "GetTopicAttributes",
          "SetTopicAttributes",
          "DeleteTopic",
          "TagResource",
          "ListTagsForResource",
        ],
        str(s.arn),
        why,
      );
    case "aws:sns/topicSubscription:TopicSubscription":
      return [
        ...many("sns", ["Subscribe"], str(i.topic), why),
        ...many(
          "sns",
          ["GetSubscriptionAttributes", "SetSubscriptionAttributes", "Unsubscribe"],
          `${str(i.topic)}:0f1e2d3c-aaaa-bbbb-cccc-123456789012`,
          why,
        ),
      ];
    // The sweeper's schedule (sst.aws.Cron): an EventBridge rule and its Lambda target.
    case "aws:cloudwatch/eventRule:EventRule":
      return many(
        "events",
        [
          "PutRule",
          "DescribeRule",
          "DeleteRule",
          "ListTagsForResource",
          "TagResource",
          "UntagResource",
        ],
        arn("events", `rule/${name}`),
        why,
      );
    case "aws:cloudwatch/eventTarget:EventTarget":
      return many(
        "events",
        ["PutTargets", "ListTargetsByRule", "RemoveTargets"],
        arn("events", `rule/${str(i.rule)}`),
        why,
      );
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return many(
        "cloudwatch",
        ["PutMetricAlarm", "DescribeAlarms", "DeleteAlarms", "ListTagsForResource", "TagResource"],
        arn("cloudwatch", `alarm:${name}`),
        why,
      );
    case "aws:ecs/cluster:Cluster":
      return [
        ...many(
          "ecs",
          [
            "CreateCluster",
            "DescribeClusters",
            "UpdateCluster",
            "DeleteCluster",
            "TagResource",
            "ListTagsForResource",
          ],
          arn("ecs", `cluster/${name}`),
          why,
        ),
        serviceLinkedRole("ecs.amazonaws.com", "AWSServiceRoleForECS"),
      ];
    case "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":
      return many(
        "ecs",
        ["PutClusterCapacityProviders", "DescribeClusters"],
        arn("ecs", `cluster/${str(i.clusterName)}`),
        why,
      );
    case "aws:ecs/taskDefinition:TaskDefinition":
      return [
        ...many(
          "ecs",
          [
            "RegisterTaskDefinition",
            "DescribeTaskDefinition",
            "DeregisterTaskDefinition",
            "TagResource",
          ],
          "*",
          why,
        ),
        passRole(i.executionRoleArn, "ecs-tasks.amazonaws.com"),
        passRole(i.taskRoleArn, "ecs-tasks.amazonaws.com"),
      ];
    case "aws:ecs/service:Service": {
      const cluster = str(i.cluster).split("/").pop() || str(i.cluster);
      return many(
        "ecs",
        ["CreateService", "DescribeServices", "UpdateService", "DeleteService", "TagResource"],
        arn("ecs", `service/${cluster}/${name}`),
        why,
      );
    }
    case "aws:appautoscaling/target:Target":
      return [
        ...many(
          "application-autoscaling",
          [
            "RegisterScalableTarget",
            "DescribeScalableTargets",
            "DeregisterScalableTarget",
            "TagResource",
            "ListTagsForResource",
          ],
          arn("application-autoscaling", "scalable-target/*"),
          why,
        ),
        serviceLinkedRole(
          "ecs.application-autoscaling.amazonaws.com",
          "AWSServiceRoleForApplicationAutoScaling_ECSService",
        ),
      ];
    case "aws:appautoscaling/policy:Policy": {
      const requests = many(
        "application-autoscaling",
        ["PutScalingPolicy", "DescribeScalingPolicies", "DeleteScalingPolicy"],
        arn("application-autoscaling", "scalable-target/*"),
        why,
      );
      if (i.policyType === "TargetTrackingScaling") {
        // Application Auto Scaling creates (and deletes) the policy's two alarms as the caller.
        for (const side of ["AlarmHigh", "AlarmLow"]) {
          requests.push(
            ...many(
              "cloudwatch",
              ["PutMetricAlarm", "DescribeAlarms", "DeleteAlarms"],
              arn(
                "cloudwatch",
                `alarm:TargetTracking-${str(i.resourceId)}-${side}-4f1c0f4e-1d2b-4c8a-9a57-0f9a6c1b2d3e`,
              ),
              why,
            ),
          );
        }
      }
      return requests;
    }
    case "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
      return [
        ...many(
          "servicediscovery",
          [
            "CreatePrivateDnsNamespace",
            "GetNamespace",
            "DeleteNamespace",
            "GetOperation",
            "TagResource",
            "ListTagsForResource",
          ],
          "*",
          why,
        ),
        // Cloud Map makes the private hosted zone as the caller.
        ...many(
          "route53",
          [
            "CreateHostedZone",
            "DeleteHostedZone",
            "GetHostedZone",
            "AssociateVPCWithHostedZone",
            "ChangeTagsForResource",
          ],
          "*",
          why,
        ),
        ...many("ec2", ["DescribeVpcs", "DescribeVpcAttribute"], "*", why),
      ];
    case "aws:servicediscovery/service:Service":
      return many(
        "servicediscovery",
        ["CreateService", "GetService", "UpdateService", "DeleteService", "TagResource"],
        "*",
        why,
      );
    case "aws:wafv2/webAcl:WebAcl":
      return many(
        "wafv2",
        [
          "CreateWebACL",
          "GetWebACL",
          "UpdateWebACL",
          "DeleteWebACL",
          "ListTagsForResource",
          "TagResource",
          "UntagResource",
        ],
        arn("wafv2", `regional/webacl/${str(i.name)}/${r.id}`),
        why,
      );
    case "aws:wafv2/webAclAssociation:WebAclAssociation": {
      // WAF checks the web ACL and the load balancer; ELB checks SetWebAcl on the latter.
      const acl = str(i.webAclArn);
      const alb = str(i.resourceArn);
      return [
        ...many(
          "wafv2",
          ["AssociateWebACL", "GetWebACLForResource", "DisassociateWebACL"],
          acl,
          why,
        ),
        ...many(
          "wafv2",
          ["AssociateWebACL", "GetWebACLForResource", "DisassociateWebACL"],
          alb,
          why,
        ),
        ...many("elasticloadbalancing", ["SetWebAcl"], alb, why),
      ];
    }
    case "docker-build:index:Image":
      // The image is pushed to SST's bootstrap repository with an ECR token.
      return [
        { action: "ecr:GetAuthorizationToken", resource: "*", why },
        ...many(
          "ecr",
          [
            "BatchCheckLayerAvailability",
            "InitiateLayerUpload",
            "UploadLayerPart",
            "CompleteLayerUpload",
            "PutImage",
            "BatchGetImage",
            "GetDownloadUrlForLayer",
          ],
          arn("ecr", "repository/sst-asset"),
          why,
        ),
      ];
    default:
      return undefined;
  }
}
