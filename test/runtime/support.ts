import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { freePort } from "../../scripts/dynamodb-local.ts";
import { createTestStore, endpoint } from "../support/dynamo.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../support/issuer.ts";
import apiGatewayFixture from "./fixtures/api-gateway-v2-event.json" with { type: "json" };
import functionUrlFixture from "./fixtures/function-url-event.json" with { type: "json" };

/** Whatever runs the app: in-process, over loopback HTTP, through Lambda events, in workerd. */
export type Target = { fetch: (request: Request) => Promise<Response> };

export const CORS_ORIGIN = "https://app.dodeck.test";

/** A loopback JWKS endpoint, as an Auth0 tenant serves it; `delayMs` makes it slow. */
export async function startJwksServer(jwks: unknown) {
  const state = { hits: 0, delayMs: 0 };
  const server: Server = createServer((_request, response) => {
    state.hits++;
    setTimeout(() => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(jwks));
    }, state.delayMs);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    state,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * What every runtime gets: a fresh table on DynamoDB Local, a real RS256 issuer whose JWKS is
 * served over loopback (so every runtime fetches keys exactly as in production), and one
 * environment record with the production variable names.
 */
export async function createRuntimeFixture(prefix: string, extra: Record<string, string> = {}) {
  const store = await createTestStore(prefix);
  const issuer = await createTestIssuer();
  const jwks = await startJwksServer(issuer.jwks);
  const env: Record<string, string> = {
    ENVIRONMENT: "local",
    AUTH0_ISSUER: TEST_ISSUER,
    AUTH0_AUDIENCE: TEST_AUDIENCE,
    AUTH0_JWKS_URL: jwks.url,
    TABLE_NAME: store.tableName,
    DYNAMODB_ENDPOINT_URL: endpoint(),
    AWS_REGION: "us-east-1",
    CORS_ALLOWED_ORIGINS: CORS_ORIGIN,
    LOG_LEVEL: "warn",
    ...extra,
  };
  return { store, issuer, jwks, env, close: () => jwks.close() };
}

/** A target that sends each request over real HTTP to `base`. */
export function overHttp(base: string): Target {
  return {
    async fetch(request) {
      const url = new URL(request.url);
      const body = ["GET", "HEAD"].includes(request.method)
        ? undefined
        : await request.arrayBuffer();
      return fetch(`${base}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: body && body.byteLength > 0 ? body : undefined,
        redirect: "manual",
      });
    },
  };
}

async function tempDirWith(bundle: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "dodeck-runtime-"));
  await copyFile(resolve(bundle), join(dir, "index.mjs"));
  await copyFile(`${resolve(bundle)}.map`, join(dir, "index.mjs.map")).catch(() => {});
  // What the image also ships beside the server bundle: Swagger UI's files for /docs.
  await cp(join(dirname(resolve(bundle)), "docs-assets"), join(dir, "docs-assets"), {
    recursive: true,
  }).catch(() => {});
  return dir;
}

/** Waits until `url` answers at all, or the child exits, or the bound passes. */
async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${url} never answered (exit ${child.exitCode}):\n${output()}`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}

/**
 * The production container entry: the built `dist/server/index.mjs` (`bundle`), copied alone into an
 * empty directory (proving it needs no node_modules) and started with plain `node`.
 */
export async function startServerProcess(bundle: string, env: Record<string, string>) {
  const dir = await tempDirWith(bundle);
  const port = await freePort();
  const lines: string[] = [];
  let stderr = "";
  const child = spawn(process.execPath, ["--enable-source-maps", "index.mjs"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((line) => line.length > 0));
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; at: number }>((done) =>
    child.once("exit", (code) => done({ code, at: Date.now() })),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}/healthz`, child, () => lines.join("\n") + stderr);
  return {
    url,
    child,
    lines,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const capnpString = (value: string) => JSON.stringify(value);

/**
 * The built `dist/worker/index.mjs` (`bundle`) in the real workerd binary (the `workerd` npm package),
 * configured by a capnp file the way wrangler would: `env` bindings as text, `nodejs_compat`,
 * and an outbound network service that, unlike the default one, may reach loopback, where
 * DynamoDB Local and the test JWKS live.
 */
export async function startWorkerd(bundle: string, bindings: Record<string, string>) {
  const dir = await tempDirWith(bundle);
  const port = await freePort();
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .dodeck),
    (name = "loopback-network", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const dodeck :Workerd.Worker = (
  modules = [ (name = "index.mjs", esModule = embed "index.mjs") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [
${Object.entries(bindings)
  .map(([name, value]) => `    (name = ${capnpString(name)}, text = ${capnpString(value)}),`)
  .join("\n")}
  ],
  globalOutbound = "loopback-network",
);
`;
  await writeFile(join(dir, "config.capnp"), config);
  let output = "";
  const child = spawn(
    resolve("node_modules/.bin/workerd"),
    ["serve", "config.capnp", "--verbose"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}/healthz`, child, () => output);
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type LambdaFlavour = "api-gateway" | "function-url";
type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

const textual = /^(application\/([a-z0-9.+-]+\+)?json|text\/)/i;

/**
 * A Request as API Gateway (HTTP API, payload 2.0) or a Function URL delivers it, built on
 * the AWS documentation's example events: lower-cased headers with repeated values joined by
 * commas, cookies split out into `cookies`, query parameters both raw and joined, and the
 * body base64-encoded (API Gateway: always here; Function URL: when not text).
 */
export async function toLambdaEvent(
  request: Request,
  flavour: LambdaFlavour,
): Promise<APIGatewayProxyEventV2> {
  const fixture = structuredClone(
    flavour === "api-gateway" ? apiGatewayFixture : functionUrlFixture,
  ) as unknown as APIGatewayProxyEventV2;
  const url = new URL(request.url);
  const headers: Record<string, string> = {
    host: fixture.requestContext.domainName,
    "x-forwarded-proto": "https",
    "x-forwarded-port": "443",
    "x-forwarded-for": fixture.requestContext.http.sourceIp,
    "x-amzn-trace-id": `Root=1-${Date.now().toString(16)}-${crypto.randomUUID().slice(0, 24)}`,
  };
  let cookies: string[] | undefined;
  request.headers.forEach((value, key) => {
    if (key === "cookie") cookies = value.split(/;\s*/);
    else headers[key] = value;
  });
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  const base64 =
    bytes.length > 0 &&
    (flavour === "api-gateway" || !textual.test(request.headers.get("content-type") ?? ""));
  if (bytes.length > 0) headers["content-length"] = String(bytes.length);
  const now = Date.now();
  const { cookies: _exampleCookies, body: _exampleBody, ...rest } = fixture;
  return {
    ...rest,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies ? { cookies } : {}),
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      ...fixture.requestContext,
      http: { ...fixture.requestContext.http, method: request.method, path: url.pathname },
      requestId: crypto.randomUUID(),
      timeEpoch: now,
      time: new Date(now).toUTCString(),
    },
    ...(bytes.length > 0
      ? {
          body: base64 ? Buffer.from(bytes).toString("base64") : new TextDecoder().decode(bytes),
          isBase64Encoded: base64,
        }
      : { isBase64Encoded: false }),
  };
}

/** The handler's structured result back into a Response, as API Gateway would send it. */
export function fromLambdaResult(result: APIGatewayProxyResultV2): Response {
  if (typeof result === "string") return new Response(result);
  const headers = new Headers();
  for (const [key, value] of Object.entries(result.headers ?? {})) headers.set(key, String(value));
  for (const cookie of result.cookies ?? []) headers.append("set-cookie", cookie);
  const status = result.statusCode ?? 200;
  const body =
    result.body === undefined || status === 204 || status === 304
      ? null
      : result.isBase64Encoded
        ? Buffer.from(result.body, "base64")
        : result.body;
  return new Response(body, { status, headers });
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "dodeck-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:dodeck-api",
    memoryLimitInMB: "1024",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/dodeck-api",
    logStreamName: "2026/01/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** A target that invokes a Lambda handler with events of the given flavour. */
export function throughLambda(handler: LambdaHandler, flavour: LambdaFlavour): Target {
  return {
    async fetch(request) {
      const event = await toLambdaEvent(request, flavour);
      const result = (await handler(event, lambdaContext())) as APIGatewayProxyResultV2;
      return fromLambdaResult(result);
    },
  };
}
