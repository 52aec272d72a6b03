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
    // First, before any resource is declared: `sst dev` on a shared stage would delete or
    // replace what CI deployed there.
    const { assertDeployable, stagePolicy } = await import("./stacks/stage.ts");
    assertDeployable($app.stage, $dev);
    const { createTable } = await import("./stacks/table.ts");
    const { createSecrets } = await import("./stacks/secrets.ts");
    const { createApi } = await import("./stacks/api.ts");
    const { buildLambdaBundle } = await import("./stacks/lambda-bundle.ts");
    const { createService } = await import("./stacks/service.ts");
    const { createAlarms } = await import("./stacks/alarms.ts");
    const { createSweeper } = await import("./stacks/sweeper.ts");

    const compute = process.env.DODECK_COMPUTE;
    const policy = stagePolicy(
      $app.stage,
      compute ? { compute: compute as "lambda" | "container" | "both" } : {},
    );
    const table = createTable(policy);
    const secrets = createSecrets(policy);
    // Deployed stages run the bundle scripts/build.ts makes; `sst dev` runs the source.
    const bundle = policy.compute.lambda && !$dev ? await buildLambdaBundle() : undefined;
    const api = policy.compute.lambda ? createApi(policy, table, secrets, bundle) : undefined;
    const service = policy.compute.container ? createService(policy, table, secrets) : undefined;
    // Deployed stages only: under `sst dev`, `npm run sweep` does the job against DynamoDB Local.
    const sweeper = $dev
      ? undefined
      : createSweeper(policy, table, await buildLambdaBundle("sweeper"));
    const alarmTopic = createAlarms(policy, { api, service, sweeper, table });

    return {
      api: api?.gateway.url,
      container: service?.service.url,
      // For the deploy workflow's "Start the container" step (scripts/start-container.ts).
      containerCluster: service && !$dev ? service.cluster.nodes.cluster.name : undefined,
      containerService: service && !$dev ? service.service.nodes.service.name : undefined,
      table: table.name,
      alarmTopic: alarmTopic?.arn,
    };
  },
});
