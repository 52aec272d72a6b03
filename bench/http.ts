import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import autocannon from "autocannon";
import { freePort, startDynamoLocal } from "../scripts/dynamodb-local.ts";
import { setupTable } from "../scripts/local-table.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../test/support/issuer.ts";
import { batchGet, type Floor, floorName, get, put, query, transact, update } from "./floors.ts";

/**
 * `npm run bench`: DoDeck's production Node build against DynamoDB Local, each route next to
 * a floor of its own shape measured in the same run: a process with no DoDeck code making
 * exactly the route's DynamoDB calls with the raw SDK (bench/floors.ts, bench/floor-server.ts).
 * Per route it prints req/s and server CPU per request relative to that floor, and req/s
 * relative to the floor the issue's targets name. Everything goes over loopback; every loop is
 * bounded; everything started here is stopped in `finally` (and on SIGINT/SIGTERM). See
 * docs/performance.md for the method and the latest figures.
 *
 * BENCH_DURATION=<seconds> shortens each measurement (default 10); BENCH_CONNECTIONS=32 runs
 * only that concurrency (default 1,32); BENCH_PROFILE=1 runs the API and the floors under
 * `node --cpu-prof` and leaves the profiles in bench/results/profile/ and profile-floor/.
 */

const DURATION_S = boundedNumber(process.env.BENCH_DURATION, 10, 1, 60);
/**
 * DynamoDB Local is a JVM: cold, an operation type it has not run much answers several times
 * slower. Every target is first run for WARMUP_ALL_S (so GetItem, Query, UpdateItem and
 * TransactWriteItems are all compiled before anything is measured), then again for WARMUP_S
 * right before its own measurement.
 */
const WARMUP_ALL_S = Math.min(2, DURATION_S);
const WARMUP_S = Math.min(1, DURATION_S);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "1,32").split(",").map((value) => {
  const connections = Number(value);
  if (!Number.isInteger(connections) || connections < 1 || connections > 256)
    throw new Error("BENCH_CONNECTIONS must be integers between 1 and 256, e.g. 1,32");
  return connections;
});
/** The issue's targets are judged at this concurrency (when it is measured). */
const JUDGED_AT = 32;
const CPU_RATIO_MAX = 1.3;
const RSS_MAX_MB = 150;
const PROFILE = process.env.BENCH_PROFILE === "1";
/** Experiments: extra node flags for the API process, and a route-name filter (its floors still run). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
const ONLY = process.env.BENCH_ONLY;
const SKIP_FLOORS = process.env.BENCH_FLOORS === "0";
const RESULTS_DIR = "bench/results";
const START_BUNDLE = "dist/server/index.mjs";
/** Before/after comparisons: another build of the server, other node flags than `npm start`'s. */
const SERVER_BUNDLE = process.env.BENCH_SERVER_BUNDLE || START_BUNDLE;
const READY_TIMEOUT_MS = 20_000;
const TABLE_NAME = "DoDeckBench";
const SEED = { decks: 20, dos: 50, collaborator: "friend@example.com" };
/**
 * The highest POST rate the run provisions decks for (req/s, far above this machine's): the
 * POST target spreads its creates over ceil(ceiling × seconds it runs / 1,000) seeded decks, so
 * it stays under the per-deck do quota (MAX_DOS_PER_DECK, left at its default) honestly.
 */
const POST_RATE_CEILING = 3_000;
const DOS_PER_DECK_QUOTA = 1_000;
const OWNER = { sub: "auth0|bench-owner", email: "owner@example.com" };

type Target = {
  name: string;
  server: "api" | "floor";
  method: "GET" | "POST" | "PATCH";
  path: string;
  /** Paths taken in turn, one per request (PATCH spreads over the seeded dos, as its floor does). */
  paths?: string[];
  body?: string;
  auth?: boolean;
  /** API routes: the DynamoDB calls the route makes (docs/data-model.md), measured as its floor. */
  floor?: Floor;
  /** API routes: the issue's req/s target, relative to the floor it names. */
  target?: { floor: Floor; min: number };
};

