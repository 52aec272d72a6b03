import { setupTable } from "./local-table.ts";

// npm run db:setup: create the table (idempotent) at DYNAMODB_ENDPOINT_URL / TABLE_NAME.
try {
  console.log(await setupTable({ DYNAMODB_ENDPOINT_URL: "http://127.0.0.1:8000", ...process.env }));
} catch (error) {
  console.error(`db:setup failed: ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
