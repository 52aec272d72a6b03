import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decideStage, type GuardInput, runGuardCli } from "./deploy-guard.ts";

const main = { ref: "refs/heads/main", refType: "branch" };
const feature = { ref: "refs/heads/feature/login", refType: "branch" };
const tag = (name: string) => ({ ref: `refs/tags/${name}`, refType: "tag" });

describe("decideStage allows", () => {
  const allowed: [string, GuardInput, string][] = [
    ["a push to main to deploy dev", { eventName: "push", ...main }, "dev"],
    ["a pushed release tag to deploy prod", { eventName: "push", ...tag("v1.2.3") }, "prod"],
    ["a pushed v0 release tag to deploy prod", { eventName: "push", ...tag("v0.1.0") }, "prod"],
    ["a multi-digit release tag", { eventName: "push", ...tag("v10.20.30") }, "prod"],
    [
      "a manual run without a stage to deploy dev",
      { eventName: "workflow_dispatch", ...main },
      "dev",
    ],
    [
      "a manual run on main to deploy dev",
      { eventName: "workflow_dispatch", ...main, requestedStage: "dev" },
      "dev",
    ],
    [
      "a manual run on a feature branch to deploy dev",
      { eventName: "workflow_dispatch", ...feature, requestedStage: "dev" },
      "dev",
    ],
    [
      "a manual run on main to deploy staging",
      { eventName: "workflow_dispatch", ...main, requestedStage: "staging" },
      "staging",
    ],
  ];
  it.each(allowed)("%s", (_name, input, stage) => {
    expect(decideStage(input)).toEqual({ ok: true, stage });
  });
});

describe("decideStage refuses", () => {
  const refused: [string, GuardInput, RegExp][] = [
    [
      "a push to another branch",
      { eventName: "push", ...feature },
      /only a push to refs\/heads\/main deploys dev/,
    ],
    [
      "a branch whose name only starts with main",
      { eventName: "push", ref: "refs/heads/main-hotfix", refType: "branch" },
      /deploys nothing/,
    ],
    ["a tag named main", { eventName: "push", ...tag("main") }, /not a release tag/],
    ["a pre-release tag", { eventName: "push", ...tag("v1.2.3-rc.1") }, /not a release tag/],
    ["a tag without the v", { eventName: "push", ...tag("1.2.3") }, /not a release tag/],
    ["a tag with leading zeros", { eventName: "push", ...tag("v01.2.3") }, /not a release tag/],
    ["a two-part tag", { eventName: "push", ...tag("v1.2") }, /not a release tag/],
    [
      "a push that requests a stage",
      { eventName: "push", ...main, requestedStage: "prod" },
      /cannot request a stage/,
    ],
    [
      "a manual prod deploy from main",
      { eventName: "workflow_dispatch", ...main, requestedStage: "prod" },
      /prod deploys only from a pushed release tag/,
    ],
    [
      "a manual prod deploy from a feature branch",
      { eventName: "workflow_dispatch", ...feature, requestedStage: "prod" },
      /prod deploys only from a pushed release tag/,
    ],
    [
      "a manual run on a release tag",
      { eventName: "workflow_dispatch", ...tag("v1.2.3"), requestedStage: "prod" },
      /manual deploys run from a branch/,
    ],
    [
      "a manual staging deploy from a feature branch",
      { eventName: "workflow_dispatch", ...feature, requestedStage: "staging" },
      /staging deploys only from refs\/heads\/main/,
    ],
    [
      "a manual staging deploy from a tag",
      { eventName: "workflow_dispatch", ...tag("v1.2.3"), requestedStage: "staging" },
      /manual deploys run from a branch/,
    ],
    [
      "a personal stage",
      { eventName: "workflow_dispatch", ...main, requestedStage: "alice" },
      /unknown stage "alice"/,
    ],
    [
      "a stage name in another case",
      { eventName: "workflow_dispatch", ...main, requestedStage: "PROD" },
      /unknown stage "PROD"/,
    ],
    ["a pull request", { eventName: "pull_request", ...main }, /event pull_request never deploys/],
    [
      "a pull_request_target from a fork",
      { eventName: "pull_request_target", ...main },
      /never deploys/,
    ],
    ["a release event", { eventName: "release", ...tag("v1.2.3") }, /event release never deploys/],
    ["a schedule", { eventName: "schedule", ...main }, /never deploys/],
    ["an empty event", { eventName: "", ...main }, /event \(empty\) never deploys/],
    [
      "a ref whose type disagrees",
      { eventName: "push", ref: "refs/tags/v1.2.3", refType: "branch" },
      /is not a branch or tag/,
    ],
    [
      "a pull request merge ref",
      { eventName: "push", ref: "refs/pull/7/merge", refType: "branch" },
      /is not a branch or tag/,
    ],
    ["an empty ref", { eventName: "push", ref: "", refType: "" }, /\(empty\)/],
  ];
  it.each(refused)("%s", (_name, input, reason) => {
    const decision = decideStage(input);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.reason).toMatch(reason);
    // One line, so it reads as a single annotation in the Actions UI.
    expect(decision.reason).not.toContain("\n");
  });
});

describe("guard CLI", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "deploy-guard-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it("writes the stage to GITHUB_OUTPUT and exits 0 when allowed", () => {
    const output = join(dir, "output");
    writeFileSync(output, "");
    vi.spyOn(console, "log").mockImplementation(() => {});
    const code = runGuardCli({
      GITHUB_EVENT_NAME: "workflow_dispatch",
      GITHUB_REF: "refs/heads/main",
      GITHUB_REF_TYPE: "branch",
      REQUESTED_STAGE: "staging",
      GITHUB_OUTPUT: output,
    });
    expect(code).toBe(0);
    expect(readFileSync(output, "utf8")).toBe("stage=staging\n");
  });

  it("prints one error annotation, writes no stage and exits 1 when refused", () => {
    const output = join(dir, "output");
    writeFileSync(output, "");
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const code = runGuardCli({
      GITHUB_EVENT_NAME: "workflow_dispatch",
      GITHUB_REF: "refs/heads/feature/x",
      GITHUB_REF_TYPE: "branch",
      REQUESTED_STAGE: "prod",
      GITHUB_OUTPUT: output,
    });
    expect(code).toBe(1);
    expect(readFileSync(output, "utf8")).toBe("");
    expect(error).toHaveBeenCalledWith(
      "::error title=Deploy refused::prod deploys only from a pushed release tag vMAJOR.MINOR.PATCH, never by hand",
    );
  });

  it("runs as the workflow calls it, with tsx", async () => {
    const output = join(dir, "output");
    writeFileSync(output, "");
    const run = promisify(execFile);
    const env = {
      PATH: process.env.PATH,
      GITHUB_EVENT_NAME: "push",
      GITHUB_REF: "refs/tags/v2.0.0",
      GITHUB_REF_TYPE: "tag",
      GITHUB_OUTPUT: output,
    };
    await run("node_modules/.bin/tsx", ["scripts/deploy-guard.ts"], { env, timeout: 15_000 });
    expect(readFileSync(output, "utf8")).toBe("stage=prod\n");

    const refused = run("node_modules/.bin/tsx", ["scripts/deploy-guard.ts"], {
      env: { ...env, GITHUB_REF: "refs/tags/v2.0.0-beta" },
      timeout: 15_000,
    });
    await expect(refused).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("::error title=Deploy refused::tag refs/tags/v2.0.0-beta"),
    });
  });
});