type Row = {
  target: string;
  connections: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  serverPeakRssMb: number;
  /** CPU time (user + system) per request, of the server process and of DynamoDB Local. */
  serverCpuMsPerReq: number;
  dynamoCpuMsPerReq: number;
  /** /proc/loadavg (1, 5, 15 min) when the measurement ended. */
  loadAverage: number[];
  /** API routes: their own floor, and the ratios to it measured at the same concurrency. */
  floor?: string;
  reqRatioToFloor?: number;
  cpuRatioToFloor?: number;
  /** API routes with a target: req/s relative to the target's floor. */
  targetFloor?: string;
  reqRatioToTargetFloor?: number;
  targetMin?: number;
};

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const stop of cleanups.reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`bench: cleanup failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    console.error(`bench: ${signal}, stopping everything it started`);
    await cleanup();
    process.exit(130);
  });
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

async function main(): Promise<void> {
  if (!existsSync(SERVER_BUNDLE)) {
    throw new Error(`${SERVER_BUNDLE} is missing: run 'npm run build -- server' first`);
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  const started = new Date();

  // 1. DynamoDB Local and the table.
  const dynamo = await startDynamoLocal();
  cleanups.push(dynamo.stop);
  await setupTable({ DYNAMODB_ENDPOINT_URL: dynamo.endpoint, TABLE_NAME });

  // 2. A loopback JWKS for a real RS256 issuer: the API fetches keys exactly as from Auth0.
  const issuer = await createTestIssuer("bench-key");
  const jwksBody = JSON.stringify(issuer.jwks);
  const jwks = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwksBody);
  });
  const jwksUrl = await listen(jwks);
  cleanups.push(() => closeServer(jwks));
  const token = await issuer.sign(
    {
      sub: OWNER.sub,
      "https://dodeck.app/email": OWNER.email,
      "https://dodeck.app/email_verified": true,
    },
    { expiresIn: "1h" },
  );

  // 3. The production build of the Node adapter, configured only by the environment and run
  // with the node flags of `npm start` (the V8 heap bounds live there).
  const startFlags =
    process.env.BENCH_START_FLAGS === undefined
      ? await nodeFlagsOfStartScript()
      : process.env.BENCH_START_FLAGS.split(" ").filter(Boolean);
  const apiPort = await freePort();
  const logFd = openSync(`${RESULTS_DIR}/api-server.log`, "w");
  cleanups.push(async () => closeSync(logFd));
  const api = await startProcess(
    "api",
    [
      ...startFlags,
      ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}/profile`] : []),
      ...NODE_FLAGS,
      SERVER_BUNDLE,
    ],
    {
      PORT: String(apiPort),
      ENVIRONMENT: "local",
      AUTH0_ISSUER: TEST_ISSUER,
      AUTH0_AUDIENCE: TEST_AUDIENCE,
      AUTH0_JWKS_URL: `${jwksUrl}/.well-known/jwks.json`,
      TABLE_NAME,
      DYNAMODB_ENDPOINT_URL: dynamo.endpoint,
      AWS_REGION: "us-east-1",
      LOG_LEVEL: "info",
    },
    logFd,
    `http://127.0.0.1:${apiPort}/healthz`,
  );
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  // 4. Seed through the public API.
  const seed = await seedThroughApi(apiUrl, token);

  // 5. Each route with the DynamoDB calls it makes (docs/data-model.md, "DynamoDB calls per
  // route"): its floor. Edit a route's floor here when its calls change.
  const deck = `/v1/decks/${seed.deckId}`;
  const pageOfDos = query("deck", 52); // limit 50 + the deck item + one to tell a next page
  // Every do write updates the deck item (admission, change clock, do count) besides its own
  // write (docs/data-model.md "The change feed").
  const createShape = transact(update("deck"), put());
  const apiTargets: Target[] = [
    { name: "GET /healthz", server: "api", method: "GET", path: "/healthz" },
    {
      name: "GET /v1/decks",
      server: "api",
      method: "GET",
      path: "/v1/decks",
      auth: true,
      // visibility=all: the owner's access rows (a page of 50 + 1), then the email's (50 - 20 + 1).
      floor: [query("ownerAccess", 51), query("emailAccess", 31)],
      target: { floor: [pageOfDos], min: 0.5 },
    },
    {
      name: "GET /v1/decks/{id}",
      server: "api",
      method: "GET",
      path: deck,
      auth: true,
      floor: [get("deck")],
      target: { floor: [get("deck")], min: 0.8 },
    },
    {
      name: "GET /v1/decks/{id}/dos",
      server: "api",
      method: "GET",
      path: `${deck}/dos`,
      auth: true,
      // The whole deck-and-dos key range (positions are attributes: the list sorts in memory).
      floor: [query("deck")],
      target: { floor: [pageOfDos], min: 0.7 },
    },
    {
      name: "GET /v1/decks/{id}/dos/{doId}",
      server: "api",
      method: "GET",
      path: `${deck}/dos/${seed.doIds[0]}`,
      auth: true,
      // The deck (access check) and the do in one strongly consistent BatchGetItem. The issue's
      // target stays against the GetItem floor.
      floor: [batchGet("deck", "do")],
      target: { floor: [get("deck")], min: 0.8 },
    },
    {
      name: "POST /v1/decks/{id}/dos",
      server: "api",
      method: "POST",
      // Decks seeded for it, in turn: the thousands of dos this creates (warm-up included) must
      // not change what GET …/dos reads from the first deck, nor pass the per-deck do quota.
      path: `/v1/decks/${seed.postDeckIds[0]}/dos`,
      paths: seed.postDeckIds.map((id) => `/v1/decks/${id}/dos`),
      body: JSON.stringify({ text: "benchmark do" }),
      auth: true,
      floor: [createShape],
      target: { floor: [createShape], min: 0.7 },
    },
    {
      name: "PATCH /v1/decks/{id}/dos/{doId}",
      server: "api",
      method: "PATCH",
      path: `${deck}/dos/${seed.doIds[0]}`,
      paths: seed.doIds.map((doId) => `${deck}/dos/${doId}`),
      body: JSON.stringify({ completed: true }),
      auth: true,
      floor: [get("do"), transact(update("deck"), update("do"))],
      target: { floor: [createShape], min: 0.5 },
    },
    {
      name: "GET /v1/decks/{id}/changes (full sync, 50 dos)",
      server: "api",
      method: "GET",
      // A deck of 50 dos the writes above never touch.
      path: `/v1/decks/${seed.syncDeckId}/changes?limit=100`,
      auth: true,
      floor: [query("deck", 101)],
    },
    {
      name: "GET /v1/decks/{id}/changes?since= (1 change)",
      server: "api",
      method: "GET",
      path: `/v1/decks/${seed.syncDeckId}/changes?since=${seed.oneChangeAgo}`,
      auth: true,
      floor: [get("deck"), [query("changes", 2), query("deck")]],
    },
  ];
  // BENCH_ONLY="=GET /v1/decks/{id}" selects exactly that route, without it any route containing the text.
  const served = (target: Target) =>
    seed.oneChangeAgo !== undefined || !target.path.includes("/changes");
  const selectedApi = apiTargets.filter(
    (target) =>
      served(target) &&
      (!ONLY ||
        (ONLY.startsWith("=") ? target.name === ONLY.slice(1) : target.name.includes(ONLY))),
  );
  // One floor per distinct call list, numbered in order of first use.
  const floors: Floor[] = [];
  const floorIndex = (floor: Floor) => {
    const name = floorName(floor);
    let index = floors.findIndex((known) => floorName(known) === name);
    if (index < 0) index = floors.push(floor) - 1;
    return index;
  };
  for (const target of selectedApi) {
    if (target.floor) floorIndex(target.floor);
    if (target.target) floorIndex(target.target.floor);
  }
  const floorLabel = (floor: Floor) => `floor F${floorIndex(floor) + 1}`;

  const floorPort = await freePort();
  const floorLog = openSync(`${RESULTS_DIR}/floor-server.log`, "w");
  cleanups.push(async () => closeSync(floorLog));
  const floor = await startProcess(
    "floor",
    [
      ...startFlags,
      ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS_DIR}/profile-floor`] : []),
      await buildFloor(),
    ],
    {
      PORT: String(floorPort),
      DYNAMODB_ENDPOINT_URL: dynamo.endpoint,
      TABLE_NAME,
      FLOOR_SPECS: JSON.stringify(floors),
      FLOOR_IDS: JSON.stringify({
        deckId: seed.deckId,
        doIds: seed.doIds,
        ownerSub: OWNER.sub,
        email: OWNER.email,
      }),
    },
    floorLog,
    `http://127.0.0.1:${floorPort}/hello`,
  );
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const dynamoPid = await findDynamoPid(new URL(dynamo.endpoint).port);

  const floorTarget = (floor: Floor): Target => ({
    name: floorLabel(floor),
    server: "floor",
    method: floor.some((step) => !Array.isArray(step) && step.op === "TransactWriteItems")
      ? "POST"
      : "GET",
    path: `/floor/${floorIndex(floor)}`,
    body: JSON.stringify({ text: "benchmark do" }),
  });
  // Each floor right before the routes measured against it, so a ratio spans minutes, not the run.
  const selected: Target[] = [];
  if (!SKIP_FLOORS && !ONLY)
    selected.push({ name: "floor: Hono hello", server: "floor", method: "GET", path: "/hello" });
  for (const [index, floor] of floors.entries()) {
    if (!SKIP_FLOORS) selected.push(floorTarget(floor));
    for (const target of selectedApi) {
      if (target.floor && floorIndex(target.floor) === index) selected.push(target);
    }
  }
  for (const target of selectedApi) if (!target.floor) selected.unshift(target);
  const optionsFor = (target: Target, connections: number) => {
    const paths = target.paths;
    let next = 0;
    return {
      url: `${target.server === "api" ? apiUrl : floorUrl}${target.path}`,
      method: target.method,
      connections,
      headers: {
        ...(target.auth ? { authorization: `Bearer ${token}` } : {}),
        ...(target.body && target.method !== "GET" ? { "content-type": "application/json" } : {}),
      },
      ...(target.body && target.method !== "GET" ? { body: target.body } : {}),
      ...(paths
        ? {
            requests: [
              {
                setupRequest: (request: Record<string, unknown>) => ({
                  ...request,
                  path: paths[next++ % paths.length],
                }),
              },
            ],
          }
        : {}),
    };
  };
  console.log(`bench: warming up every target for ${WARMUP_ALL_S} s`);
  for (const target of selected) {
    await autocannon({ ...optionsFor(target, 32), duration: WARMUP_ALL_S });
  }

  const rows: Row[] = [];
  console.log(
    `bench: ${DURATION_S} s per measurement (+${WARMUP_S} s warm-up) at ${CONNECTIONS.join(" and ")} connections`,
  );
  for (const target of selected) {
    const child = target.server === "api" ? api : floor;
    for (const connections of CONNECTIONS) {
      const options = optionsFor(target, connections);
      await autocannon({ ...options, duration: WARMUP_S });
      const cpuBefore = [await cpuMs(child.pid), await cpuMs(dynamoPid)] as const;
      const result = await autocannon({ ...options, duration: DURATION_S });
      const cpuAfter = [await cpuMs(child.pid), await cpuMs(dynamoPid)] as const;
      const total = Math.max(result.requests.total, 1);
      const row: Row = {
        target: target.name,
        connections,
        reqPerSec: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count]),
        ),
        serverPeakRssMb: await peakRssMb(child.pid),
        serverCpuMsPerReq: round((cpuAfter[0] - cpuBefore[0]) / total, 3),
        dynamoCpuMsPerReq: round((cpuAfter[1] - cpuBefore[1]) / total, 3),
        loadAverage: await loadAverage(),
      };
      rows.push(row);
      console.log(
        `  ${target.name.padEnd(34)} c=${String(connections).padEnd(3)} ${String(row.reqPerSec).padStart(6)} req/s  p99 ${row.p99Ms} ms  non-2xx ${row.non2xx}  CPU ${row.serverCpuMsPerReq} ms/req  load ${row.loadAverage[0]}`,
      );
    }
  }

  const byName = new Map(selected.map((target) => [target.name, target]));
  for (const row of rows) {
    const target = byName.get(row.target);
    const at = (floor: Floor) =>
      rows.find((r) => r.target === floorLabel(floor) && r.connections === row.connections);
    if (target?.floor) {
      const own = at(target.floor);
      row.floor = floorLabel(target.floor);
      if (own) {
        row.reqRatioToFloor = round(row.reqPerSec / Math.max(own.reqPerSec, 1), 2);
        row.cpuRatioToFloor = round(row.serverCpuMsPerReq / own.serverCpuMsPerReq, 2);
      }
    }
    if (target?.target) {
      const reference = at(target.target.floor);
      row.targetFloor = floorLabel(target.target.floor);
      row.targetMin = target.target.min;
      if (reference)
        row.reqRatioToTargetFloor = round(row.reqPerSec / Math.max(reference.reqPerSec, 1), 2);
    }
  }

  const verdicts = judge(rows);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  const floorLegend = floors.map((floor) => `${floorLabel(floor)}: ${floorName(floor)}`);
  console.log("");
  console.log(formatTable(rows));
  console.log("");
  for (const line of floorLegend) console.log(line);
  console.log(
    `machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; load average at the end ${(await loadAverage()).join(" ")}`,
  );
  console.log("");
  for (const verdict of verdicts)
    console.log(`${verdict.met ? "MET " : "MISS"}  ${verdict.target}`);
  const report = {
    startedAt: started.toISOString(),
    durationSeconds: DURATION_S,
    warmupSeconds: WARMUP_S,
    connections: CONNECTIONS,
    machine,
    seed: { ...SEED, deckId: seed.deckId, doIds: seed.doIds, syncDeckId: seed.syncDeckId },
    apiPeakRssMb: await peakRssMb(api.pid),
    floorPeakRssMb: await peakRssMb(floor.pid),
    floors: floorLegend,
    rows,
    targets: verdicts,
  };
  const file = `${RESULTS_DIR}/http-${started.toISOString().replace(/[:.]/g, "-")}.json`;
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(`${RESULTS_DIR}/http-latest.json`, json);
  console.log(`\nwrote ${file} (and ${RESULTS_DIR}/http-latest.json)`);
}

