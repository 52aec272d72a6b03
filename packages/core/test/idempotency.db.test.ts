import { createHash } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore, getItem } from "../../../test/support/dynamo.ts";
import {
  createDeckService,
  createDoService,
  type DeckService,
  type DoService,
  keys,
  type Store,
  wasReplayed,
} from "../src/index.ts";
import { callers, outcomeOf, strictPolicy } from "./fixtures.ts";

/** Idempotency-Key records as stored: what a deploy must still read, and when one has expired. */
const { owner, friend } = callers;

let store: Store;
let decks: DeckService;
let dos: DoService;
/** When set, every transaction fails with it, as in an outage; reads are counted meanwhile. */
let transactionFault: (() => Error) | undefined;
let readsDuringFault = 0;
beforeAll(async () => {
  store = await createTestStore("idem");
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (transactionFault) {
        if (context.commandName === "TransactWriteItemsCommand") throw transactionFault();
        if (context.commandName === "GetItemCommand") readsDuringFault++;
      }
      return next(args);
    },
    { step: "initialize", name: "idempotencyTestFaults" },
  );
  decks = createDeckService({ store, policy: strictPolicy });
  dos = createDoService({ store, policy: strictPolicy });
});

/** SHA-256 of [operation, target, input with its keys sorted] (docs/data-model.md), in hex. */
const fingerprint = (operation: string, target: string, input: unknown) =>
  createHash("sha256")
    .update(JSON.stringify([operation, target, input]))
    .digest("hex");

const recordOf = (sub: string, key: string) => getItem(store, keys.idempotency(sub, key));

describe("an Idempotency-Key's record", () => {
  it("holds the documented fingerprint, so records written before a deploy replay after it", async () => {
    const { deckId } = await decks.create(owner, { name: "Fingerprints" });
    const input = { text: "milk", dueAt: "2027-01-02T03:04:05Z" };
    await dos.create(owner, deckId, input, { idempotencyKey: "fp-1" });
    expect((await recordOf(owner.sub, "fp-1"))?.fingerprint).toBe(
      fingerprint("createDo", deckId, { dueAt: input.dueAt, text: "milk" }),
    );
  });

  it("replays the same input sent with its fields in another order, or with a field left undefined", async () => {
    const { deckId } = await decks.create(owner, { name: "Orders" });
    const first = await dos.create(
      owner,
      deckId,
      { text: "eggs", dueAt: "2027-02-03T04:05:06Z" },
      { idempotencyKey: "order-1" },
    );
    const again = await dos.create(
      owner,
      deckId,
      { dueAt: "2027-02-03T04:05:06Z", text: "eggs" },
      { idempotencyKey: "order-1" },
    );
    expect(again).toEqual(first);
    const plain = await dos.create(owner, deckId, { text: "bread" }, { idempotencyKey: "order-2" });
    expect(
      await dos.create(
        owner,
        deckId,
        { text: "bread", dueAt: undefined },
        { idempotencyKey: "order-2" },
      ),
    ).toEqual(plain);
    expect((await dos.list(owner, deckId, { limit: 10 })).items).toHaveLength(2);
  });

  it("counts as gone once expired, before DynamoDB's TTL removes it", async () => {
    const { deckId } = await decks.create(owner, { name: "Expired" });
    await decks.share(owner, deckId, { email: friend.email });
    // A record for this very share, a day old: its answer must not come back.
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          ...keys.idempotency(owner.sub, "old-1"),
          type: "idempotency",
          fingerprint: fingerprint("shareDeck", deckId, { email: friend.email }),
          result: JSON.stringify({ deckId, name: "stale answer" }),
          version: 1,
          createdAt: "2026-01-01T00:00:00.000Z",
          expiresAt: Math.floor(Date.now() / 1000) - 1,
        },
      }),
    );
    expect(
      await outcomeOf(
        decks.share(owner, deckId, { email: friend.email }, { idempotencyKey: "old-1" }),
      ),
    ).toBe("collaborator_exists");
  });

  it("expires at its expiresAt second: live before it, gone from it on", async () => {
    const at = new Date("2026-06-01T12:00:00.900Z");
    const second = Math.floor(at.getTime() / 1000);
    const clocked = createDeckService({ store, policy: strictPolicy, now: () => at });
    const { deckId } = await clocked.create(owner, { name: "Boundary" });
    await clocked.share(owner, deckId, { email: friend.email });
    const put = (key: string, expiresAt: number) =>
      store.client.send(
        new PutCommand({
          TableName: store.tableName,
          Item: {
            ...keys.idempotency(owner.sub, key),
            type: "idempotency",
            fingerprint: fingerprint("shareDeck", deckId, { email: friend.email }),
            result: JSON.stringify({ deckId, name: "recorded answer" }),
            version: 1,
            createdAt: "2026-06-01T00:00:00.000Z",
            expiresAt,
          },
        }),
      );
    await put("edge-live", second + 1);
    await put("edge-gone", second);
    const share = (key: string) =>
      clocked.share(owner, deckId, { email: friend.email }, { idempotencyKey: key });
    const live = await share("edge-live");
    expect(live).toMatchObject({ name: "recorded answer" });
    expect(wasReplayed(live)).toBe(true);
    expect(await outcomeOf(share("edge-gone"))).toBe("collaborator_exists");
  });

  it("is not read during an outage: the create answers 503, without a replay", async () => {
    const { deckId } = await decks.create(owner, { name: "Outage" });
    const input = { text: "during an outage" };
    await dos.create(owner, deckId, input, { idempotencyKey: "outage-1" });
    transactionFault = () =>
      Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 400 },
      });
    readsDuringFault = 0;
    try {
      expect(
        await outcomeOf(dos.create(owner, deckId, input, { idempotencyKey: "outage-1" })),
      ).toBe("service_unavailable");
    } finally {
      transactionFault = undefined;
    }
    expect(readsDuringFault).toBe(0);
  });
});
