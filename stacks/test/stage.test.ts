import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/sst-platform.ts";
import { edgeThrottleRules, windowSeconds } from "../edge-throttle-rules.ts";
import { assertDeployable, profileOf, sharedStages, stagePolicy } from "../stage.ts";

describe("stagePolicy", () => {
  it("gives personal and PR stages the dev profile", () => {
    for (const stage of ["dev", "alice", "pr-123"]) {
      expect(stagePolicy(stage)).toMatchObject({
        stage,
        profile: "dev",
        environment: "dev",
        removal: "remove",
        protect: false,
        alarms: null,
        compute: { lambda: true, container: false },
      });
    }
  });

  it("protects and retains prod, with backups and alarms", () => {
    const prod = stagePolicy("prod");
    expect(prod).toMatchObject({ removal: "retain", protect: true, environment: "prod" });
    expect(prod.table).toEqual({ deletionProtection: true, pointInTimeRecovery: true });
    expect(prod.alarms?.emails.length).toBeGreaterThan(0);
    expect(prod.domain.api).toBe("api.dodeck.app");
  });

  it("retains staging without Pulumi protection, and runs both computes there", () => {
    const staging = stagePolicy("staging");
    expect(staging).toMatchObject({ removal: "retain", protect: false });
    expect(staging.table.pointInTimeRecovery).toBe(true);
    expect(staging.compute).toEqual({ lambda: true, container: true });
    expect(staging.alarms).not.toBeNull();
  });

  it("keeps prod alarm thresholds at least as strict as staging's", () => {
    const prod = stagePolicy("prod").alarms!;
    const staging = stagePolicy("staging").alarms!;
    expect(prod.lambdaErrors).toBeLessThanOrEqual(staging.lambdaErrors);
    expect(prod.lambdaP99Ms).toBeLessThanOrEqual(staging.lambdaP99Ms);
    expect(prod.api5xxPercent).toBeLessThanOrEqual(staging.api5xxPercent);
    expect(prod.dynamoThrottles).toBeLessThanOrEqual(staging.dynamoThrottles);
  });

  it("throttles every stage at the edge, prod most generously, bursts above the rate", () => {
    const [dev, staging, prod] = ["alice", "staging", "prod"].map((s) => stagePolicy(s).throttle);
    for (const throttle of [dev!, staging!, prod!]) {
      expect(throttle.rateLimit).toBeGreaterThan(0);
      expect(throttle.burstLimit).toBeGreaterThanOrEqual(throttle.rateLimit);
    }
    expect(prod!.rateLimit).toBeGreaterThanOrEqual(staging!.rateLimit);
    expect(staging!.rateLimit).toBeGreaterThanOrEqual(dev!.rateLimit);
  });

  it("lets one client use at most part of a stage's rate at the container's edge", () => {
    for (const stage of ["alice", "staging", "prod"]) {
      const { rateLimit, perClientPerMinute } = stagePolicy(stage).throttle;
      const rules = edgeThrottleRules(stagePolicy(stage));
      expect(rules).toEqual([
        { name: "PerClient", limit: perClientPerMinute, aggregate: "IP" },
        { name: "WholeStage", limit: rateLimit * windowSeconds, aggregate: "CONSTANT" },
      ]);
      // WAF refuses rate limits below 10 per window; one client gets less than the stage.
      expect(perClientPerMinute).toBeGreaterThanOrEqual(10);
      expect(perClientPerMinute).toBeLessThan(rateLimit * windowSeconds);
    }
  });

  it("lets a stage override the compute, and rejects unknown values", () => {
    expect(stagePolicy("alice", { compute: "both" }).compute).toEqual({
      lambda: true,
      container: true,
    });
    expect(stagePolicy("alice", { compute: "container" }).compute).toEqual({
      lambda: false,
      container: true,
    });
    expect(() => stagePolicy("alice", { compute: "ec2" as never })).toThrow(/DODECK_COMPUTE/);
  });

  it("rejects stage names AWS resource names cannot carry", () => {
    for (const bad of ["", "Prod", "my_stage", "1abc", "a".repeat(25)]) {
      expect(() => stagePolicy(bad)).toThrow(/Invalid stage/);
    }
  });

  it("maps only the exact names staging and prod to their profiles", () => {
    expect(profileOf("prod")).toBe("prod");
    expect(profileOf("production")).toBe("dev");
    expect(profileOf("staging-2")).toBe("dev");
  });
});

describe("assertDeployable", () => {
  it("refuses sst dev on dev, staging and prod, naming the way out", () => {
    expect(sharedStages).toEqual(["dev", "staging", "prod"]);
    for (const stage of sharedStages) {
      expect(() => assertDeployable(stage, true)).toThrow(
        new RegExp(`Refusing \`sst dev\` on the shared stage "${stage}".*--stage <your-name>`),
      );
    }
  });

  it("lets sst deploy reach every stage and sst dev reach personal and PR stages", () => {
    for (const stage of sharedStages) expect(() => assertDeployable(stage, false)).not.toThrow();
    for (const stage of ["alice", "pr-12", "dev-2", "production"]) {
      expect(() => assertDeployable(stage, true)).not.toThrow();
    }
  });
});

describe("sst.config.ts app()", () => {
  it("uses the same removal and protection as the stage policy", async () => {
    // app() must stay import-free for the CLI, so it repeats the policy; keep them equal.
    Object.assign(globalThis, { $config: (config: unknown) => config });
    const file = pathToFileURL(path.join(repoRoot, "sst.config.ts")).href;
    const config = (await import(/* @vite-ignore */ file)).default as {
      app: (input: { stage: string }) => {
        name: string;
        home: string;
        removal: string;
        protect: boolean;
      };
    };
    for (const stage of ["dev", "alice", "pr-7", "staging", "prod"]) {
      const policy = stagePolicy(stage);
      expect(config.app({ stage })).toEqual({
        name: "dodeck",
        home: "aws",
        removal: policy.removal,
        protect: policy.protect,
      });
    }
  });
});