/** The issue's targets, from one run's rows at JUDGED_AT connections. */
function judge(rows: Row[]): { target: string; met: boolean }[] {
  const judged = rows.filter((row) => row.connections === JUDGED_AT && row.target.includes("/v1/"));
  const verdicts = judged.flatMap((row) => [
    {
      target: `${row.target} @${JUDGED_AT}: server CPU/req ${row.cpuRatioToFloor} × its ${row.floor}'s (≤ ${CPU_RATIO_MAX})`,
      met: (row.cpuRatioToFloor ?? Number.POSITIVE_INFINITY) <= CPU_RATIO_MAX,
    },
    ...(row.targetMin === undefined
      ? []
      : [
          {
            target: `${row.target} @${JUDGED_AT}: ${row.reqRatioToTargetFloor} × ${row.targetFloor}'s req/s (≥ ${row.targetMin})`,
            met: (row.reqRatioToTargetFloor ?? 0) >= row.targetMin,
          },
        ]),
    {
      target: `${row.target} @${JUDGED_AT}: non-2xx ${row.non2xx}, errors ${row.errors} (= 0)`,
      met: row.non2xx === 0 && row.errors === 0,
    },
  ]);
  const peak = Math.max(
    ...rows.filter((r) => !r.target.startsWith("floor")).map((r) => r.serverPeakRssMb),
  );
  verdicts.push({ target: `API peak RSS ${peak} MB < ${RSS_MAX_MB} MB`, met: peak < RSS_MAX_MB });
  return verdicts;
}

