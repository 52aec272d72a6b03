import { parseArgs } from "node:util";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  CopyRefused,
  copyTable,
  type MigrationReport,
  markCopied,
  migrateTable,
  type Verification,
  verifyStoredTable,
  violationCount,
} from "@dodeck/core/migration";
import { tableFromEnv } from "./local-table.ts";

/**
 * npm run migrate: bring a table the old Python service wrote into DoDeck's layout, in place.
 * Same environment as `npm run db:setup` (TABLE_NAME, DYNAMODB_ENDPOINT_URL, AWS_REGION; an
 * empty DYNAMODB_ENDPOINT_URL means AWS itself). Exit 0 only when the table verifies.
 */
const env = process.env;
const { values } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    "verify-only": { type: "boolean", default: false },
    "max-writes-per-second": { type: "string" },
    "from-table": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run migrate -- [--dry-run] [--verify-only] [--max-writes-per-second N]
  --dry-run                 report what would change; write nothing
  --verify-only             only check the table's invariants
  --max-writes-per-second   bound the write rate (default 100 items per second)
  --from-table NAME         first copy the old service's table NAME (same endpoint and
                            region) into TABLE_NAME, never overwriting; NAME is left as it was`);
  process.exit(0);
}
// `npm run migrate --dry-run` (without "--") hands the flag to npm, which passes it on as config.
const dryRun = values["dry-run"] || env.npm_config_dry_run === "true";
const verifyOnly = values["verify-only"] || env.npm_config_verify_only === "true";
const rate = Number(values["max-writes-per-second"] ?? env.npm_config_max_writes_per_second ?? 100);
if (!(rate > 0)) {
  console.error("migrate: --max-writes-per-second must be a positive number");
  process.exit(2);
}

const fromTable = values["from-table"] ?? env.npm_config_from_table;
// Like db:setup: DynamoDB Local on port 8000 unless DYNAMODB_ENDPOINT_URL says otherwise.
const {
  client: base,
  tableName,
  where,
} = tableFromEnv({ DYNAMODB_ENDPOINT_URL: "http://127.0.0.1:8000", ...env }, 5);
const store = {
  client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
  tableName,
};

const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
try {
  console.log(
    `migrate: table ${tableName} at ${where}${dryRun ? " (dry run: nothing is written)" : ""}`,
  );
  if (verifyOnly) {
    const verification = await verifyStoredTable(store);
    printVerification(verification);
    process.exitCode = violationCount(verification) === 0 ? 0 : 1;
  } else {
    if (fromTable) {
      const copy = await copyTable({ ...store, tableName: fromTable }, store, {
        dryRun,
        maxWritesPerSecond: rate,
      });
      console.log(
        dryRun
          ? `would copy ${copy.scanned} items from ${fromTable} (the plan below is for ${tableName} as it is now)`
          : `copied ${copy.copied} items from ${fromTable} (${copy.present} were already in ${tableName} and kept)`,
      );
    }
    const report = await migrateTable(store, {
      dryRun,
      maxWritesPerSecond: rate,
      log: (line) => console.log(`  ${line}`),
    });
    printReport(report);
    const violations = violationCount(report.verification);
    if (dryRun) {
      console.log(
        violations === 0
          ? "dry run: the table already verifies"
          : `dry run: ${violations} violations now; run without --dry-run to fix them`,
      );
    } else {
      console.log(
        violations === 0
          ? `migrated and verified in ${seconds()} s`
          : `the table does not verify: ${violations} violations (${seconds()} s)`,
      );
      process.exitCode = violations === 0 ? 0 : 1;
      if (fromTable && violations === 0)
        await markCopied(store, fromTable, new Date().toISOString());
    }
  }
} catch (error) {
  if (error instanceof CopyRefused) {
    console.error(`migrate: ${error.message}`);
    process.exit(2);
  }
  console.error(`migrate failed: ${(error as Error).name}: ${(error as Error).message}`);
  console.error("every change is conditional and ordered: run it again to resume");
  process.exitCode = 1;
} finally {
  base.destroy();
}

function printReport(report: MigrationReport): void {
  const line = (label: string, counts: MigrationReport["planned"]) =>
    console.log(
      `${label}: ${counts.deckConverted ?? 0} decks converted, ${counts.rowWritten ?? 0} access rows written, ${counts.staleRowDeleted ?? 0} stale access rows deleted, ${counts.orphanRowDeleted ?? 0} orphan access rows deleted, ${counts.orphanDoDeleted ?? 0} orphan dos deleted, ${counts.positionWritten ?? 0} do positions written, ${counts.orphanChangeDeleted ?? 0} orphan change-feed items deleted, ${counts.pendingDeletionListed ?? 0} deleting decks listed for the sweeper, ${counts.pendingDeletionDeleted ?? 0} stray sweeper entries deleted, ${counts.ownerCountWritten ?? 0} owners' deck counts written`,
    );
  console.log(`scanned ${report.scanned} items`);
  line(report.dryRun ? "would change" : "planned", report.planned);
  if (!report.dryRun) {
    line("applied", report.applied);
    console.log(
      `  ${report.writes} item writes in ${report.transactions} transactions over ${report.rounds} round(s); ${report.raced} raced a live writer and were re-planned`,
    );
  }
  printVerification(report.verification);
}

function printVerification(verification: Verification): void {
  const { counts } = verification;
  console.log(
    `verify: decks ${counts.deck}, dos ${counts.do}, owner access rows ${counts.ownerRow}, collaborator access rows ${counts.collaboratorRow}, pending deletions ${counts.pendingDeletion}, idempotency records ${counts.idempotency}, change-feed items ${counts.change}, owners' deck counts ${counts.ownerCount}, other items ${counts.other}`,
  );
  for (const check of verification.checks) {
    console.log(
      `  ${check.violations.length === 0 ? "ok  " : "FAIL"} ${check.name} (${check.checked} checked, ${check.violations.length} violations)`,
    );
    for (const violation of check.violations.slice(0, 20)) console.log(`         ${violation}`);
    if (check.violations.length > 20)
      console.log(`         … and ${check.violations.length - 20} more`);
  }
  for (const warning of verification.warnings) {
    if (warning.items.length === 0) continue;
    console.log(`  note ${warning.name}: ${warning.items.length}`);
    for (const item of warning.items.slice(0, 10)) console.log(`         ${item}`);
  }
}
