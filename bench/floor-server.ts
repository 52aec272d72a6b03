import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Action, Call, Floor, FloorIds } from "./floors.ts";

/**
 * The floors DoDeck is measured against, in their own process: a Hono hello route, and one
 * route per floor (FLOOR_SPECS, bench/floors.ts) making exactly a route's DynamoDB calls with
 * the SDK's document client on the same items of the same DynamoDB Local, answering what it
 * read as JSON. Nothing of DoDeck's own code is imported, so optimising DoDeck never moves a
 * floor. The expressions are the shape of DoDeck's (bench/floors.ts says which).
 */
const env = process.env;
const TABLE = env.TABLE_NAME ?? "";
const floors = JSON.parse(env.FLOOR_SPECS ?? "[]") as Floor[];
const ids = JSON.parse(env.FLOOR_IDS ?? "{}") as FloorIds;
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: "us-east-1",
    endpoint: env.DYNAMODB_ENDPOINT_URL,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  }),
);

const deckKey = { PK: `DECK#${ids.deckId}`, SK: "DECK" };
let nextDo = 0;
const doKey = () => ({
  PK: `DECK#${ids.deckId}`,
  SK: `DO#${ids.doIds[nextDo++ % ids.doIds.length]}`,
});
const keyOf = (item: "deck" | "do") => (item === "deck" ? deckKey : doKey());
/** Each as `[from, to]` sort keys (BETWEEN, inclusive), as the app's queries bound them. */
const partitions = {
  deck: { pk: `DECK#${ids.deckId}`, range: ["DECK", "DO$"] },
  changes: { pk: `DECK#${ids.deckId}`, range: ["FEED#", "FEED$"] },
  ownerAccess: { pk: `ACCESS#USER#${ids.ownerSub}`, range: ["DECK#", "DECK$"] },
  emailAccess: { pk: `ACCESS#EMAIL#${ids.email}`, range: ["DECK#", "DECK$"] },
} as const;

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

function action(step: Action, body: string): TransactItem {
  const now = new Date().toISOString();
  switch (step.kind) {
    case "ConditionCheck":
      return {
        ConditionCheck: {
          TableName: TABLE,
          Key: deckKey,
          ConditionExpression:
            "attribute_exists(PK) AND attribute_not_exists(deleting) AND (ownerSub = :sub OR contains(collaborators, :email))",
          ExpressionAttributeValues: { ":sub": ids.ownerSub, ":email": ids.email },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      };
    case "Put": {
      const id = crypto.randomUUID();
      return {
        Put: {
          TableName: TABLE,
          Item: {
            PK: `FLOOR#${id}`,
            SK: "FLOOR",
            doId: id,
            deckId: ids.deckId,
            text: body,
            completed: false,
            createdAt: now,
            updatedAt: now,
            version: 1,
          },
          ConditionExpression: "attribute_not_exists(PK)",
        },
      };
    }
    case "Update": {
      // A do gets a field set; the deck only its `updatedAt` and version bumped, as a write
      // that guards the deck by its version does.
      const isDo = step.item === "do";
      return {
        Update: {
          TableName: TABLE,
          Key: keyOf(step.item),
          UpdateExpression: `SET ${isDo ? "completed = :completed, " : ""}updatedAt = :now, #version = if_not_exists(#version, :one) + :one`,
          ConditionExpression: "attribute_exists(PK)",
          ExpressionAttributeNames: { "#version": "version" },
          ExpressionAttributeValues: {
            ...(isDo ? { ":completed": true } : {}),
            ":now": now,
            ":one": 1,
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      };
    }
  }
}

async function run(call: Call, body: string): Promise<unknown> {
  switch (call.op) {
    case "GetItem":
      return (
        await client.send(
          new GetCommand({ TableName: TABLE, Key: keyOf(call.item), ConsistentRead: true }),
        )
      ).Item;
    case "BatchGetItem": {
      // Same keys and consistency as DoDeck's GET one do; answers what it read, by table.
      const out = await client.send(
        new BatchGetCommand({
          RequestItems: { [TABLE]: { Keys: call.items.map(keyOf), ConsistentRead: true } },
        }),
      );
      return out.Responses?.[TABLE] ?? [];
    }
    case "Query": {
      const { pk, range } = partitions[call.partition];
      const out = await client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
          ExpressionAttributeValues: { ":pk": pk, ":from": range[0], ":to": range[1] },
          ...(call.limit === undefined ? {} : { Limit: call.limit }),
          ConsistentRead: true,
        }),
      );
      return out.Items ?? [];
    }
    case "TransactWriteItems":
      await client.send(
        new TransactWriteCommand({ TransactItems: call.actions.map((a) => action(a, body)) }),
      );
      return { written: call.actions.length };
  }
}

const app = new Hono().get("/hello", (c) => c.json({ hello: "world" }));
for (const [index, floor] of floors.entries()) {
  app.on(["GET", "POST", "PATCH"], `/floor/${index}`, async (c) => {
    const body = c.req.method === "GET" ? "" : await c.req.text();
    const results: unknown[] = [];
    for (const step of floor) {
      if (Array.isArray(step)) results.push(await Promise.all(step.map((call) => run(call, body))));
      else results.push(await run(step, body));
    }
    return c.json({ results });
  });
}

const server = serve({ fetch: app.fetch, port: Number(env.PORT), hostname: "127.0.0.1" }, () =>
  console.log("listening"),
);
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  (server as import("node:http").Server).closeAllConnections();
});
