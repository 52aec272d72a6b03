import { spawn } from "node:child_process";
import { ensureLocalDynamo } from "./db-local.ts";
import { setupTable } from "./local-table.ts";

/**
 * `npm run dev`: DynamoDB Local (started unless DYNAMODB_ENDPOINT_URL is given), the table,
 * then the API with reload on PORT (8080). Ctrl-C stops everything it started.
 */
if (process.env.ENVIRONMENT && process.env.ENVIRONMENT !== "local") {
  console.error(`npm run dev runs ENVIRONMENT=local only (got ${process.env.ENVIRONMENT})`);
  process.exit(1);
}

const given = process.env.DYNAMODB_ENDPOINT_URL;
const local = given ? { endpoint: given, owned: undefined } : await ensureLocalDynamo();
const env = { ...process.env, ENVIRONMENT: "local", DYNAMODB_ENDPOINT_URL: local.endpoint };
console.log(await setupTable(env));

const api = spawn(
  process.execPath,
  ["--import", "tsx", "--watch", "--watch-preserve-output", "scripts/dev-server.ts"],
  { stdio: "inherit", env },
);

const stop = async () => {
  api.kill("SIGTERM");
  await local.owned?.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
api.once("exit", async (code) => {
  await local.owned?.stop();
  process.exit(code ?? 0);
});
