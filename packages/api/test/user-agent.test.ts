import type { UserAgent } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { createDynamoClient, memoizeUserAgent } from "../src/deps.ts";

describe("the DynamoDB client's User-Agent", () => {
  it("is asked of the SDK once per client, not on every call", async () => {
    const client = createDynamoClient({ region: "us-east-1", dynamoEndpoint: undefined });
    const provide = client.config.defaultUserAgentProvider;
    const first = await provide();
    expect(first.length).toBeGreaterThan(0);
    expect(provide()).toBe(provide());
    expect(await provide()).toBe(first);
  });

  it("asks again after a failed ask instead of failing every later call", async () => {
    const parts: UserAgent = [["aws-sdk-js", "3"]];
    let asked = 0;
    const config = {
      defaultUserAgentProvider: async () => {
        asked++;
        if (asked === 1) throw new Error("uname failed");
        return parts;
      },
    };
    memoizeUserAgent(config);
    await expect(config.defaultUserAgentProvider()).rejects.toThrow("uname failed");
    expect(await config.defaultUserAgentProvider()).toBe(parts);
    expect(await config.defaultUserAgentProvider()).toBe(parts);
    expect(asked).toBe(2);
  });
});
