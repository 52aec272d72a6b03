/**
 * Executes sst.config.ts's run() for one stage against Pulumi's unit-test mocks and writes
 * the resource graph as JSON. Runs in its own process (one per stage) because Pulumi's
 * runtime, SST's `$app`/`$dev` and the stack transformations are process-global.
 *
 *   node --import tsx stacks/test/graph-runner.ts <stage> <dev|deploy> <out.json>
 *
 * It reproduces what the SST CLI does before handing the program to Pulumi: bundle the
 * program with the platform's shim injected and `$app`/`$dev`/`$cli` defined, and answer
 * the components' RPCs to the CLI (bootstrap bucket, prebuilt function bundles, dev
 * targets). Everything else, including zipping the Lambda code, is SST's own platform code.
 */

import { createCipheriv } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type PluginBuild } from "esbuild";
import { platformDir, repoRoot } from "../../scripts/sst-platform.ts";

export interface GraphResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  /** Outputs the mock returned (inputs plus the generated ids, ARNs, names). */
  state: Record<string, unknown>;
  /** Options seen by a stack transformation registered after SST's own. */
  opts: { retainOnDelete?: boolean; protect?: boolean; parent?: string };
}

export interface RpcCall {
  method: string;
  params: Record<string, unknown>;
  answered?: boolean;
}

export interface GraphRun {
  stage: string;
  dev: boolean;
  /** Scratch directory of this run (Lambda bundles, zips); the caller removes it. */
  work: string;
  app: Record<string, unknown>;
  outputs: Record<string, unknown>;
  resources: GraphResource[];
  rpc: RpcCall[];
  /** Bundles `Runtime.Build` was asked to deploy: functionID → { dir, handler }. */
  builds: Record<string, { dir: string; handler: string }>;
  /** Args of each `sst.x.DevCommand` (what `sst dev` starts), by name. */
  devCommands: Record<string, unknown>;
  unknownCalls: string[];
}

const account = "123456789012";
const configFile = path.join(repoRoot, "sst.config.ts");
const region = "us-east-1";

