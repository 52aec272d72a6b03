import { createServer, type Socket } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { tableAnswers } from "../src/index.ts";

describe("tableAnswers, against a table that accepts connections and never answers", () => {
  const sockets: Socket[] = [];
  const hung = createServer((socket) => sockets.push(socket));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => hung.close(done));
  });

  it("says no once its signal aborts, whatever the client's own timeouts", async () => {
    await new Promise<void>((ready) => hung.listen(0, "127.0.0.1", ready));
    const address = hung.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    // The SDK's defaults: no request timeout at all, so only the signal ends the probe.
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${address.port}`,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }),
    );
    const answered = await tableAnswers({ client, tableName: "t" }, AbortSignal.timeout(200));
    expect(answered).toBe(false);
    expect(sockets.length).toBeGreaterThan(0);
  }, 10_000);
});
