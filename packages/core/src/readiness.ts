import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { keys } from "./keys.ts";
import type { Store } from "./store.ts";

/** Whether the table answers a read. Uses GetItem, a permission the app already has. */
export async function tableAnswers(store: Store, signal?: AbortSignal): Promise<boolean> {
  try {
    await store.client.send(new GetCommand({ TableName: store.tableName, Key: keys.readiness() }), {
      abortSignal: signal,
    });
    return true;
  } catch {
    return false;
  }
}
