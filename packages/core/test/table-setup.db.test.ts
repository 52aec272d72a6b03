import { LimitExceededException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createDynamoClient } from "../../../test/support/dynamo.ts";
import { ensureTable } from "../src/index.ts";

const freshName = () => `setup-${process.pid}-${Date.now()}`;

describe("ensureTable", () => {
  it("creates a missing table once, then reports it there", async () => {
    const client = createDynamoClient();
    const name = freshName();
    expect(await ensureTable(client, name)).toBe(true);
    expect(await ensureTable(client, name)).toBe(false);
  });

  it("fails when DynamoDB refuses to create the table, instead of taking it for one that exists", async () => {
    const name = freshName();
    await ensureTable(createDynamoClient(), name);
    // An account at its table quota: CreateTable is refused, while the table's TTL still reads.
    const client = createDynamoClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "CreateTableCommand")
          throw new LimitExceededException({ message: "Too many tables", $metadata: {} });
        return next(args);
      },
      { step: "initialize", name: "tableQuotaReached" },
    );
    await expect(ensureTable(client, name)).rejects.toBeInstanceOf(LimitExceededException);
  });
});
