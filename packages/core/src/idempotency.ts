import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { AppError } from "./errors.ts";
import { idempotencyAttributes, idempotencyFromItem, idempotencyItem } from "./items.ts";
import { type Key, keys } from "./keys.ts";
import { type CancellationReason, type Store, send, type TransactItem } from "./store.ts";
import { versioned } from "./versions.ts";

/**
 * Idempotency-Key (IETF httpapi draft) for creates. The key's record is written in the SAME
 * transaction as the write it protects, with the result the request answers: either both
 * commit or neither does, so a request retried after a 503 whose write had in fact committed
 * finds the record and replays it, and can never write twice. There is no "in flight" state:
 * a record exists only for a request that has completed.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export type IdempotencyOptions = { idempotencyKey?: string | undefined };

/** Thrown from inside a write when the key's record already exists; carries that record. */
class KeyTaken extends Error {
  constructor(readonly item: Record<string, unknown>) {
    // Stryker disable next-line StringLiteral: equivalent, caught in run() and never shown.
    super("idempotency key already used");
  }
}

export type Claim = {
  /** The record to put in the write's transaction, holding the result it will answer. */
  put: (result: object, version: number) => TransactItem;
  /** After a cancelled transaction: throws KeyTaken when this claim's put was what failed. */
  check: (items: TransactItem[], reasons: CancellationReason[]) => void;
};

/**
 * A request fingerprint: the operation, the resource it targets and the validated input
 * (keys sorted, so property order does not matter), hashed.
 */
async function fingerprintOf(operation: string, target: string, input: object): Promise<string> {
  const canonical = JSON.stringify([operation, target, sortKeys(input)]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  // sort() orders names by their UTF-16 code units. An undefined field needs no
  // filter: JSON.stringify leaves it out.
  const fields = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(fields)
      .sort()
      .map((name) => [name, sortKeys(fields[name])]),
  );
}

export function createIdempotency(store: Store, now: () => string) {
  const epochSeconds = () => Math.floor(Date.parse(now()) / 1000);

  function replay<T extends object>(item: Record<string, unknown>, fingerprint: string): T {
    const record = idempotencyFromItem(item);
    if (record.fingerprint !== fingerprint) throw new AppError("idempotency_key_reused");
    return versioned(JSON.parse(record.result) as T, record.version, true);
  }

  /** The key's live record (DynamoDB's TTL deletes lazily: an expired one counts as none). */
  async function lookup(key: Key): Promise<Record<string, unknown> | undefined> {
    const out = await send(() =>
      store.client.send(
        // Stryker disable next-line BooleanLiteral: not observable on DynamoDB Local, whose reads are all strongly consistent.
        new GetCommand({ TableName: store.tableName, Key: key, ConsistentRead: true }),
      ),
    );
    const item = out.Item;
    return item && Number(item.expiresAt) > epochSeconds() ? item : undefined;
  }

  return {
    /**
     * Runs a create under the caller's key, if any. The create puts `claim.put(...)` in its
     * transaction and calls `claim.check` on a cancellation. A taken key replays its record
     * (422 idempotency_key_reused when the payload differs); a refused request (4xx) also
     * looks the key up, as its first attempt may have succeeded (a share retried after a 503
     * finds the collaborator already there).
     */
    async run<T extends object>(
      sub: string,
      key: string | undefined,
      what: { operation: string; target: string; input: object },
      create: (claim: Claim | undefined) => Promise<T>,
    ): Promise<T> {
      if (key === undefined) return create(undefined);
      const recordKey = keys.idempotency(sub, key);
      const fingerprint = await fingerprintOf(what.operation, what.target, what.input);
      let put: TransactItem | undefined;
      const claim: Claim = {
        put: (result, version) => {
          const at = now();
          put = {
            Put: {
              TableName: store.tableName,
              Item: idempotencyItem(
                recordKey,
                {
                  fingerprint,
                  result: JSON.stringify(result),
                  version,
                  expiresAt: epochSeconds() + IDEMPOTENCY_TTL_SECONDS,
                },
                at,
              ),
              ConditionExpression: "attribute_not_exists(PK) OR #expiresAt <= :now",
              ExpressionAttributeNames: { "#expiresAt": idempotencyAttributes.expiresAt },
              ExpressionAttributeValues: { ":now": epochSeconds() },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          };
          return put;
        },
        check: (items, reasons) => {
          // Stryker disable next-line UnaryOperator: defensive, a write calls check only after put.
          const at = put === undefined ? -1 : items.indexOf(put);
          const reason = reasons[at];
          if (reason?.Code === "ConditionalCheckFailed" && reason.Item)
            throw new KeyTaken(reason.Item);
        },
      };
      try {
        return await create(claim);
      } catch (error) {
        if (error instanceof KeyTaken) return replay<T>(error.item, fingerprint);
        if (error instanceof AppError && refusal(error)) {
          const found = await lookup(recordKey);
          if (found) return replay<T>(found, fingerprint);
        }
        throw error;
      }
    },
  };
}

/** A refusal decided by the request and the data (4xx), not an outage or a bug. */
const refusal = (error: AppError) =>
  error.code !== "service_unavailable" && error.code !== "internal_error";
