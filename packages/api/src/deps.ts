import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  createChangeService,
  createDeckService,
  createDoService,
  type Store,
  tableAnswers,
} from "@dodeck/core";
import type { JWTVerifyGetKey } from "jose";
import type { AppDeps } from "./app.ts";
import { createRemoteKeys, createTokenVerifier } from "./auth.ts";
import type { Config } from "./config.ts";
import type { DocsAssets } from "./docs.ts";
import { createLogger, type Logger } from "./logger.ts";

export type AwsCredentials = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
};

export type DepsOverrides = {
  /** Token keys other than the issuer's JWKS: tests' key sets, the local dev issuer. */
  keys?: JWTVerifyGetKey;
  /** A document client built elsewhere (tests count its calls). */
  dynamo?: DynamoDBDocumentClient;
  log?: Logger;
  /** Extra readiness condition, e.g. "not draining" in the Node adapter. */
  accepting?: () => boolean;
  /** Swagger UI's files, where the runtime can read them (the Node server; see docs.ts). */
  docsAssets?: DocsAssets;
  /** The services' clock: tests run writers whose clocks are skewed. */
  now?: () => Date;
};

/**
 * A client with explicit bounds: the SDK's default waits forever on a hung endpoint, and
 * `requestTimeout` alone only logs a warning. A hung table turns into a 503 in ~3 s.
 */
export function createDynamoClient(
  config: Pick<Config, "region" | "dynamoEndpoint">,
  /** Explicit credentials, for runtimes with no default chain (Workers: from secrets). */
  credentials?: AwsCredentials,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 1_500,
      throwOnRequestTimeout: true,
    },
    ...(config.dynamoEndpoint
      ? {
          endpoint: config.dynamoEndpoint,
          // DynamoDB Local accepts any credentials; a laptop may have none configured.
          credentials: {
            accessKeyId: "local",
            // Stryker disable next-line StringLiteral: equivalent, DynamoDB Local accepts an empty secret.
            secretAccessKey: "local",
          },
        }
      : {}),
    ...(credentials ? { credentials } : {}),
  });
  memoizeUserAgent(client.config);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The SDK asks for its User-Agent parts on every call, and its provider calls `uname` (the OS
 * release) and reads the environment each time. They cannot change within a process: asked
 * once, the header is the same, and a call costs less CPU (docs/performance.md, "Cheaper calls").
 * A failed ask is not kept: the next call asks again.
 */
export function memoizeUserAgent(config: {
  defaultUserAgentProvider: DynamoDBClient["config"]["defaultUserAgentProvider"];
}): void {
  const provide = config.defaultUserAgentProvider;
  let parts: ReturnType<typeof provide> | undefined;
  config.defaultUserAgentProvider = () => {
    parts ??= provide().catch((error: unknown) => {
      parts = undefined;
      throw error;
    });
    return parts;
  };
}

/** Everything the app needs, built once per process (or isolate) from parsed config. */
export function createDeps(config: Config, overrides: DepsOverrides = {}): AppDeps {
  const store: Store = {
    client: overrides.dynamo ?? createDynamoClient(config),
    tableName: config.tableName,
  };
  const services = {
    store,
    policy: { requireEmailVerified: config.requireEmailVerified },
    changeRetentionSeconds: config.changeRetentionSeconds,
    quotas: config.quotas,
    ...(overrides.now ? { now: overrides.now } : {}),
  };
  const log = overrides.log ?? createLogger(config.logLevel);
  const keys =
    overrides.keys ??
    // The key set logs each change of its health itself (not each request that meets it).
    createRemoteKeys({ url: config.auth.jwksUrl, log });
  const accepting = overrides.accepting ?? (() => true);
  return {
    config,
    decks: createDeckService(services),
    dos: createDoService(services),
    changes: createChangeService(services),
    verifyToken: createTokenVerifier({
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      claimsNamespace: config.auth.claimsNamespace,
      keys,
    }),
    ready: async () => accepting() && (await tableAnswers(store, AbortSignal.timeout(2_000))),
    log,
    docsAssets: overrides.docsAssets,
  };
}
