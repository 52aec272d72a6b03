/**
 * The workflows are part of the promotion policy, so their shape is tested like code:
 * actionlint proves they are valid, and these assertions prove that only the guard decides
 * the stage, that AWS is reached only from the guarded, approved, serialized deploy job,
 * and that operators are told about every variable the workflows read.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { decideStage } from "./deploy-guard.ts";
import { lintWorkflow, workflowFiles } from "./lint-workflows.ts";

type Step = {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};
type Job = {
  needs?: string | string[];
  uses?: string;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
  permissions?: Record<string, string> | string;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
};
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
};

const root = process.cwd();
const read = (path: string) => readFileSync(join(root, path), "utf8");
const load = (path: string) => parse(read(path)) as Workflow;
const deploy = load(".github/workflows/deploy.yml");
/** A GitHub expression as it appears in the YAML. */
const gh = (expression: string) => `\${{ ${expression} }}`;
const STAGE = gh("needs.guard.outputs.stage");

const needsOf = (job: Job) => (typeof job.needs === "string" ? [job.needs] : (job.needs ?? []));
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
const touchesAws = (job: Job) =>
  (job.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials")) ||
  (job.steps ?? []).some((s) => /\bsst (deploy|remove|refresh)\b/.test(s.run ?? "")) ||
  (typeof job.permissions === "object" && job.permissions["id-token"] === "write");

describe("workflow lint", () => {
  it("finds no problem in the repository's workflows", async () => {
    for (const file of workflowFiles(root)) {
      expect(await lintWorkflow(readFileSync(file, "utf8"), file)).toEqual([]);
    }
  });

  it("catches a broken workflow (so a clean result means something)", async () => {
    const broken = [
      "on: push",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-24.04",
      "    needs: missing-job",
      "    steps:",
      "      - uses: actions/setup-node@v4",
      "        with:",
      "          node-versoin: 20",
      `      - run: echo ${gh("steps.nope.outputs.x")}`,
    ].join("\n");
    const messages = (await lintWorkflow(broken, "broken.yml")).map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('job "build" needs job "missing-job" which does not exist'),
        expect.stringContaining('input "node-versoin" is not defined'),
        expect.stringContaining('property "nope" is not defined'),
      ]),
    );
  });
});

describe("deploy workflow", () => {
  it("starts only on a push to main, a pushed v*.*.* tag, or a manual run", () => {
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.on.push).toEqual({ branches: ["main"], tags: ["v*.*.*"] });
  });

  it("offers only dev and staging to manual runs, defaulting to dev", () => {
    const input = (deploy.on.workflow_dispatch as { inputs: { stage: Record<string, unknown> } })
      .inputs.stage;
    expect(input).toMatchObject({ type: "choice", options: ["dev", "staging"], default: "dev" });
    // Every offered option is one the guard can allow from main.
    for (const stage of input.options as string[]) {
      const decision = decideStage({
        eventName: "workflow_dispatch",
        ref: "refs/heads/main",
        refType: "branch",
        requestedStage: stage,
      });
      expect(decision).toEqual({ ok: true, stage });
    }
  });

  it("decides the stage in the guard job, from the environment rather than spliced input", () => {
    const guard = deploy.jobs.guard;
    expect(guard?.needs).toBeUndefined();
    expect(guard?.outputs).toEqual({ stage: gh("steps.decide.outputs.stage") });
    const decide = guard?.steps?.find((s) => s.run?.includes("scripts/deploy-guard.ts"));
    expect(decide?.run?.trim()).toBe("npx tsx scripts/deploy-guard.ts");
    expect(decide?.env).toEqual({ REQUESTED_STAGE: gh("inputs.stage") });
    expect(guard?.permissions).toBeUndefined();
  });

  it("refuses a release tag whose commit is not on main", () => {
    const guard = deploy.jobs.guard;
    const checkout = guard?.steps?.find((s) => s.uses?.startsWith("actions/checkout"));
    expect(checkout?.with?.["fetch-depth"]).toBe(0);
    const onMain = guard?.steps?.find((s) => s.run?.includes("merge-base --is-ancestor"));
    expect(onMain).toMatchObject({ if: "github.ref_type == 'tag'" });
    expect(onMain?.run).toContain("git merge-base --is-ancestor HEAD origin/main");
    expect(onMain?.run).toContain("exit 1");
  });

  it("reaches AWS only from jobs behind the guard and the CI gate", () => {
    const awsJobs = Object.entries(deploy.jobs).filter(([, job]) => touchesAws(job));
    expect(awsJobs.map(([name]) => name)).toEqual(["deploy"]);
    for (const [, job] of awsJobs) {
      expect(needsOf(job)).toEqual(expect.arrayContaining(["guard", "checks"]));
      // The environment named after the stage is what applies approvals and branch rules.
      const environment =
        typeof job.environment === "string" ? job.environment : job.environment?.name;
      expect(environment).toBe(STAGE);
      expect(job.concurrency).toEqual({ group: `deploy-${STAGE}`, "cancel-in-progress": false });
      expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
      expect(job.env?.STAGE).toBe(STAGE);
    }
    expect(deploy.jobs.checks?.uses).toBe("./.github/workflows/ci.yml");
  });

  it("grants the OIDC token to no job but the deploy job", () => {
    expect(deploy.permissions).toEqual({ contents: "read" });
  });

  it("assumes the role by OIDC with no stored key, then deploys and smoke-tests the stage", () => {
    const deploySteps = deploy.jobs.deploy?.steps ?? [];
    const creds = deploySteps.find((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials"),
    );
    expect(creds?.with).toMatchObject({
      "role-to-assume": gh("vars.AWS_DEPLOY_ROLE_ARN"),
      "aws-region": gh("vars.AWS_REGION"),
    });
    expect(Object.keys(creds?.with ?? {})).not.toEqual(
      expect.arrayContaining(["aws-access-key-id"]),
    );
    const runs = deploySteps.map((s) => s.run?.trim() ?? "");
    const deployAt = runs.indexOf('npx sst deploy --stage "$STAGE"');
    const smokeAt = runs.indexOf('npx tsx scripts/smoke.ts --outputs .sst/outputs.json "$STAGE"');
    const containerAt = runs.indexOf(
      'npx tsx scripts/start-container.ts --outputs .sst/outputs.json "$STAGE"',
    );
    expect(deployAt).toBeGreaterThan(runs.indexOf("npm ci"));
    // The container is started (or its missing secrets named) before the smoke test.
    expect(containerAt).toBeGreaterThan(deployAt);
    expect(smokeAt).toBeGreaterThan(containerAt);
  });
});

