import { Agent, request } from "node:http";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClient } from "../packages/api/src/deps.ts";
import { startDynamoLocal } from "../scripts/dynamodb-local.ts";
import { setupTable } from "../scripts/local-table.ts";

/**
 * `npx tsx bench/sdk-calls.ts`: what one DynamoDB call costs this process in CPU, by client
 * configuration, against DynamoDB Local: the SDK's defaults, DoDeck's client (deps.ts), the
 * document client's marshalling left out, middleware left out, and the same request as plain
 * HTTP (no SDK, no signing) as the floor of any client. Variants run interleaved, ROUNDS times,
 * CALLS calls each at CONCURRENCY in flight; the figure is the median CPU time per call of this
 * process (user + system), which DynamoDB Local's own CPU does not enter. Bounded in count.
 */
const ROUNDS = 5;
const CALLS = Number(process.env.SDK_CALLS ?? 2_000);
const CONCURRENCY = Number(process.env.SDK_CONCURRENCY ?? 8);
const TABLE_NAME = "DoDeckSdkBench";
const KEY = { PK: "DECK#sdk-bench", SK: "DECK" };

const dynamo = await startDynamoLocal();
try {
  await setupTable({ DYNAMODB_ENDPOINT_URL: dynamo.endpoint, TABLE_NAME });
  const config = { region: "us-east-1", dynamoEndpoint: dynamo.endpoint };
  const seed = createDynamoClient(config);
  const { PutCommand } = await import("@aws-sdk/lib-dynamodb");
  await seed.send(
    new PutCommand({
      TableName: TABLE_NAME,
      Item: { ...KEY, deckId: "sdk-bench", name: "SDK bench", ownerSub: "auth0|x", version: 3 },
    }),
  );

  const base = {
    region: "us-east-1",
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  };
  const dodeck = createDynamoClient(config);
  const trimmed = createDynamoClient(config);
  for (const name of (process.env.SDK_REMOVE ?? "").split(",").filter(Boolean))
    trimmed.middlewareStack.remove(name);
  const defaults = DynamoDBDocumentClient.from(new DynamoDBClient(base));
  const raw = new DynamoDBClient({
    ...base,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 1_500,
      throwOnRequestTimeout: true,
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const url = new URL(dynamo.endpoint);
  const body = JSON.stringify({
    TableName: TABLE_NAME,
    Key: { PK: { S: KEY.PK }, SK: { S: KEY.SK } },
    ConsistentRead: true,
  });
  const plain = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: "POST",
          path: "/",
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.GetItem",
            authorization:
              "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => (JSON.parse(text).Item ? resolve() : reject(new Error(text))));
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  const get = { TableName: TABLE_NAME, Key: KEY, ConsistentRead: true };
  const variants: Record<string, () => Promise<unknown>> = {
    "plain HTTP (no SDK)": plain,
    "SDK defaults, document client": () => defaults.send(new GetCommand(get)),
    "DoDeck's client (deps.ts)": () => dodeck.send(new GetCommand(get)),
    "DoDeck's config, no document client": () =>
      raw.send(
        new GetItemCommand({
          TableName: TABLE_NAME,
          Key: { PK: { S: KEY.PK }, SK: { S: KEY.SK } },
          ConsistentRead: true,
        }),
      ),
    ...(process.env.SDK_REMOVE
      ? {
          [`DoDeck's client minus ${process.env.SDK_REMOVE}`]: () =>
            trimmed.send(new GetCommand(get)),
        }
      : {}),
  };
  const only = process.env.SDK_ONLY;
  if (only)
    for (const name of Object.keys(variants)) if (!name.includes(only)) delete variants[name];
  if (process.env.SDK_STACK === "1") console.log(dodeck.middlewareStack.identify().join("\n"));

  const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
  const runCalls = async (send: () => Promise<unknown>, calls: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < calls) await send();
      }),
    );
  };
  for (const send of Object.values(variants)) await runCalls(send, 500);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, send] of Object.entries(variants)) {
      const before = process.cpuUsage();
      const started = performance.now();
      await runCalls(send, CALLS);
      const cpu = process.cpuUsage(before);
      samples.get(name)?.push((cpu.user + cpu.system) / 1000 / CALLS);
      if (performance.now() - started > 60_000) throw new Error(`${name}: a round took over 60 s`);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
  const floor = median(samples.get("plain HTTP (no SDK)") ?? [Number.NaN]);
  const load = (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").trim();
  console.log(
    `\nCPU per GetItem of this process, median of ${ROUNDS} rounds × ${CALLS} calls, ${CONCURRENCY} in flight (load average ${load})`,
  );
  for (const [name, values] of samples) {
    const ms = median(values);
    console.log(
      `  ${name.padEnd(48)} ${ms.toFixed(3)} ms  (${(ms / floor).toFixed(2)}× plain HTTP; rounds ${values.map((v) => v.toFixed(3)).join(" ")})`,
    );
  }
} finally {
  await dynamo.stop();
}
