import { bundledHandler } from "./lambda-bundle.ts";
import type { StagePolicy } from "./stage.ts";
import { sweeperTableActions, sweepSchedule } from "./sweeper-settings.ts";
import type { TableHandle } from "./table.ts";

export interface SweeperHandle {
  cron: sst.aws.Cron;
}

/**
 * The scheduled sweeper (SPEC v1.1 `npm run sweep`, deployed): an EventBridge schedule
 * invoking a function built from scripts/build.ts's `sweeper` target. Every deployed stage
 * has one whatever its compute: the container deletes decks too.
 */
export function createSweeper(policy: StagePolicy, table: TableHandle, bundle: string) {
  const cron = new sst.aws.Cron("Sweeper", {
    schedule: sweepSchedule,
    function: {
      bundle,
      handler: bundledHandler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memory: "512 MB",
      // Lambda's maximum: the sweeper stops starting decks a minute before it (and the next
      // run resumes), so a deck of a million dos still finishes over a few runs.
      timeout: "15 minutes",
      environment: { TABLE_NAME: table.name },
      logging: { retention: policy.logRetention, format: "text" },
      permissions: [
        {
          actions: [...sweeperTableActions],
          resources: table.table ? [table.table.arn] : [],
        },
      ],
    },
  });
  return { cron } satisfies SweeperHandle;
}
