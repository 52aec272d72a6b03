import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build } from "esbuild";
import { targets } from "../scripts/build.ts";
import event from "../test/runtime/fixtures/api-gateway-v2-event.json" with { type: "json" };
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../test/support/issuer.ts";

/**
 * `npm run bench:lambda`: what the Lambda bundle costs, next to a hello-world Hono Lambda
 * built with the same esbuild options in the same run. Three figures per bundle:
 *   - size, raw and gzip (the zip Lambda downloads on a cold start);
 *   - cold start: a fresh `node` process imports the bundle and answers its first /healthz
 *     API Gateway v2 event (median of COLD_RUNS processes; time since process start, so
 *     Node's own boot is in both, as it is on Lambda);
 *     and the CPU time the process spent until then (user + system, all threads: steadier than
 *     wall time on a busy machine);
 *   - DoDeck only: its first authenticated request after that (`GET /v1/decks/{id}`, a real
 *     RS256 token, the JWKS and a canned DynamoDB answer from loopback servers), so work moved
 *     out of the cold start into the first ordinary request shows up here;
 *   - warm: mean time per invocation over WARM_INVOCATIONS /healthz events after a warm-up.
 * DoDeck is measured twice: the AWS SDK bundled (what we ship) and taken from outside the
 * bundle (here node_modules, on Lambda the runtime's copy). A third bundle, "dependencies
 * only", builds the SDK client, a zod schema and jose's key set with no DoDeck code: what is
 * left of DoDeck's cold start above it is DoDeck's own. The machine's load average is
 * printed before and after. Not a test: nothing asserts.
 */

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const WARM_INVOCATIONS = Number(process.env.BENCH_WARM_INVOCATIONS ?? 5_000);
// Under node_modules so the external-SDK variant resolves @aws-sdk/* the way Node would.
const OUT = resolve("node_modules/.cache/dodeck-bench");

const helloWorld = `
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
const app = new Hono();
app.get("/healthz", (c) => c.json({ ok: true }));
export const handler = handle(app);
`;

/**
 * The hello-world plus what DoDeck cannot start without, each built the way DoDeck builds it
 * at init: the DynamoDB document client (same options as deps.ts), a zod schema, jose's
 * remote key set. No DoDeck code: the distance from hello-world to this is the dependencies'
 * share of the cold start, which no change to DoDeck's own code can take back.
 */
const dependenciesOnly = `
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { createRemoteJWKSet } from "jose";
import * as z from "zod";
const settings = z.object({ AWS_REGION: z.string().min(1) }).parse(process.env);
const dynamo = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: settings.AWS_REGION,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
  }),
  { marshallOptions: { removeUndefinedValues: true } },
);
const keys = createRemoteJWKSet(new URL("https://issuer.invalid/.well-known/jwks.json"));
const app = new Hono();
app.get("/healthz", (c) => c.json({ ok: typeof dynamo.send === "function" && typeof keys === "function" }));
export const handler = handle(app);
`;

// Runs inside each fresh process: import, first event, the first /v1 event, then the warm loop.
const probe = `
const started = performance.now();
const { handler } = await import(process.argv[1]);
const imported = performance.now();
const event = JSON.parse(process.argv[2]);
const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30000 };
const first = await handler(structuredClone(event), context);
const answered = performance.now();
const used = process.cpuUsage();
if (first.statusCode !== 200) throw new Error("first /healthz answered " + first.statusCode + ": " + first.body);
let apiMs = 0;
if (process.argv[4]) {
  const api = await handler(JSON.parse(process.argv[4]), context);
  apiMs = performance.now() - answered;
  if (api.statusCode !== 200) throw new Error("first /v1 request answered " + api.statusCode + ": " + api.body);
}
const warmRuns = Number(process.argv[3]);
let warm = 0;
if (warmRuns > 0) {
  for (let i = 0; i < 500; i++) await handler(structuredClone(event), context);
  const t = performance.now();
  for (let i = 0; i < warmRuns; i++) await handler(structuredClone(event), context);
  warm = ((performance.now() - t) / warmRuns) * 1000;
}
console.log(JSON.stringify({ sinceStart: answered, importMs: imported - started, firstMs: answered - imported, cpuMs: (used.user + used.system) / 1000, apiMs, warmUs: warm }));
`;

type Sample = {
  sinceStart: number;
  importMs: number;
  firstMs: number;
  cpuMs: number;
  apiMs: number;
  warmUs: number;
};

const healthzEvent = {
  ...event,
  rawPath: "/healthz",
  rawQueryString: "",
  queryStringParameters: undefined,
  cookies: undefined,
  body: undefined,
  headers: { host: event.requestContext.domainName, "user-agent": "bench" },
  requestContext: {
    ...event.requestContext,
    http: { ...event.requestContext.http, method: "GET", path: "/healthz" },
  },
};

