import { createServer, type Socket } from "node:net";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mapAwsError } from "@dodeck/core";
import { afterAll, describe, expect, it } from "vitest";
import { createTestStore, endpoint } from "../../../test/support/dynamo.ts";
import { createDynamoClient } from "../src/deps.ts";

/**
 * The DynamoDB client the app builds for itself (deps.ts). The other DB tests bring their
 * own client, so what this one is configured to do is pinned here.
 */
describe("createDynamoClient", () => {
  it("drops attributes left undefined instead of refusing the write", async () => {
    const { tableName } = await createTestStore("client");
    const client = createDynamoClient({ region: "us-east-1", dynamoEndpoint: endpoint() });
    const Key = { PK: "DECK#undefined-attributes", SK: "DECK" };
    // The SDK drops a top-level undefined by itself; one inside a map or list (a change
    // record's fields, say) it refuses unless told to drop it.
    const Item = {
      ...Key,
      dueAt: undefined,
      after: { text: "x", dueAt: undefined },
      tags: ["a", undefined],
    };
    await client.send(new PutCommand({ TableName: tableName, Item }));
    const stored = await client.send(
      new GetCommand({ TableName: tableName, Key, ConsistentRead: true }),
    );
    expect(stored.Item).toEqual({ ...Key, after: { text: "x" }, tags: ["a"] });
  });

  it("signs with the credentials it is given (Workers pass them from secrets)", async () => {
    const given = { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret", sessionToken: "t" };
    const client = createDynamoClient({ region: "eu-west-1", dynamoEndpoint: undefined }, given);
    expect(await client.config.credentials()).toMatchObject(given);
  });

  describe("against a table that accepts connections and never answers", () => {
    const sockets: Socket[] = [];
    const hung = createServer((socket) => sockets.push(socket));
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => hung.close(done));
    });

    it("gives up within its timeouts, as an outage the API answers with 503", async () => {
      await new Promise<void>((ready) => hung.listen(0, "127.0.0.1", ready));
      const address = hung.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      const client = createDynamoClient({
        region: "us-east-1",
        dynamoEndpoint: `http://127.0.0.1:${address.port}`,
      });
      const error = await client
        .send(new GetCommand({ TableName: "t", Key: { PK: "a", SK: "b" } }))
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(sockets.length).toBeGreaterThan(0);
      expect(mapAwsError(error)).toMatchObject({ code: "service_unavailable", retryAfter: 1 });
    }, 15_000);
  });
});