function formatTable(rows: Row[]): string {
  const header = [
    "route",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "peak RSS MB",
    "CPU ms/req server",
    "CPU ms/req DynamoDB",
    "floor",
    "× floor req/s",
    "× floor CPU/req",
    "× target floor req/s (min)",
    "load 1m",
  ];
  const lines = rows.map((row) => [
    row.target,
    String(row.connections),
    String(row.reqPerSec),
    String(row.p50Ms),
    String(row.p99Ms),
    String(row.non2xx + row.errors),
    String(row.serverPeakRssMb),
    row.serverCpuMsPerReq.toFixed(2),
    row.dynamoCpuMsPerReq.toFixed(2),
    row.floor?.replace("floor ", "") ?? "",
    row.reqRatioToFloor?.toFixed(2) ?? "",
    row.cpuRatioToFloor?.toFixed(2) ?? "",
    row.targetFloor
      ? `${row.reqRatioToTargetFloor?.toFixed(2) ?? "?"} × ${row.targetFloor.replace("floor ", "")} (${row.targetMin})`
      : "",
    row.loadAverage[0]?.toFixed(2) ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  return [
    fmt(header),
    `|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...lines.map(fmt),
  ].join("\n");
}

/** The machine's load average (1, 5 and 15 minutes): ratios mean little on a busy machine. */
async function loadAverage(): Promise<number[]> {
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).map(Number);
}

/**
 * The floors, bundled with the production build's esbuild options so they run like the API
 * (no TypeScript loader in the process).
 */
async function buildFloor(): Promise<string> {
  const { build } = await import("esbuild");
  const { nodeBundle } = await import("../scripts/build.ts");
  const outfile = `${RESULTS_DIR}/floor/index.mjs`;
  // The same options as the API's own bundle, so the floors run what the API runs.
  await build({ ...nodeBundle, entryPoints: ["bench/floor-server.ts"], outfile });
  return outfile;
}

/** The `--flags` between `node` and the bundle in package.json's `start` script. */
async function nodeFlagsOfStartScript(): Promise<string[]> {
  const pkg = JSON.parse(await readFile("package.json", "utf8")) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== START_BUNDLE) {
    throw new Error(
      `expected "start" to be "node [flags] ${START_BUNDLE}", got ${pkg.scripts.start}`,
    );
  }
  return words.slice(1, -1);
}

/** Creates 20 decks, shares the first with a collaborator and gives it 50 dos. */
async function seedThroughApi(base: string, token: string) {
  const call = async (method: string, path: string, body: unknown, expected: number) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (response.status !== expected) {
      throw new Error(`seed: ${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return JSON.parse(text) as Record<string, unknown>;
  };
  const deckIds: string[] = [];
  for (let i = 1; i <= SEED.decks; i++) {
    const deck = await call(
      "POST",
      "/v1/decks",
      { name: `Bench deck ${String(i).padStart(2, "0")}` },
      201,
    );
    deckIds.push(String(deck.deckId));
  }
  const deckId = deckIds[0]!;
  await call("POST", `/v1/decks/${deckId}/collaborators`, { email: SEED.collaborator }, 201);
  const doIds: string[] = [];
  for (let i = 1; i <= SEED.dos; i++) {
    const created = await call("POST", `/v1/decks/${deckId}/dos`, { text: `Seeded do ${i}` }, 201);
    doIds.push(String(created.doId));
  }
  // The feed's deck: as many dos, never written while measured, and a token taken one change
  // before its last, so each delta answers 1 change.
  const syncDeckId = deckIds[1]!;
  const syncDoIds: string[] = [];
  for (let i = 1; i <= SEED.dos; i++) {
    const created = await call(
      "POST",
      `/v1/decks/${syncDeckId}/dos`,
      { text: `Synced do ${i}` },
      201,
    );
    syncDoIds.push(String(created.doId));
  }
  // A server from before the change feed (an A/B run with BENCH_SERVER_BUNDLE) has no feed:
  // its targets are then left out.
  const feed = await fetch(`${base}/v1/decks/${syncDeckId}/changes?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5_000),
  });
  const full = feed.status === 200 ? ((await feed.json()) as Record<string, unknown>) : undefined;
  if (full === undefined) console.log(`bench: no change feed on this server (${feed.status})`);
  await call("PATCH", `/v1/decks/${syncDeckId}/dos/${syncDoIds[0]}`, { completed: true }, 200);
  const postSeconds = WARMUP_ALL_S + CONNECTIONS.length * (WARMUP_S + DURATION_S);
  const postDecks = Math.ceil((POST_RATE_CEILING * postSeconds) / DOS_PER_DECK_QUOTA);
  const postDeckIds: string[] = [];
  for (let i = 1; i <= postDecks; i++) {
    const made = await call("POST", "/v1/decks", { name: `Bench writes ${i}` }, 201);
    postDeckIds.push(String(made.deckId));
  }
  const oneChangeAgo = full === undefined ? undefined : String(full.nextSince);
  return { deckId, doIds, syncDeckId, oneChangeAgo, postDeckIds };
}

/** Spawns `node <args>` (stdout/stderr to `logFd`), waits until `readyUrl` answers 200. */
async function startProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  logFd: number,
  readyUrl: string,
): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", logFd, logFd],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} server exited with ${child.exitCode}`);
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${name} server not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (child.pid === undefined) throw new Error(`${name} server has no pid`);
  return child as ChildProcess & { pid: number };
}

/** User + system CPU time of a process so far, in ms (from /proc/<pid>/stat, 100 ticks/s). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The JVM serving DynamoDB Local on `port` (started by scripts/dynamodb-local.ts). */
async function findDynamoPid(port: string): Promise<number> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      if (args.some((a) => a.includes("DynamoDBLocal.jar")) && args.includes(port)) {
        return Number(entry);
      }
    } catch {
      // the process ended meanwhile
    }
  }
  throw new Error(`no DynamoDB Local process found on port ${port}`);
}

/** The process's peak resident set (VmHWM), in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024, 1);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function boundedNumber(raw: string | undefined, fallback: number, min: number, max: number) {
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`BENCH_DURATION must be a number of seconds between ${min} and ${max}`);
  }
  return value;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