/**
 * Loopback stand-ins for what the first /v1 request reaches: the issuer's JWKS, and a
 * DynamoDB endpoint answering every call with one deck item (GetItem's answer), so the SDK
 * signs, sends and parses a real response. Closed at the end.
 */
const issuer = await createTestIssuer("bench-lambda");
const OWNER = "auth0|bench-lambda";
const DECK_ID = "01JD5Z6V1E4Q8W3T2R9Y7X6C5B";
const deckItem = {
  Item: {
    PK: { S: `DECK#${DECK_ID}` },
    SK: { S: "DECK" },
    type: { S: "deck" },
    deckId: { S: DECK_ID },
    name: { S: "Cold start" },
    nameLower: { S: "cold start" },
    ownerSub: { S: OWNER },
    createdAt: { S: "2026-11-30T12:00:00.000Z" },
    updatedAt: { S: "2026-11-30T12:00:00.000Z" },
    version: { N: "1" },
  },
};
const stubs = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(issuer.jwks));
    } else {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(deckItem));
    }
  });
});
await new Promise<void>((ready) => stubs.listen(0, "127.0.0.1", ready));
const stubUrl = `http://127.0.0.1:${(stubs.address() as AddressInfo).port}`;
const token = await issuer.sign({ sub: OWNER }, { expiresIn: "1h" });
const apiEvent = {
  ...healthzEvent,
  rawPath: `/v1/decks/${DECK_ID}`,
  headers: { ...healthzEvent.headers, authorization: `Bearer ${token}` },
  requestContext: {
    ...healthzEvent.requestContext,
    http: { ...healthzEvent.requestContext.http, path: `/v1/decks/${DECK_ID}` },
  },
};

const env = {
  PATH: process.env.PATH ?? "",
  AUTH0_ISSUER: TEST_ISSUER,
  AUTH0_AUDIENCE: TEST_AUDIENCE,
  AUTH0_JWKS_URL: `${stubUrl}/.well-known/jwks.json`,
  DYNAMODB_ENDPOINT_URL: stubUrl,
  AWS_REGION: "us-east-1",
  ENVIRONMENT: "dev",
  // One JSON line per request goes to stdout in production; here it would only time the pipe.
  LOG_LEVEL: "warn",
};

const loadAverage = async () =>
  (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");

function runProbe(bundle: string, warm: number, withApi: boolean): Promise<Sample> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        probe,
        bundle,
        JSON.stringify(healthzEvent),
        String(warm),
        ...(withApi ? [JSON.stringify(apiEvent)] : []),
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) done(JSON.parse(line) as Sample);
      else fail(new Error(`probe of ${bundle} failed (${code}): ${err.slice(-1_000)}`));
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function target(name: string): BuildOptions {
  const options = targets[name];
  if (!options) throw new Error(`scripts/build.ts has no target ${name}`);
  return options;
}

type Variant = { name: string; file: string; bytes: number; gzip: number };

async function bundleVariants(): Promise<Variant[]> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const specs: { name: string; options: BuildOptions; source?: string }[] = [
    {
      name: "hello-world",
      options: { ...target("lambda"), entryPoints: undefined },
      source: helloWorld,
    },
    {
      name: "dependencies only",
      options: { ...target("lambda"), entryPoints: undefined },
      source: dependenciesOnly,
    },
    { name: "dodeck (SDK bundled)", options: target("lambda") },
    { name: "dodeck (SDK external)", options: target("lambda-sdk-external") },
  ];
  const variants: Variant[] = [];
  for (const [index, spec] of specs.entries()) {
    const file = join(OUT, `${index}.mjs`);
    const result = await build({
      ...spec.options,
      ...(spec.source
        ? { stdin: { contents: spec.source, resolveDir: resolve("."), loader: "ts" as const } }
        : {}),
      outfile: file,
      sourcemap: false,
      write: false,
    });
    const code = result.outputFiles.find((out) => out.path.endsWith(".mjs"));
    if (!code) throw new Error(`no output for ${spec.name}`);
    await writeFile(file, code.contents);
    variants.push({
      name: spec.name,
      file,
      bytes: code.contents.length,
      gzip: gzipSync(code.contents).length,
    });
  }
  return variants;
}

const variants = await bundleVariants();
const loadBefore = await loadAverage();
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
const isDoDeck = (variant: Variant) => variant.name.startsWith("dodeck");
// Interleaved, so drift in machine load spreads over every variant alike.
for (let run = 0; run < COLD_RUNS; run++) {
  for (const variant of variants) {
    samples.get(variant.name)?.push(await runProbe(variant.file, 0, isDoDeck(variant)));
  }
}
const warm = new Map<string, number>();
for (const variant of variants) {
  // One process at a time: parallel probes would measure the contention between them.
  const runs: Sample[] = [];
  for (let i = 0; i < 3; i++) runs.push(await runProbe(variant.file, WARM_INVOCATIONS, false));
  warm.set(variant.name, median(runs.map((r) => r.warmUs)));
}
const loadAfter = await loadAverage();
stubs.close();