describe("all workflows", () => {
  const files = workflowFiles(root).map((file) => file.slice(root.length + 1));

  it("are the two we expect", () => {
    expect(files).toEqual([".github/workflows/ci.yml", ".github/workflows/deploy.yml"]);
  });

  it("never splice an expression into a shell script (inputs go through env)", () => {
    for (const file of files) {
      for (const step of steps(load(file))) {
        expect(step.run ?? "", `${file}: ${step.run}`).not.toMatch(/\$\{\{/);
      }
    }
  });

  it("call only local workflows that exist and accept workflow_call", () => {
    for (const file of files) {
      for (const job of Object.values(load(file).jobs)) {
        if (!job.uses?.startsWith("./")) continue;
        const called = job.uses.slice(2);
        expect(existsSync(join(root, called)), `${file} calls ${called}`).toBe(true);
        expect(Object.keys(load(called).on)).toContain("workflow_call");
      }
    }
  });

  it("read only variables and secrets that docs/deploy.md lists", () => {
    const docs = read("docs/deploy.md");
    for (const file of files) {
      const used = [...read(file).matchAll(/\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)/g)];
      for (const [, , name] of used) {
        if (name === "GITHUB_TOKEN") continue;
        expect(docs, `${file} reads ${name}`).toContain(`\`${name}\``);
      }
    }
  });

  it("hold no AWS access key", () => {
    for (const file of files) {
      const text = read(file);
      expect(text).not.toMatch(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/);
      expect(text).not.toMatch(/aws-(access-key-id|secret-access-key)\s*:/);
    }
  });
});

describe("operator templates in docs/deploy/", () => {
  type Statement = {
    Sid: string;
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
  };
  const policy = (name: string) =>
    JSON.parse(read(`docs/deploy/${name}`)) as { Statement: Statement[] };
  const list = (value: string | string[] | undefined) =>
    typeof value === "string" ? [value] : (value ?? []);

  it("trust only this repository's jobs in the stage's environment, for STS", () => {
    const [trust, ...others] = policy("trust-policy.json").Statement;
    expect(others).toEqual([]);
    expect(trust?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(trust?.Condition).toEqual({
      StringEquals: {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:GITHUB_REPOSITORY:environment:STAGE",
      },
    });
  });

  it("let the deploy role manage the Auth0 secrets but never read or write their values", () => {
    const actions = policy("deploy-policy.json").Statement.flatMap((s) => list(s.Action));
    for (const forbidden of ["*", "secretsmanager:*", "secretsmanager:GetSecretValue"]) {
      expect(actions).not.toContain(forbidden);
    }
    expect(actions).not.toContain("secretsmanager:PutSecretValue");
    expect(actions).not.toContain("iam:*");
  });

  it("scope the stage's own resources by the stage name", () => {
    const statements = policy("deploy-policy.json").Statement;
    for (const sid of [
      "StageTable",
      "StageSecretsMetadataOnlyNeverValues",
      "StageFunctions",
      "StageRoles",
      "StageAlarms",
      "StageAlarmTopic",
    ]) {
      const resources = list(statements.find((s) => s.Sid === sid)?.Resource);
      expect(resources.length, sid).toBeGreaterThan(0);
      for (const resource of resources) expect(resource, sid).toMatch(/dodeck[-/]STAGE[-/]/);
    }
  });
});
