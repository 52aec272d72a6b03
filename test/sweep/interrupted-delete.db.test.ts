import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createDeckService, ensureTable, keys, type Store } from "@dodeck/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type LocalDynamo, startDynamoLocal } from "../../scripts/dynamodb-local.ts";

/**
 * Issue 13 item 5: DynamoDB Local (on disk, so the table survives) is killed while a delete
 * purges a deck of 4,000 dos, restarted, and `npm run sweep` finishes the delete.
 */
const DOS = 4_000;
const owner = { sub: "auth0|owner", email: "owner@example.com", emailVerified: true };
const policy = { requireEmailVerified: true };

let dataDir: string;
let port: number;
let dynamo: LocalDynamo;

function storeAt(endpoint: string, tableName: string, onSend?: (command: string) => Promise<void>) {
  const base = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  const client = DynamoDBDocumentClient.from(base);
  if (onSend) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        await onSend(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "faultInjector" },
    );
  }
  return { store: { client, tableName } satisfies Store, destroy: () => base.destroy() };
}

async function scan(store: Store): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await store.client.send(
      new ScanCommand({ TableName: store.tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const ofDeck = (items: Record<string, unknown>[], deckId: string) =>
  items.filter((item) => item.deckId === deckId || String(item.PK).includes(deckId));

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "dodeck-sweep-"));
  port = await freePort();
  dynamo = await startDynamoLocal({ port, dataDir });
});

afterAll(async () => {
  await dynamo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("an interrupted delete of a large deck", () => {
  it("is finished by npm run sweep after DynamoDB is killed mid-purge and restarted", async () => {
    const tableName = "SweepFault";
    const setup = storeAt(dynamo.endpoint, tableName);
    await ensureTable(setup.store.client as unknown as DynamoDBClient, tableName);
    const decks = createDeckService({ store: setup.store, policy });
    const { deckId } = await decks.create(owner, { name: "Huge" });
    const kept = await decks.create(owner, { name: "Kept" });
    const at = new Date().toISOString();
    // Eight batches in flight: the suite runs this beside other files on two cores.
    const batchStarts = Array.from({ length: DOS / 25 }, (_, n) => n * 25);
    const insert = async (i: number) => {
      await setup.store.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [tableName]: Array.from({ length: 25 }, (_, j) => ({
              PutRequest: {
                Item: {
                  ...keys.do(deckId, `01J${String(i + j).padStart(23, "0")}`),
                  type: "do",
                  doId: `01J${String(i + j).padStart(23, "0")}`,
                  deckId,
                  text: `do ${i + j}`,
                  completed: false,
                  createdAt: at,
                  updatedAt: at,
                },
              },
            })),
          },
        }),
      );
    };
    for (let n = 0; n < batchStarts.length; n += 8)
      await Promise.all(batchStarts.slice(n, n + 8).map(insert));
    setup.destroy();

    // The owner's DELETE, with DynamoDB killed before its 40th batch (about 1,000 dos in).
    let batches = 0;
    const dying = storeAt(dynamo.endpoint, tableName, async (command) => {
      if (command.startsWith("BatchWrite") && ++batches === 40) await dynamo.kill();
    });
    await expect(
      createDeckService({ store: dying.store, policy }).remove(owner, deckId),
    ).rejects.toMatchObject({ code: "service_unavailable" });
    dying.destroy();

    dynamo = await startDynamoLocal({ port, dataDir });
    const after = storeAt(dynamo.endpoint, tableName);
    const left = ofDeck(await scan(after.store), deckId);
    // Interrupted for real: the deck is marked, listed for the sweeper, and dos remain.
    expect(left.find((item) => item.SK === "DECK")).toMatchObject({ deleting: true });
    expect(left.some((item) => item.PK === "DELETING")).toBe(true);
    expect(left.filter((item) => item.type === "do").length).toBeGreaterThan(DOS / 2);

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/sweep.ts", "--older-than-seconds", "0"],
      {
        env: {
          ...process.env,
          TABLE_NAME: tableName,
          DYNAMODB_ENDPOINT_URL: dynamo.endpoint,
          AWS_REGION: "us-east-1",
        },
        timeout: 150_000,
      },
    );
    expect(stdout).toContain("1 interrupted deletes found, 1 finished, 0 failed");

    const items = await scan(after.store);
    expect(ofDeck(items, deckId)).toEqual([]);
    // The other deck is untouched.
    expect(
      ofDeck(items, kept.deckId)
        .map((item) => item.type)
        .sort(),
    ).toEqual(["access", "deck"]);
    after.destroy();
  }, 300_000);
});
