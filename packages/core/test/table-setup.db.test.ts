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

  it("leaves TTL alone while DynamoDB is still enabling it (enabling it twice is an error)", async () => {
    const name = freshName();
    await ensureTable(createDynamoClient(), name);
    const client = createDynamoClient();
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName ?? "");
        const out = await next(args);
        if (context.commandName !== "DescribeTimeToLiveCommand") return out;
        const output = out.output as { TimeToLiveDescription?: { TimeToLiveStatus?: string } };
        output.TimeToLiveDescription = { TimeToLiveStatus: "ENABLING" };
        return out;
      },
      { step: "initialize", name: "ttlStillEnabling" },
    );
    expect(await ensureTable(client, name)).toBe(false);
    expect(sent).toContain("DescribeTimeToLiveCommand");
    expect(sent).not.toContain("UpdateTimeToLiveCommand");
  });
});
