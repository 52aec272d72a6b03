import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { targets } from "../scripts/build.ts";
import event from "../test/runtime/fixtures/api-gateway-v2-event.json" with { type: "json" };

/**
 * `npm run bench:lambda`: what the Lambda bundle costs, next to a hello-world Hono Lambda
 * built with the same esbuild options in the same run. Three figures per bundle:
 *   - size, raw and gzip (the zip Lambda downloads on a cold start);
 *   - cold start: a fresh `node` process imports the bundle and answers its first /healthz
 *     API Gateway v2 event (median of COLD_RUNS processes; time since process start, so
 *     Node's own boot is in both, as it is on Lambda);
 *   - warm: mean time per invocation over WARM_INVOCATIONS /healthz events after a warm-up.
 * DoDeck is measured twice: the AWS SDK bundled (what we ship) and taken from outside the
 * bundle (here node_modules, on Lambda the runtime's copy). Not a test: nothing asserts.
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

// Runs inside each fresh process: import, first event, then the warm loop.
const probe = `
const started = performance.now();
const { handler } = await import(process.argv[1]);
const imported = performance.now();
const event = JSON.parse(process.argv[2]);
const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30000 };
const first = await handler(structuredClone(event), context);
const answered = performance.now();
if (first.statusCode !== 200) throw new Error("first /healthz answered " + first.statusCode + ": " + first.body);
const warmRuns = Number(process.argv[3]);
let warm = 0;
if (warmRuns > 0) {
  for (let i = 0; i < 500; i++) await handler(structuredClone(event), context);
  const t = performance.now();
  for (let i = 0; i < warmRuns; i++) await handler(structuredClone(event), context);
  warm = ((performance.now() - t) / warmRuns) * 1000;
}
console.log(JSON.stringify({ sinceStart: answered, importMs: imported - started, firstMs: answered - imported, warmUs: warm }));
`;

type Sample = { sinceStart: number; importMs: number; firstMs: number; warmUs: number };

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

const env = {
  PATH: process.env.PATH ?? "",
  AUTH0_ISSUER: "https://tenant.example.com/",
  AUTH0_AUDIENCE: "https://api.dodeck.test",
  AWS_REGION: "us-east-1",
  ENVIRONMENT: "dev",
  // One JSON line per request goes to stdout in production; here it would only time the pipe.
  LOG_LEVEL: "warn",
};

function runProbe(bundle: string, warm: number): Promise<Sample> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", probe, bundle, JSON.stringify(healthzEvent), String(warm)],
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

type Variant = { name: string; file: string; bytes: number; gzip: number };

async function bundleVariants(): Promise<Variant[]> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const specs = [
    { name: "hello-world", options: { ...targets.lambda, entryPoints: undefined } },
    { name: "dodeck (SDK bundled)", options: targets.lambda },
    { name: "dodeck (SDK external)", options: targets["lambda-sdk-external"] },
  ];
  const variants: Variant[] = [];
  for (const [index, spec] of specs.entries()) {
    const file = join(OUT, `${index}.mjs`);
    const result = await build({
      ...spec.options,
      ...(spec.name === "hello-world"
        ? { stdin: { contents: helloWorld, resolveDir: resolve("."), loader: "ts" } }
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
const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
// Interleaved, so drift in machine load spreads over every variant alike.
for (let run = 0; run < COLD_RUNS; run++) {
  for (const variant of variants) {
    samples.get(variant.name)?.push(await runProbe(variant.file, 0));
  }
}
const warm = new Map<string, number>();
for (const variant of variants) {
  // One process at a time: parallel probes would measure the contention between them.
  const runs: Sample[] = [];
  for (let i = 0; i < 3; i++) runs.push(await runProbe(variant.file, WARM_INVOCATIONS));
  warm.set(variant.name, median(runs.map((r) => r.warmUs)));
}

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
  `\nLambda bundle benchmark: node ${process.version}, ${COLD_RUNS} cold starts (median), ${WARM_INVOCATIONS} warm invocations x3 (median)\n`,
);
console.log(header);
for (const row of rows) {
  const base = row.value(hello);
  const cells = dodeck.flatMap((v) => {
    const value = row.value(v);
    return [
      `${value.toFixed(row.digits)} ${row.unit}`.padStart(24),
      `${(value / base).toFixed(2)}x`.padStart(7),
    ];
  });
  console.log(
    [
      row.label.padEnd(width),
      `${base.toFixed(row.digits)} ${row.unit}`.padStart(14),
      ...cells,
    ].join(""),
  );
}

const [bundled, external] = dodeck;
if (bundled && external) {
  const cold = (v: Variant) => median(samples.get(v.name)?.map((s) => s.sinceStart) ?? []);
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log("\nTargets");
  console.log(
    `  cold start <= 2x hello-world (SDK bundled):  ${(cold(bundled) / cold(hello)).toFixed(2)}x  ${verdict(cold(bundled) <= 2 * cold(hello))}`,
  );
  console.log(
    `  bundle < 250 KB gzip (SDK bundled):          ${(bundled.gzip / 1024).toFixed(1)} KB  ${verdict(bundled.gzip < 250 * 1024)}`,
  );
  console.log(
    `  bundle < 60 KB gzip (SDK external):          ${(external.gzip / 1024).toFixed(1)} KB  ${verdict(external.gzip < 60 * 1024)}`,
  );
}
await rm(OUT, { recursive: true, force: true });
