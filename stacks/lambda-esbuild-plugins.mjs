import { fileURLToPath } from "node:url";

// The deployed Lambda is bundled by SST; these plugins give it what `npm run build` gives
// dist/lambda (measured by `npm run bench:lambda`): Lambda hands the function its role's
// credentials in the environment, so the SDK's default provider chain is dead weight there.
const lambdaCredentials = fileURLToPath(
  new URL("../packages/functions/src/adapters/lambda-credentials.ts", import.meta.url),
);

export default [
  {
    name: "dodeck-lambda-credentials",
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
        path: lambdaCredentials,
      }));
    },
  },
];