async function main() {
  const [stage, mode, outFile] = process.argv.slice(2);
  if (!stage || !outFile || (mode !== "dev" && mode !== "deploy")) {
    throw new Error("usage: graph-runner.ts <stage> <dev|deploy> <out.json>");
  }
  const dev = mode === "dev";
  const failures: unknown[] = [];
  process.on("unhandledRejection", (error) => failures.push(error));
  process.on("uncaughtException", (error) => failures.push(error));

  // One directory per run: several `npm test` may share a checkout.
  const work = path.join(repoRoot, ".sst", "graph-test", `${stage}-${mode}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const rpc: RpcCall[] = [];
  const builds: GraphRun["builds"] = {};
  const server = await startFakeCli(rpc, builds);

  // Globals the CLI defines; `$app` is filled from app() below, before run().
  const app: Record<string, unknown> = { name: "", stage, removal: "retain", protect: false };
  const sstGlobals = {
    app,
    dev,
    cli: {
      command: dev ? "dev" : "deploy",
      rpc: process.env.SST_SERVER,
      paths: { home: path.join(work, "home"), root: repoRoot, work, platform: platformDir },
      state: { version: {} },
    },
  };
  Object.assign(globalThis, { __dodeckSst: sstGlobals });

  const program = await bundleProgram(work);
  const mod = (await import(pathToFileURL(program).href)) as {
    app: (input: { stage: string }) => Record<string, unknown> | Promise<Record<string, unknown>>;
    program: (
      observe: (args: TransformArgs) => undefined,
      recordDevCommand: (name: string, args: unknown) => void,
    ) => Promise<Record<string, unknown>>;
  };
  // The CLI's defaults, then whatever app() says.
  Object.assign(app, { removal: "retain", protect: false }, await mod.app({ stage }));

  const requirePlatform = createRequire(path.join(platformDir, "package.json"));
  const pulumi = requirePlatform(
    "@pulumi/pulumi",
  ) as typeof import("../../.sst/platform/node_modules/@pulumi/pulumi");
  const { leakedPromises } = requirePlatform("@pulumi/pulumi/runtime/debuggable.js") as {
    leakedPromises: () => [Set<unknown>, string];
  };
  const resources: GraphResource[] = [];
  const unknownCalls: string[] = [];
  const opts = new Map<string, GraphResource["opts"]>();
  const devCommands: GraphRun["devCommands"] = {};
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = mockState(args.type, args.name, args.inputs ?? {});
        const id = String(state.id ?? `${args.name}-id`);
        resources.push({
          type: args.type,
          name: args.name,
          id,
          inputs: args.inputs ?? {},
          state,
          opts: {},
        });
        return { id, state };
      },
      call(args) {
        const result = mockCall(args.token, args.inputs ?? {});
        if (!result) {
          unknownCalls.push(args.token);
          return {};
        }
        return result;
      },
    },
    app.name as string,
    stage,
    false,
  );

  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    const result = await mod.program(
      (args) => {
        opts.set(`${args.type}::${args.name}`, {
          retainOnDelete: args.opts.retainOnDelete,
          protect: args.opts.protect,
          parent: args.opts.parent?.__name,
        });
        return undefined;
      },
      (name, args) => {
        devCommands[name] = args;
      },
    );
    pulumi.output(result).apply((value) => {
      outputs = value as Record<string, unknown>;
    });
    return result;
  });

  // Many resources are created inside apply(); wait until nothing new appears.
  const deadline = Date.now() + Number(process.env.GRAPH_SETTLE_MS ?? 120_000);
  let stableRounds = 0;
  let seen = -1;
  while (stableRounds < 5) {
    // waitForRPCs never settles while an apply awaits something that will not come
    // (e.g. an unanswered call), so poll with a bound instead of trusting it alone.
    await Promise.race([
      // @internal in Pulumi's typings, exported at runtime.
      (pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs(),
      new Promise((resolve) => setTimeout(resolve, 500)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    // Pulumi fails the process at exit when promises are still pending; they are also the
    // sign that some resource has not been registered yet.
    const pending = leakedPromises()[0].size;
    stableRounds = resources.length === seen && pending === 0 ? stableRounds + 1 : 0;
    seen = resources.length;
    if (failures.length > 0 || Date.now() > deadline) break;
  }
  server.close();
  rmSync(path.dirname(program), { recursive: true, force: true });
  for (const resource of resources) {
    resource.opts = opts.get(`${resource.type}::${resource.name}`) ?? {};
  }
  if (failures.length > 0) {
    const text = failures.map((e) => (e instanceof Error ? (e.stack ?? e.message) : String(e)));
    throw new Error(`run() failed for stage ${stage}:\n${text.join("\n---\n")}`);
  }
  if (Date.now() > deadline) {
    const pending = rpc.filter((call) => !call.answered).map((call) => call.method);
    throw new Error(
      `run() did not settle for stage ${stage} (${leakedPromises()[0].size} pending promises); unanswered CLI calls: ${pending.join(", ") || "none"}; unknown Pulumi calls: ${unknownCalls.join(", ") || "none"}`,
    );
  }

  const result: GraphRun = {
    stage,
    dev,
    work,
    app,
    outputs,
    resources,
    rpc,
    builds,
    devCommands,
    unknownCalls: [...new Set(unknownCalls)],
  };
  writeFileSync(outFile, JSON.stringify(result, null, 1));
}

interface TransformArgs {
  type: string;
  name: string;
  opts: { retainOnDelete?: boolean; protect?: boolean; parent?: { __name?: string } };
}

/** Bundles the program as the CLI does, writing it inside .sst/platform so its packages resolve. */
async function bundleProgram(work: string): Promise<string> {
  const dir = path.join(platformDir, "graph-test", path.basename(work));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The CLI makes `sst` and `aws` globals of the user's files (not the platform's own).
  const globalImports = [
    `import * as sst from ${JSON.stringify(path.join(platformDir, "src/components/index.ts"))};`,
    `import * as aws from "@pulumi/aws";`,
  ].join("\n");
  const userFiles = {
    name: "sst-globals",
    setup(b: PluginBuild) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const own = args.path.startsWith(`${repoRoot}/stacks/`) || args.path === configFile;
        if (!own) return undefined;
        return { contents: `${globalImports}\n${readFileSync(args.path, "utf8")}`, loader: "ts" };
      });
    },
  };
  const outfile = path.join(dir, "program.mjs");
  await build({
    stdin: {
      contents: [
        `import { run } from ${JSON.stringify(path.join(platformDir, "src/auto/run.ts"))};`,
        `import { runtime, output } from "@pulumi/pulumi";`,
        `import { $transform } from ${JSON.stringify(path.join(platformDir, "src/components/component.ts"))};`,
        `import { DevCommand } from ${JSON.stringify(path.join(platformDir, "src/components/experimental/dev-command.ts"))};`,
        `import config from ${JSON.stringify(configFile)};`,
        "export const app = config.app;",
        "export function program(observe, recordDevCommand) {",
        "  return run(async () => {",
        "    runtime.registerStackTransformation(observe);",
        "    // Component args never reach the mocks; record what `sst dev` would run.",
        "    $transform(DevCommand, (args, _opts, name) => { output(args).apply((value) => recordDevCommand(name, value)); });",
        "    return config.run();",
        "  });",
        "}",
      ].join("\n"),
      resolveDir: dir,
      loader: "ts",
    },
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
    inject: [path.join(platformDir, "src/shim/run.js")],
    plugins: [userFiles],
    define: {
      $app: "globalThis.__dodeckSst.app",
      $dev: "globalThis.__dodeckSst.dev",
      $cli: "globalThis.__dodeckSst.cli",
    },
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** The parts of the SST CLI's RPC server the components call. */
async function startFakeCli(rpc: RpcCall[], builds: GraphRun["builds"]) {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", async () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [unknown] };
      const input = (params[0] ?? {}) as Record<string, unknown>;
      const call: RpcCall = { method, params: input };
      rpc.push(call);
      let reply: { result?: unknown; error?: string };
      try {
        reply = { result: await answer(method, input) };
      } catch (error) {
        reply = { error: error instanceof Error ? error.message : String(error) };
      }
      call.answered = true;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: null, ...reply }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return server;

  async function answer(method: string, input: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "Provider.Aws.Bootstrap":
        return {
          asset: "sst-asset-mock",
          assetEcrRegistryId: account,
          assetEcrUrl: `${account}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
          state: "sst-state-mock",
          appsyncHttp: "mock.appsync-api.us-east-1.amazonaws.com",
          appsyncRealtime: "mock.appsync-realtime-api.us-east-1.amazonaws.com",
        };
      case "Provider.Aws.Appsync":
        return { http: "mock-http", realtime: "mock-realtime" };
      case "Runtime.AddTarget":
        return {};
      case "Runtime.Build":
        return buildFunction(input, builds);
      default:
        throw new Error(`rpc: can't find method ${method}`);
    }
  }
}

