/**
 * The promotion policy, in one place: which GitHub event may deploy which stage.
 *
 *   push to refs/heads/main                    -> dev
 *   push of a release tag vMAJOR.MINOR.PATCH   -> prod   (the environment adds the approval)
 *   workflow_dispatch, stage dev (the default) -> dev, from any branch
 *   workflow_dispatch, stage staging           -> staging, from refs/heads/main only
 *   anything else                              -> refused, with a one-line reason
 *
 * The deploy workflow runs this file as its guard job; `deploy-guard.test.ts` pins every
 * allowed and refused combination, so a policy change shows up as a failing test.
 * Personal stages are deployed from laptops, never from CI, so no other stage name passes.
 */
import { appendFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

export const deployStages = ["dev", "staging", "prod"] as const;
export type DeployStage = (typeof deployStages)[number];

export type GuardInput = {
  /** `github.event_name` */
  eventName: string;
  /** `github.ref`, e.g. `refs/heads/main` or `refs/tags/v1.2.3` */
  ref: string;
  /** `github.ref_type`: `branch` or `tag` */
  refType: string;
  /** `inputs.stage` of a manual run; empty for pushes */
  requestedStage?: string | undefined;
};

export type GuardDecision = { ok: true; stage: DeployStage } | { ok: false; reason: string };

const MAIN = "refs/heads/main";
// Strict semver core only: a pre-release tag (v1.2.3-rc.1) also matches the workflow's
// `v*.*.*` filter, but must not reach prod.
const RELEASE_TAG = /^refs\/tags\/v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const allow = (stage: DeployStage): GuardDecision => ({ ok: true, stage });
const refuse = (reason: string): GuardDecision => ({ ok: false, reason });

export function decideStage(input: GuardInput): GuardDecision {
  const { eventName, ref, refType } = input;
  const requested = (input.requestedStage ?? "").trim();

  // A ref that disagrees with its type is not something GitHub sends; refuse rather than guess.
  const isBranch = refType === "branch" && ref.startsWith("refs/heads/");
  const isTag = refType === "tag" && ref.startsWith("refs/tags/");
  if (!isBranch && !isTag) {
    return refuse(`ref ${ref || "(empty)"} of type ${refType || "(empty)"} is not a branch or tag`);
  }

  if (eventName === "push") {
    if (requested !== "") {
      return refuse(`a push cannot request a stage (got "${requested}")`);
    }
    if (isBranch) {
      return ref === MAIN
        ? allow("dev")
        : refuse(`a push to ${ref} deploys nothing; only a push to ${MAIN} deploys dev`);
    }
    return RELEASE_TAG.test(ref)
      ? allow("prod")
      : refuse(`tag ${ref} is not a release tag vMAJOR.MINOR.PATCH; only release tags deploy prod`);
  }

  if (eventName === "workflow_dispatch") {
    const stage = requested === "" ? "dev" : requested;
    if (!isBranch) {
      return refuse(
        `manual deploys run from a branch, not ${ref}; a release tag deploys prod when pushed`,
      );
    }
    switch (stage) {
      case "dev":
        return allow("dev");
      case "staging":
        return ref === MAIN
          ? allow("staging")
          : refuse(`staging deploys only from ${MAIN}, not ${ref}`);
      case "prod":
        return refuse(
          "prod deploys only from a pushed release tag vMAJOR.MINOR.PATCH, never by hand",
        );
      default:
        return refuse(
          `unknown stage "${stage}"; CI deploys dev, staging or prod (personal stages deploy from a laptop)`,
        );
    }
  }

  return refuse(`event ${eventName || "(empty)"} never deploys; use push or workflow_dispatch`);
}

/**
 * CLI for the workflow's guard job. Reads the GitHub context from the environment (the
 * requested stage comes in as REQUESTED_STAGE so no input is ever spliced into shell),
 * writes `stage=<stage>` to $GITHUB_OUTPUT, or prints the refusal as an error annotation
 * and exits 1.
 */
export function runGuardCli(env: NodeJS.ProcessEnv): number {
  const decision = decideStage({
    eventName: env.GITHUB_EVENT_NAME ?? "",
    ref: env.GITHUB_REF ?? "",
    refType: env.GITHUB_REF_TYPE ?? "",
    requestedStage: env.REQUESTED_STAGE,
  });
  if (!decision.ok) {
    console.error(`::error title=Deploy refused::${decision.reason}`);
    return 1;
  }
  console.log(
    `Deploy allowed: stage ${decision.stage} (${env.GITHUB_EVENT_NAME} ${env.GITHUB_REF})`,
  );
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `stage=${decision.stage}\n`);
  if (env.GITHUB_STEP_SUMMARY) {
    appendFileSync(
      env.GITHUB_STEP_SUMMARY,
      `Deploying **${decision.stage}** from \`${env.GITHUB_REF}\`\n`,
    );
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runGuardCli(process.env);
}
