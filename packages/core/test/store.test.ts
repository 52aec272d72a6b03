import { describe, expect, it } from "vitest";
import { AppError } from "../src/errors.ts";
import { limits } from "../src/limits.ts";
import {
  assertTransaction,
  cancellationReasons,
  mapAwsError,
  unavailable as storeUnavailable,
  type TransactItem,
} from "../src/store.ts";

const put = (PK: string, SK: string): TransactItem => ({
  Put: { TableName: "t", Item: { PK, SK } },
});
const del = (PK: string, SK: string): TransactItem => ({
  Delete: { TableName: "t", Key: { PK, SK } },
});
const update = (PK: string, SK: string): TransactItem => ({
  Update: { TableName: "t", Key: { PK, SK }, UpdateExpression: "SET a = :a" },
});
const check = (PK: string, SK: string): TransactItem => ({
  ConditionCheck: { TableName: "t", Key: { PK, SK }, ConditionExpression: "attribute_exists(PK)" },
});

describe("assertTransaction", () => {
  it("accepts up to 100 actions on distinct items", () => {
    const items = Array.from({ length: limits.maxTransactionActions }, (_, i) => put("P", `S${i}`));
    expect(() => assertTransaction(items)).not.toThrow();
  });

  it("refuses 101 actions rather than splitting the transaction", () => {
    const items = Array.from({ length: 101 }, (_, i) => put("P", `S${i}`));
    expect(() => assertTransaction(items)).toThrow(/too large: 101/);
  });

  it("refuses an empty transaction", () => {
    expect(() => assertTransaction([])).toThrow(/empty/);
  });

  it("refuses two actions on one item, whatever their kinds", () => {
    expect(() => assertTransaction([put("P", "S"), del("P", "S")])).toThrow(/P S twice/);
    expect(() => assertTransaction([update("P", "S"), check("P", "S")])).toThrow(/twice/);
    expect(() => assertTransaction([del("P", "S"), update("P", "S")])).toThrow(/twice/);
  });

  it("tells keys apart by both PK and SK", () => {
    expect(() =>
      assertTransaction([put("P", "S"), put("P", "T"), put("Q", "S"), check("Q", "T")]),
    ).not.toThrow();
  });

  it("stays a programming error, not a client-facing AppError", () => {
    try {
      assertTransaction([]);
    } catch (error) {
      expect(error).not.toBeInstanceOf(AppError);
    }
  });
  // The collaborator bound is tested against the real rename planner: test/deck-plans.test.ts.
});

describe("mapAwsError", () => {
  it("maps throttling, timeouts, network failures and 5xx to 503 with Retry-After", () => {
    const cases = [
      { name: "ProvisionedThroughputExceededException", message: "secret AWS text" },
      { name: "ThrottlingException" },
      { name: "TimeoutError" },
      { name: "Error", code: "ECONNREFUSED" },
      { name: "SomethingNew", $metadata: { httpStatusCode: 503 } },
    ];
    for (const error of cases) {
      const mapped = mapAwsError(Object.assign(new Error("AWS says no"), error));
      expect(mapped, error.name).toBeInstanceOf(AppError);
      expect((mapped as AppError).code).toBe("service_unavailable");
      expect((mapped as AppError).retryAfter).toBe(1);
      expect((mapped as AppError).message).not.toMatch(/AWS|secret/);
    }
  });

  it("leaves client-side AWS errors and AppErrors unchanged (they become 500 or keep their code)", () => {
    const validation = Object.assign(new Error("x"), {
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(mapAwsError(validation)).toBe(validation);
    const app = new AppError("deck_not_found");
    expect(mapAwsError(app)).toBe(app);
  });
});

describe("cancellationReasons", () => {
  it("reads reasons in action order and unmarshalls returned items", () => {
    const error = Object.assign(new Error("cancelled"), {
      name: "TransactionCanceledException",
      CancellationReasons: [
        { Code: "ConditionalCheckFailed", Item: { ownerSub: { S: "auth0|x" } } },
        { Code: "None" },
      ],
    });
    expect(cancellationReasons(error)).toEqual([
      { Code: "ConditionalCheckFailed", Item: { ownerSub: "auth0|x" } },
      { Code: "None", Item: undefined },
    ]);
  });

  it("is undefined for any other error", () => {
    expect(cancellationReasons(new Error("x"))).toBeUndefined();
    expect(cancellationReasons(undefined)).toBeUndefined();
    expect(
      cancellationReasons(Object.assign(new Error(), { name: "TransactionCanceledException" })),
    ).toBeUndefined();
  });
});

describe("mapAwsError: an outage is 503, never 500 (mutation-testing survivors)", () => {
  const unavailable = (error: unknown) => {
    const mapped = mapAwsError(error);
    return (
      mapped instanceof AppError && mapped.code === "service_unavailable" && mapped.retryAfter === 1
    );
  };

  it.each([
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TimeoutError",
    "RequestTimeout",
    "RequestTimeoutException",
    "AbortError",
  ])("maps an error named %s to 503", (name) => {
    expect(unavailable(Object.assign(new Error("x"), { name }))).toBe(true);
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"])(
    "maps a network failure with code %s to 503",
    (code) => {
      expect(unavailable(Object.assign(new Error("socket"), { code }))).toBe(true);
    },
  );

  it("tells the client to retry shortly, without AWS's words", () => {
    const mapped = mapAwsError(
      Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
        name: "ThrottlingException",
      }),
    );
    expect(mapped).toMatchObject({
      code: "service_unavailable",
      retryAfter: 1,
      detail: "The data store is not answering; try again shortly.",
    });
  });

  it("keeps AWS's error as the cause, for the operator's log line", () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    expect((mapAwsError(throttled) as AppError).cause).toBe(throttled);
    // Unprocessed keys (batch-get.ts) have no error to keep.
    expect(storeUnavailable()).toMatchObject({ code: "service_unavailable", retryAfter: 1 });
    expect(storeUnavailable().cause).toBeUndefined();
  });

  it.each([500, 502, 503, 504])("maps an HTTP %i from DynamoDB to 503", (status) => {
    expect(
      unavailable(
        Object.assign(new Error("x"), { name: "Unknown", $metadata: { httpStatusCode: status } }),
      ),
    ).toBe(true);
  });

  it("leaves client errors, unknown names and non-objects as they are", () => {
    const validation = Object.assign(new Error("bad"), {
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(mapAwsError(validation)).toBe(validation);
    const plain = new Error("plain");
    expect(mapAwsError(plain)).toBe(plain);
    expect(mapAwsError(null)).toBe(null);
    expect(mapAwsError(undefined)).toBe(undefined);
    expect(mapAwsError("text")).toBe("text");
    const app = new AppError("deck_not_found");
    expect(mapAwsError(app)).toBe(app);
  });
});

describe("cancellationReasons", () => {
  it("reads reasons only from a TransactionCanceledException", () => {
    const reasons = [{ Code: "ConditionalCheckFailed" }];
    expect(
      cancellationReasons({ name: "TransactionCanceledException", CancellationReasons: reasons }),
    ).toEqual([{ Code: "ConditionalCheckFailed", Item: undefined }]);
    expect(
      cancellationReasons({ name: "TransactionConflictException", CancellationReasons: reasons }),
    ).toBeUndefined();
    expect(cancellationReasons({ name: "TransactionCanceledException" })).toBeUndefined();
    expect(cancellationReasons(null)).toBeUndefined();
    expect(cancellationReasons("TransactionCanceledException")).toBeUndefined();
  });
});
