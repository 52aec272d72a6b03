import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/dynamo.ts";
import { batchGetConsistent } from "../src/batch-get.ts";
import { type Key, keys } from "../src/keys.ts";
import { limits } from "../src/limits.ts";
import type { Store } from "../src/store.ts";

const deckId = "01HZZZZZZZZZZZZZZZZZZZZZZA";
let store: Store;
/** The input of every BatchGetItem sent, as the SDK sent it. */
const sent: unknown[] = [];

beforeAll(async () => {
  store = await createTestStore("batch");
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "BatchGetItemCommand") sent.push(structuredClone(args.input));
      return next(args);
    },
    { step: "initialize", name: "recordBatchGets" },
  );
});

const doId = (i: number) => `01HZZZZZZZZZZZZZZZZZZZZ${String(i).padStart(3, "0")}`;

async function putAll(items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    await store.client.send(
      new BatchWriteCommand({
        RequestItems: {
          [store.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
}

describe("batchGetConsistent against DynamoDB Local", () => {
  it("reads the keys strongly consistent in one call and answers in the keys' order", async () => {
    await putAll([
      { ...keys.deck(deckId), type: "deck", name: "d" },
      { ...keys.do(deckId, doId(1)), text: "one" },
    ]);
    sent.length = 0;
    const found = await batchGetConsistent(store, [
      keys.do(deckId, doId(2)),
      keys.do(deckId, doId(1)),
      keys.deck(deckId),
    ]);
    expect(found).toEqual([
      undefined,
      { ...keys.do(deckId, doId(1)), text: "one" },
      { ...keys.deck(deckId), type: "deck", name: "d" },
    ]);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0])).toContain('"ConsistentRead":true');
  });

  it("reads DynamoDB's maximum of 100 keys in one batch", async () => {
    const many: Key[] = Array.from({ length: limits.maxBatchGetKeys }, (_, i) =>
      keys.do(deckId, doId(100 + i)),
    );
    await putAll(many.map((key, i) => ({ ...key, text: `do ${i}` })));
    const found = await batchGetConsistent(store, many);
    expect(found.map((item) => item?.text)).toEqual(many.map((_, i) => `do ${i}`));
  });
});