type Row = { label: string; unit: string; value: (v: Variant) => number; digits: number };
const rows: Row[] = [
  { label: "bundle, raw", unit: "KB", value: (v) => v.bytes / 1024, digits: 1 },
  { label: "bundle, gzip", unit: "KB", value: (v) => v.gzip / 1024, digits: 1 },
  {
    label: "cold: process start -> first /healthz",
    unit: "ms",
    value: (v) => median(samples.get(v.name)?.map((s) => s.sinceStart) ?? []),
    digits: 1,
  },
  {
    label: "cold: CPU time until then",
    unit: "ms",
    value: (v) => median(samples.get(v.name)?.map((s) => s.cpuMs) ?? []),
    digits: 1,
  },
  {
    label: "cold: import of the bundle",
    unit: "ms",
    value: (v) => median(samples.get(v.name)?.map((s) => s.importMs) ?? []),
    digits: 1,
  },
  {
    label: "cold: first invocation",
    unit: "ms",
    value: (v) => median(samples.get(v.name)?.map((s) => s.firstMs) ?? []),
    digits: 1,
  },
  {
    label: "then: first GET /v1/decks/{id}",
    unit: "ms",
    value: (v) => median(samples.get(v.name)?.map((s) => s.apiMs) ?? []),
    digits: 1,
  },
  { label: "warm: per invocation", unit: "us", value: (v) => warm.get(v.name) ?? 0, digits: 1 },
];

const [hello, ...dodeck] = variants;
if (!hello) throw new Error("no hello-world variant");
const width = 40;
const header = [
  "".padEnd(width),
  hello.name.padStart(14),
  ...dodeck.flatMap((v) => [v.name.padStart(24), "ratio".padStart(7)]),
].join("");
console.log(
  `\nLambda bundle benchmark: node ${process.version}, ${COLD_RUNS} cold starts (median), ${WARM_INVOCATIONS} warm invocations x3 (median); load average ${loadBefore} before, ${loadAfter} after\n`,
);
console.log(header);
for (const row of rows) {
  const base = row.value(hello);
  const cells = dodeck.flatMap((v) => {
    const value = row.value(v);
    // Only DoDeck has a /v1 route to time.
    if (value === 0 && !isDoDeck(v)) return ["-".padStart(24), "".padStart(7)];
    return [
      `${value.toFixed(row.digits)} ${row.unit}`.padStart(24),
      (base > 0 ? `${(value / base).toFixed(2)}x` : "").padStart(7),
    ];
  });
  // The hello-world has no /v1 route.
  const own = base > 0 ? `${base.toFixed(row.digits)} ${row.unit}` : "-";
  console.log([row.label.padEnd(width), own.padStart(14), ...cells].join(""));
}

const dependencies = dodeck.find((v) => v.name === "dependencies only");
const bundled = dodeck.find((v) => v.name === "dodeck (SDK bundled)");
const external = dodeck.find((v) => v.name === "dodeck (SDK external)");
if (dependencies && bundled && external) {
  const cold = (v: Variant) => median(samples.get(v.name)?.map((s) => s.sinceStart) ?? []);
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  const cpu = (v: Variant) => median(samples.get(v.name)?.map((s) => s.cpuMs) ?? []);
  console.log(
    `\nDoDeck's own share of the cold start (SDK bundled, over "dependencies only"): ${(cold(bundled) - cold(dependencies)).toFixed(1)} ms wall, ${(cpu(bundled) - cpu(dependencies)).toFixed(1)} ms CPU`,
  );
  console.log(
    `The dependencies alone, no DoDeck code: ${(cold(dependencies) / cold(hello)).toFixed(2)}x hello-world wall, ${(cpu(dependencies) / cpu(hello)).toFixed(2)}x CPU`,
  );
  console.log("\nTargets");
  console.log(
    `  cold start <= 1.5x hello-world (SDK bundled): ${(cold(bundled) / cold(hello)).toFixed(2)}x  ${verdict(cold(bundled) <= 1.5 * cold(hello))}`,
  );
  console.log(
    `  bundle < 250 KB gzip (SDK bundled):          ${(bundled.gzip / 1024).toFixed(1)} KB  ${verdict(bundled.gzip < 250 * 1024)}`,
  );
  console.log(
    `  bundle < 60 KB gzip (SDK external):          ${(external.gzip / 1024).toFixed(1)} KB  ${verdict(external.gzip < 60 * 1024)}`,
  );
}
await rm(OUT, { recursive: true, force: true });
