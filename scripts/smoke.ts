/**
 * Post-deploy smoke test:
 *
 *   tsx scripts/smoke.ts <baseUrl> <expectedEnvironment>
 *   tsx scripts/smoke.ts --outputs .sst/outputs.json <expectedEnvironment>
 *
 * The second form tests every URL the SST program returned (`api` for the Lambda,
 * `container` for the Fargate service; a stage may have either or both) and fails when
 * there is none.
 *
 * Passes when `/healthz` answers 200 `{ok: true, environment: <expected>}` and `/readyz`
 * answers 200 (the table answers). Each check is retried a bounded number of times,
 * because a fresh deploy can take a few seconds to serve (cold start, API propagation);
 * every request has its own timeout so a hanging endpoint cannot stall the pipeline.
 * Exit code 0 on success, 1 on failure, 2 on bad arguments.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

/** Keys of `sst.config.ts`'s run() result that hold a base URL of the app. */
export const urlOutputKeys = ["api", "container"] as const;

/** The app's base URLs among SST's outputs (`.sst/outputs.json` after a deploy). */
export function deployedUrls(outputs: unknown): { key: string; url: string }[] {
  if (typeof outputs !== "object" || outputs === null) return [];
  const record = outputs as Record<string, unknown>;
  return urlOutputKeys.flatMap((key) => {
    const url = record[key];
    return typeof url === "string" && url !== "" ? [{ key, url }] : [];
  });
}

export type SmokeOptions = {
  /** Tries per check, at least 1. */
  attempts: number;
  /** Pause between tries of one check. */
  intervalMs: number;
  /** Timeout of each request. */
  requestTimeoutMs: number;
  log: (line: string) => void;
};

export type SmokeResult = { ok: true } | { ok: false; reason: string };

const defaults: SmokeOptions = {
  attempts: 10,
  intervalMs: 3_000,
  requestTimeoutMs: 5_000,
  log: (line) => console.log(line),
};

type Check = { path: string; verify: (status: number, body: string) => string | undefined };

function healthCheck(expectedEnvironment: string): Check {
  return {
    path: "/healthz",
    verify: (status, body) => {
      if (status !== 200) return `answered ${status}, expected 200`;
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return "answered a body that is not JSON";
      }
      const health = (json ?? {}) as { ok?: unknown; environment?: unknown };
      if (health.ok !== true) return `answered ok=${JSON.stringify(health.ok)}, expected true`;
      if (health.environment !== expectedEnvironment) {
        return `answered environment=${JSON.stringify(health.environment)}, expected "${expectedEnvironment}"`;
      }
      return undefined;
    },
  };
}

const readyCheck: Check = {
  path: "/readyz",
  verify: (status) => (status === 200 ? undefined : `answered ${status}, expected 200`),
};

async function probe(url: string, check: Check, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return check.verify(response.status, body);
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError") return `timed out after ${timeoutMs} ms`;
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
    return `request failed${cause ? `: ${cause}` : ""}`;
  }
}

export async function smokeTest(
  baseUrl: string,
  expectedEnvironment: string,
  options: Partial<SmokeOptions> = {},
): Promise<SmokeResult> {
  const { attempts, intervalMs, requestTimeoutMs, log } = { ...defaults, ...options };
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return { ok: false, reason: `base URL ${JSON.stringify(baseUrl)} is not a URL` };
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    return { ok: false, reason: `base URL ${baseUrl} is not http(s)` };
  }
  const root = base.href.replace(/\/+$/, "");
  const tries = Math.max(1, Math.floor(attempts));

  for (const check of [healthCheck(expectedEnvironment), readyCheck]) {
    const url = `${root}${check.path}`;
    let failure: string | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      failure = await probe(url, check, requestTimeoutMs);
      if (failure === undefined) break;
      log(`GET ${check.path} try ${attempt}/${tries}: ${failure}`);
      if (attempt < tries) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    if (failure !== undefined) {
      return { ok: false, reason: `GET ${url} ${failure} (after ${tries} tries)` };
    }
    log(`GET ${check.path} ok`);
  }
  return { ok: true };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

const usage = [
  "usage: tsx scripts/smoke.ts <baseUrl> <expectedEnvironment>",
  "       tsx scripts/smoke.ts --outputs <.sst/outputs.json> <expectedEnvironment>",
].join("\n");

function fail(reason: string): number {
  // The `::error::` prefix turns the line into an annotation on GitHub and reads fine elsewhere.
  console.error(`::error title=Smoke test failed::${reason}`);
  return 1;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const fromOutputs = argv[0] === "--outputs";
  const [target, expectedEnvironment] = fromOutputs ? argv.slice(1) : argv;
  if (!target || !expectedEnvironment) {
    console.error(usage);
    return 2;
  }
  let targets = [{ key: "url", url: target }];
  if (fromOutputs) {
    let outputs: unknown;
    try {
      outputs = JSON.parse(readFileSync(target, "utf8"));
    } catch (error) {
      return fail(`cannot read SST outputs ${target}: ${(error as Error).message}`);
    }
    targets = deployedUrls(outputs);
    if (targets.length === 0) {
      return fail(`${target} has no URL output (${urlOutputKeys.join(" or ")})`);
    }
  }
  const options = {
    attempts: positiveInt(env.SMOKE_ATTEMPTS, defaults.attempts),
    intervalMs: positiveInt(env.SMOKE_INTERVAL_MS, defaults.intervalMs),
    requestTimeoutMs: positiveInt(env.SMOKE_TIMEOUT_MS, defaults.requestTimeoutMs),
  };
  for (const { key, url } of targets) {
    if (fromOutputs) console.log(`Smoke-testing ${key}: ${url}`);
    const result = await smokeTest(url, expectedEnvironment, options);
    if (!result.ok) return fail(result.reason);
    console.log(`Smoke test passed: ${url} serves environment ${expectedEnvironment}`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
