import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { defaultSweepAge, defaultTableName, sweepDeletions } from "@dodeck/core";

/**
 * npm run sweep: finish deck deletes that were interrupted (SPEC v1.1 "Commands"). Same
 * environment as `npm run db:setup` (TABLE_NAME, DYNAMODB_ENDPOINT_URL, AWS_REGION; an empty
 * DYNAMODB_ENDPOINT_URL means AWS itself). Exit 0 only when every pending delete it found
 * old enough was finished.
 */
const env = process.env;
const { values } = parseArgs({
  options: {
    "older-than-seconds": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run sweep -- [--older-than-seconds N]
  --older-than-seconds   finish deletes marked at least N seconds ago (default ${defaultSweepAge / 1000})`);
  process.exit(0);
}
const olderThan = Number(
  values["older-than-seconds"] ?? env.npm_config_older_than_seconds ?? defaultSweepAge / 1000,
);
if (!(olderThan >= 0)) {
  console.error("sweep: --older-than-seconds must be a number of seconds, 0 or more");
  process.exit(2);
}

const endpoint = env.DYNAMODB_ENDPOINT_URL ?? "http://127.0.0.1:8000";
const tableName = env.TABLE_NAME || defaultTableName;
const base = new DynamoDBClient({
  region: env.AWS_REGION || "us-east-1",
  maxAttempts: 5,
  ...(endpoint
    ? { endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
    : {}),
});
const store = {
  client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
  tableName,
};

try {
  console.log(`sweep: table ${tableName} at ${endpoint || `AWS ${env.AWS_REGION ?? ""}`}`);
  const report = await sweepDeletions(store, {
    olderThanMs: olderThan * 1000,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(
    `sweep: ${report.found} interrupted deletes found, ${report.finished.length} finished, ${report.failed.length} failed`,
  );
  process.exitCode = report.failed.length === 0 ? 0 : 1;
} catch (error) {
  console.error(`sweep failed: ${(error as Error).name}: ${(error as Error).message}`);
  console.error("every step is idempotent: run it again to resume");
  process.exitCode = 1;
} finally {
  base.destroy();
}
