export { type AppDeps, type AppOptions, createApp } from "./app.ts";
export {
  createRemoteKeys,
  createTokenVerifier,
  isKeySourceFailure,
  type TokenVerifier,
} from "./auth.ts";
export { type Config, ConfigError, type Environment, parseConfig } from "./config.ts";
export { type AwsCredentials, createDeps, createDynamoClient, type DepsOverrides } from "./deps.ts";
export { type DocsAssetName, type DocsAssets, swaggerUi } from "./docs.ts";
export { transportLimits } from "./limits.ts";
export { createLogger, type Logger, type LogLevel } from "./logger.ts";
export { buildOpenApiDocument, type OpenApiDocument, problemCodesOf } from "./openapi.ts";
export {
  AppError,
  type ProblemCode,
  problemCatalogue,
  problemResponse,
  type TransportErrorCode,
} from "./problem.ts";
export { honoPath, type NamedRoute, type RouteDefinition } from "./route.ts";
export { apiRoutes } from "./routes/index.ts";
