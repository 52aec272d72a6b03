export { type AppDeps, createApp } from "./app.ts";
export {
  createRemoteKeys,
  createTokenVerifier,
  isKeySourceFailure,
  type TokenVerifier,
} from "./auth.ts";
export { type Config, ConfigError, type Environment, parseConfig } from "./config.ts";
export { type AwsCredentials, createDeps, createDynamoClient, type DepsOverrides } from "./deps.ts";
export { createLogger, type Logger, type LogLevel } from "./logger.ts";
export { buildOpenApiDocument, operations } from "./openapi.ts";
export { problemResponse } from "./problem.ts";
