import { defaultChangeRetentionSeconds, defaultTableName, limits, type Quotas } from "@dodeck/core";
import * as z from "zod";

/**
 * Configuration, parsed once from a plain record (adapters pass the process environment, Workers their
 * bindings). Names are the old service's, so operators move over unchanged.
 */
const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

// z.url() alone accepts any scheme, so "localhost:8000" would pass as a URL and fail later.
const httpUrl = (message = "must be an http(s) URL") => z.url({ protocol: /^https?$/, message });

const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["local", "dev", "staging", "prod"]).default("local"),
  AUTH0_ISSUER: httpUrl("must be a URL such as https://tenant.auth0.com/"),
  AUTH0_AUDIENCE: z.string().min(1),
  AUTH0_JWKS_URL: httpUrl().optional(),
  AUTH0_CLAIMS_NAMESPACE: z.string().min(1).default("https://dodeck.app/"),
  REQUIRE_EMAIL_VERIFIED: flag.default(true),
  TABLE_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, "must be a DynamoDB table name")
    .default(defaultTableName),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  DYNAMODB_ENDPOINT_URL: httpUrl().optional(),
  CORS_ALLOWED_ORIGINS: list.default([]),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  PORT: z.coerce.number().int().min(1).max(65_535).default(8080),
  CHANGE_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(366 * 24 * 60 * 60)
    .default(defaultChangeRetentionSeconds),
  MAX_DECKS_PER_OWNER: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(limits.quotas.decksPerOwner),
  MAX_DOS_PER_DECK: z.coerce.number().int().min(1).max(1_000_000).default(limits.quotas.dosPerDeck),
});

export type Environment = "local" | "dev" | "staging" | "prod";

export type Config = {
  environment: Environment;
  version: string;
  auth: { issuer: string; audience: string; jwksUrl: string; claimsNamespace: string };
  requireEmailVerified: boolean;
  tableName: string;
  region: string;
  dynamoEndpoint: string | undefined;
  corsOrigins: string[];
  logLevel: "debug" | "info" | "warn" | "error";
  port: number;
  /** How long a deck's change feed keeps changes, so how old a sync token may be (seconds). */
  changeRetentionSeconds: number;
  /** Decks per owner, dos per deck (409 deck_limit, do_limit beyond). */
  quotas: Quotas;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Validates the whole record and reports every bad key in one line, e.g.
 * `ConfigError: AUTH0_ISSUER required; AUTH0_AUDIENCE required`.
 */
export function parseConfig(env: Record<string, string | undefined>, version = "0.0.0"): Config {
  // An empty variable means "unset": `FOO= npm start` should not fail as an invalid URL.
  const present = Object.fromEntries(
    // Stryker disable next-line ConditionalExpression: equivalent for `undefined`, which zod reads as absent.
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      // Stryker disable next-line StringLiteral: unreachable, every issue of this object schema names its key.
      const key = String(issue.path[0] ?? "config");
      return present[key] === undefined ? `${key} required` : `${key} ${issue.message}`;
    });
    throw new ConfigError([...new Set(problems)].join("; "));
  }
  const value = parsed.data;
  // The contract promises at least 7 days; only a local run (tests) may keep changes less.
  if (
    value.ENVIRONMENT !== "local" &&
    value.CHANGE_RETENTION_SECONDS < defaultChangeRetentionSeconds
  )
    throw new ConfigError(
      `CHANGE_RETENTION_SECONDS must be at least ${defaultChangeRetentionSeconds} (7 days) outside local`,
    );
  // Auth0 issues `iss` with a trailing slash; accept the setting with or without one.
  const issuer = value.AUTH0_ISSUER.endsWith("/") ? value.AUTH0_ISSUER : `${value.AUTH0_ISSUER}/`;
  return {
    environment: value.ENVIRONMENT,
    version,
    auth: {
      issuer,
      audience: value.AUTH0_AUDIENCE,
      jwksUrl: value.AUTH0_JWKS_URL ?? `${issuer}.well-known/jwks.json`,
      claimsNamespace: value.AUTH0_CLAIMS_NAMESPACE,
    },
    requireEmailVerified: value.REQUIRE_EMAIL_VERIFIED,
    tableName: value.TABLE_NAME,
    region: value.AWS_REGION,
    dynamoEndpoint: value.DYNAMODB_ENDPOINT_URL,
    corsOrigins: value.CORS_ALLOWED_ORIGINS,
    logLevel: value.LOG_LEVEL,
    port: value.PORT,
    changeRetentionSeconds: value.CHANGE_RETENTION_SECONDS,
    quotas: { decksPerOwner: value.MAX_DECKS_PER_OWNER, dosPerDeck: value.MAX_DOS_PER_DECK },
  };
}
