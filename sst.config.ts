/// <reference path="./.sst/platform/config.d.ts" />

// The CLI evaluates app() on its own, so this file has no top-level imports; run()
// loads stacks/*. removal/protect repeat stacks/stage.ts (a test keeps them equal).
export default $config({
  app(input) {
    const stage = input?.stage ?? "";
    return {
      name: "dodeck",
      home: "aws",
      removal: stage === "prod" || stage === "staging" ? "retain" : "remove",
      protect: stage === "prod",
    };
  },
  async run() {
    const { stagePolicy } = await import("./stacks/stage.ts");
    const { createTable } = await import("./stacks/table.ts");
    const { createSecrets } = await import("./stacks/secrets.ts");
    const { createApi } = await import("./stacks/api.ts");
    const { createService } = await import("./stacks/service.ts");
    const { createAlarms } = await import("./stacks/alarms.ts");

    const compute = process.env.DODECK_COMPUTE;
    const policy = stagePolicy(
      $app.stage,
      compute ? { compute: compute as "lambda" | "container" | "both" } : {},
    );
    const table = createTable(policy);
    const secrets = createSecrets(policy);
    const api = policy.compute.lambda ? createApi(policy, table, secrets) : undefined;
    const service = policy.compute.container ? createService(policy, table, secrets) : undefined;
    const alarmTopic = createAlarms(policy, { api, service, table });

    return {
      api: api?.gateway.url,
      container: service?.service.url,
      table: table.name,
      alarmTopic: alarmTopic?.arn,
    };
  },
});
