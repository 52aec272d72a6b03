import { dynamoAnswers, type LocalDynamo, startDynamoLocal } from "./dynamodb-local.ts";
import { setupTable } from "./local-table.ts";

/**
 * DynamoDB Local for development on port 8000 (or DYNAMODB_LOCAL_PORT), data kept in
 * `.dodeck/dynamodb`, with the table created. Reuses one already answering there (for
 * example `docker compose up dynamodb`). Runs until interrupted; `npm run db:local`, and
 * `sst dev` runs it too.
 */
export async function ensureLocalDynamo(): Promise<{ endpoint: string; owned?: LocalDynamo }> {
  const port = Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000);
  const endpoint = `http://127.0.0.1:${port}`;
  if (await dynamoAnswers(endpoint)) return { endpoint };
  const owned = await startDynamoLocal({ port, dataDir: ".dodeck/dynamodb" });
  return { endpoint: owned.endpoint, owned };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const local = await ensureLocalDynamo();
  console.log(await setupTable({ ...process.env, DYNAMODB_ENDPOINT_URL: local.endpoint }));
  if (local.owned) {
    console.log(`DynamoDB Local running at ${local.endpoint}; Ctrl-C stops it.`);
    const stop = async () => {
      await local.owned?.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
}
