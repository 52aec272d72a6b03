import { describe, expect, it } from "vitest";
import { type Aws, decide, type EcsService, hasValue, startContainer } from "./start-container.ts";

const withValue = { VersionIdsToStages: { v1: ["AWSCURRENT"] } };
const noValue: { VersionIdsToStages?: Record<string, string[]> } = {};

/** A fake AWS CLI: secrets by name, then the service as successive describe-services see it. */
function fakeAws(secrets: Record<string, object>, states: EcsService[]) {
  const calls: string[] = [];
  let index = 0;
  const aws: Aws = async (args) => {
    calls.push(args.slice(0, 2).join(" "));
    if (args[1] === "describe-secret") return secrets[args[3]!] ?? noValue;
    if (args[1] === "describe-services") {
      const state = states[Math.min(index, states.length - 1)]!;
      index += 1;
      return { services: [state] };
    }
    if (args[1] === "update-service") return {};
    throw new Error(`unexpected aws ${args.join(" ")}`);
  };
  return { aws, calls };
}

const deployment = (rolloutState: string) => ({
  status: "PRIMARY",
  rolloutState,
  runningCount: rolloutState === "COMPLETED" ? 1 : 0,
  desiredCount: 1,
});
const bothSet = {
  "dodeck/staging/auth0-issuer": withValue,
  "dodeck/staging/auth0-audience": withValue,
};
const quiet = { log: () => undefined, pollMs: 1 };

describe("decide", () => {
  it("names the secrets without a value before anything else", () => {
    expect(
      decide({ deployments: [deployment("FAILED")] }, ["dodeck/staging/auth0-issuer"]),
    ).toEqual({ kind: "missing-secrets", secrets: ["dodeck/staging/auth0-issuer"] });
  });

  it("starts a new deployment when the circuit breaker failed the last one", () => {
    expect(decide({ deployments: [deployment("FAILED")] }, [])).toEqual({
      kind: "force-new-deployment",
    });
  });

  it("only waits for a rollout that is in progress or done", () => {
    expect(decide({ deployments: [deployment("IN_PROGRESS")] }, [])).toEqual({ kind: "wait" });
    expect(decide({ deployments: [deployment("COMPLETED")] }, [])).toEqual({ kind: "wait" });
  });

  it("reads a secret's value from its AWSCURRENT label", () => {
    expect(hasValue(withValue)).toBe(true);
    expect(hasValue({ VersionIdsToStages: { v1: ["AWSPREVIOUS"] } })).toBe(false);
    expect(hasValue(noValue)).toBe(false);
  });
});

describe("startContainer", () => {
  it("does nothing on a stage without a container", async () => {
    const { aws, calls } = fakeAws({}, []);
    expect(await startContainer({ stage: "prod", aws, ...quiet })).toEqual({
      kind: "no-container",
    });
    expect(calls).toEqual([]);
  });

  it("fails at once on a first deploy, telling the operator which secrets to set", async () => {
    const { aws, calls } = fakeAws({}, [{ deployments: [deployment("IN_PROGRESS")] }]);
    await expect(
      startContainer({ stage: "staging", cluster: "c", service: "Service", aws, ...quiet }),
    ).rejects.toThrow(
      "dodeck/staging/auth0-issuer and dodeck/staging/auth0-audience have no value. Set them with aws secretsmanager put-secret-value",
    );
    expect(calls).not.toContain("ecs update-service");
  });

  it("restarts the rollout the circuit breaker stopped, once the secrets are set, and waits for it", async () => {
    const { aws, calls } = fakeAws(bothSet, [
      { deployments: [deployment("FAILED")] },
      { deployments: [deployment("IN_PROGRESS")] },
      { deployments: [deployment("COMPLETED")] },
    ]);
    const step = await startContainer({
      stage: "staging",
      cluster: "c",
      service: "Service",
      aws,
      ...quiet,
    });
    expect(step).toEqual({ kind: "force-new-deployment" });
    expect(calls.filter((c) => c.startsWith("ecs"))).toEqual([
      "ecs describe-services",
      "ecs update-service",
      "ecs describe-services",
      "ecs describe-services",
    ]);
  });

  it("fails with ECS's latest events when the new rollout fails too", async () => {
    const { aws } = fakeAws(bothSet, [
      { deployments: [deployment("IN_PROGRESS")] },
      {
        deployments: [
          {
            ...deployment("FAILED"),
            rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
          },
        ],
        events: [
          { message: "(service Service) failed to launch a task: ResourceInitializationError" },
        ],
      },
    ]);
    await expect(
      startContainer({ stage: "staging", cluster: "c", service: "Service", aws, ...quiet }),
    ).rejects.toThrow(
      /rollout FAILED: ECS deployment circuit breaker[\s\S]*ResourceInitializationError/,
    );
  });
});
