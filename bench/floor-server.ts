import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

/**
 * The floors DoDeck is measured against, in their own process: a Hono hello route, and a
 * Hono route doing one GetItem on the same DynamoDB Local with the SDK's default client, and
 * (to show what a guarded write costs DynamoDB Local itself) one TransactWriteItems of a
 * ConditionCheck on the deck plus a Put, the shape of DoDeck's create-do.
 * Nothing of DoDeck's own code is imported, so optimising DoDeck never moves the floor.
 */
const env = process.env;
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: "us-east-1",
    endpoint: env.DYNAMODB_ENDPOINT_URL,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 2,
  }),
);
const key = { PK: `DECK#${env.FLOOR_DECK_ID}`, SK: "DECK" };

const app = new Hono()
  .get("/hello", (c) => c.json({ hello: "world" }))
  .get("/item", async (c) => {
    const out = await client.send(new GetCommand({ TableName: env.TABLE_NAME, Key: key }));
    return out.Item ? c.json(out.Item) : c.json({ missing: true }, 404);
  })
  .post("/transact", async (c) => {
    const id = crypto.randomUUID();
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: env.TABLE_NAME,
              Key: key,
              ConditionExpression: "attribute_exists(PK)",
            },
          },
          {
            Put: {
              TableName: env.TABLE_NAME,
              Item: { PK: `FLOOR#${id}`, SK: "FLOOR", body: await c.req.text() },
              ConditionExpression: "attribute_not_exists(PK)",
            },
          },
        ],
      }),
    );
    return c.json({ id }, 201);
  });

const server = serve({ fetch: app.fetch, port: Number(env.PORT), hostname: "127.0.0.1" }, () =>
  console.log("listening"),
);
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  (server as import("node:http").Server).closeAllConnections();
});