/**
 * `Runtime.Build` as the SST CLI answers it for a function with a `bundle` (pkg/runtime's
 * Collection.Build): no esbuild run; the bundle directory is the output, the handler is
 * kept, and the links are written beside it as `resource.enc` (AES-256-GCM, zero nonce).
 * SST then zips that directory with its own code (function.ts), which this harness runs
 * unchanged. Functions SST would bundle itself are refused: re-implementing SST's esbuild
 * run (and its plugin bridge) here is what once let a test pass that a real build fails.
 */
function buildFunction(input: Record<string, unknown>, builds: GraphRun["builds"]) {
  const functionID = String(input.functionID);
  const handler = String(input.handler);
  if (typeof input.bundle !== "string" || input.bundle === "") {
    throw new Error(
      `function ${functionID} has no bundle: this harness does not reproduce SST's esbuild build`,
    );
  }
  const out = path.resolve(repoRoot, input.bundle);
  const key = Buffer.from(String(input.encryptionKey), "base64");
  const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12));
  const sealed = Buffer.concat([
    cipher.update(JSON.stringify(input.links ?? {})),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  writeFileSync(path.join(out, "resource.enc"), sealed);
  builds[functionID] = { dir: out, handler };
  return { handler, out: input.bundle, errors: [], sourcemaps: [] };
}

function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const physical = typeof inputs.name === "string" ? inputs.name : `${name.toLowerCase()}-mock`;
  const state: Record<string, unknown> = { ...inputs, id: `${physical}-id`, name: physical };
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${region}:${account}:${resource}`;
  switch (type) {
    case "aws:dynamodb/table:Table":
      return { ...state, id: physical, arn: arn("dynamodb", `table/${physical}`) };
    case "aws:secretsmanager/secret:Secret":
      return { ...state, id: physical, arn: arn("secretsmanager", `secret:${physical}-AbCdEf`) };
    case "aws:lambda/function:Function":
      return {
        ...state,
        id: physical,
        arn: arn("lambda", `function:${physical}`),
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${physical}`)}/invocations`,
        qualifiedArn: arn("lambda", `function:${physical}:$LATEST`),
      };
    case "aws:apigatewayv2/api:Api":
      return {
        ...state,
        id: "a1b2c3d4e5",
        apiEndpoint: `https://a1b2c3d4e5.execute-api.${region}.amazonaws.com`,
        executionArn: arn("execute-api", "a1b2c3d4e5"),
      };
    case "aws:apigatewayv2/domainName:DomainName":
      return {
        ...state,
        domainNameConfiguration: {
          ...(inputs.domainNameConfiguration as object),
          targetDomainName: "d-mock.execute-api.us-east-1.amazonaws.com",
          hostedZoneId: "ZMOCKAPIGW",
        },
      };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        ...state,
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${physical}/50dc6c495c0c9188`,
        arnSuffix: `app/${physical}/50dc6c495c0c9188`,
        dnsName: `${physical}-123.${region}.elb.amazonaws.com`,
        zoneId: "ZMOCKALB",
      };
    case "aws:lb/targetGroup:TargetGroup":
      return {
        ...state,
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${physical}/73e2d6bc24d8a067`,
        arnSuffix: `targetgroup/${physical}/73e2d6bc24d8a067`,
      };
    case "aws:acm/certificate:Certificate":
      return {
        ...state,
        arn: arn("acm", `certificate/${name}`),
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_x.${String(inputs.domainName)}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: "_y.acm-validations.aws.",
          },
        ],
      };
    case "random:index/randomBytes:RandomBytes": {
      // SST encrypts each function's links with this key (resource.enc); a fixed one here.
      const bytes = Buffer.alloc(Number(inputs.length ?? 32), 7);
      return { ...state, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    case "pulumi-nodejs:dynamic:Resource":
      return { ...state, zoneId: "ZMOCKZONE" };
    case "aws:iam/role:Role":
      return { ...state, arn: `arn:aws:iam::${account}:role/${physical}` };
    case "aws:wafv2/webAcl:WebAcl":
      return {
        ...state,
        id: "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        arn: arn("wafv2", `regional/webacl/${physical}/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111`),
      };
    case "aws:sns/topic:Topic":
      return { ...state, arn: arn("sns", physical) };
    default: {
      const service = type.split(":")[1]?.split("/")[0] ?? "mock";
      return { ...state, arn: arn(service, `${name}`), dnsName: `${physical}.mock` };
    }
  }
}

function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> | null {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: account, arn: `arn:aws:iam::${account}:user/mock`, userId: "MOCK" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { names: [`${region}a`, `${region}b`, `${region}c`], zoneIds: ["use1-az1"] };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        proxyEndpoint: `https://${account}.dkr.ecr.${region}.amazonaws.com`,
        userName: "AWS",
        password: "mock",
        authorizationToken: "mock",
      };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // SST drops inline policies whose document has no statements: echo them back.
      return {
        json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements }),
        ...inputs,
      };
    case "aws:route53/getZone:getZone":
      return { zoneId: "ZMOCKZONE", id: "ZMOCKZONE", name: "dodeck.app" };
    default:
      return null;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
