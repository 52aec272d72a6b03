import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../scripts/sst-platform.ts";
import type { GraphResource, GraphRun } from "./graph-runner.ts";

export type { GraphResource, GraphRun };

const runner = path.join(repoRoot, "stacks", "test", "graph-runner.ts");

/** Runs sst.config.ts for one stage against Pulumi mocks in a child process. */
export function runGraph(
  stage: string,
  mode: "deploy" | "dev",
  env: { DODECK_COMPUTE?: string } = {},
): Promise<GraphRun> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "dodeck-graph-")), "graph.json");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", runner, stage, mode, out], {
      cwd: repoRoot,
      // The policy must come from the stage alone, not from a developer's shell.
      env: { ...process.env, DODECK_COMPUTE: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (chunk) => {
      log += chunk;
    });
    child.stderr.on("data", (chunk) => {
      log += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0)
        return reject(new Error(`graph run ${stage}/${mode} exited ${code}:\n${log}`));
      resolve(JSON.parse(readFileSync(out, "utf8")) as GraphRun);
    });
  });
}

export function ofType(graph: GraphRun, type: string): GraphResource[] {
  return graph.resources.filter((resource) => resource.type === type);
}

export function one(graph: GraphRun, type: string, name?: string): GraphResource {
  const found = ofType(graph, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
  }
  return found[0]!;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  effect?: string;
  actions?: string[];
  resources?: string[];
}

/** Every statement of a role's inline policies, normalised to { effect, actions, resources }. */
export function roleStatements(role: GraphResource) {
  const policies = (role.inputs.inlinePolicies ?? []) as { policy?: string }[];
  return policies.flatMap((p) => {
    const doc = JSON.parse(p.policy ?? "{}") as { Statement?: Statement[] };
    return (doc.Statement ?? []).map((s) => ({
      effect: s.Effect ?? s.effect ?? "Allow",
      actions: toArray(s.Action ?? s.actions),
      resources: toArray(s.Resource ?? s.resources),
    }));
  });
}

function toArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Pulumi marks secret inputs with a signature key; the tests read through it. */
export function unsecret<T>(value: T | { value: T }): T {
  const signature = "4dabf18193072939515e22adb298388d";
  if (value && typeof value === "object" && signature in value)
    return (value as { value: T }).value;
  return value as T;
}
