import { pathToFileURL } from "node:url";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  createDeckService,
  createDoService,
  keys,
  planDeleteMark,
  readDeck,
  transact,
} from "@dodeck/core";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore, endpoint, scanAll } from "../support/dynamo.ts";
import { buildBundle } from "./build-once.ts";

type Handler = (
  event: unknown,
  context: { getRemainingTimeInMillis: () => number },
) => Promise<{ found: number; finished: string[]; deferred: string[] }>;

const owner = { sub: "auth0|owner", email: "owner@example.com", emailVerified: true };
const policy = { requireEmailVerified: true };
const context = { getRemainingTimeInMillis: () => 900_000 };

// The built, minified sweeper bundle the Cron deploys (scripts/build.ts `sweeper`), imported
// as the Lambda runtime does, configured only by the environment the stack sets.
let handler: Handler;
let store: Awaited<ReturnType<typeof createTestStore>>;

beforeAll(async () => {
  store = await createTestStore("rt-sweep");
  Object.assign(process.env, {
    TABLE_NAME: store.tableName,
    DYNAMODB_ENDPOINT_URL: endpoint(),
    AWS_REGION: "us-east-1",
  });
  const bundle = await buildBundle("sweeper");
  ({ handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler });
});

/** Phase 1 of a delete, an hour ago, and nothing after it: the state a crash leaves. */
async function markedAnHourAgo(dos: number): Promise<string> {
  const decks = createDeckService({ store, policy });
  const { deckId } = await decks.create(owner, { name: "Interrupted" });
  const service = createDoService({ store, policy });
  for (let i = 0; i < dos; i++) await service.create(owner, deckId, { text: `do ${i}` });
  const deck = (await readDeck(store, deckId))!;
  const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
  await transact(store, planDeleteMark(store.tableName, deck, anHourAgo).TransactItems);
  return deckId;
}

describe("the sweeper bundle", () => {
  it("finishes an interrupted delete and leaves nothing of the deck", async () => {
    const deckId = await markedAnHourAgo(30);
    const result = await handler({}, context);
    expect(result).toEqual({ found: 1, finished: [deckId], deferred: [] });
    const left = (await scanAll(store)).filter(
      (item) => item.deckId === deckId || String(item.PK) === `DECK#${deckId}`,
    );
    expect(left).toEqual([]);
  });

  it("fails the invocation when a deck cannot be finished, so the alarm sees it", async () => {
    const { deckId } = await createDeckService({ store, policy }).create(owner, { name: "Live" });
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          ...keys.pendingDeletion(deckId),
          type: "pendingDeletion",
          deckId,
          markedAt: "2020-01-01T00:00:00.000Z",
        },
      }),
    );
    await expect(handler({}, context)).rejects.toThrow(
      /1 interrupted deletes could not be finished/,
    );
    expect(await readDeck(store, deckId)).toMatchObject({ deleting: false });
  });
});
