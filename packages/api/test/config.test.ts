import { ConfigError, parseConfig } from "@dodeck/api";
import { defaultTableName } from "@dodeck/core";
import { describe, expect, it } from "vitest";

const required = { AUTH0_ISSUER: "https://tenant.auth0.com/", AUTH0_AUDIENCE: "https://api" };

function failure(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("parseConfig accepted the record");
}

describe("parseConfig", () => {
  it("names every missing required key in one line", () => {
    const message = failure({});
    expect(message).toBe("AUTH0_ISSUER required; AUTH0_AUDIENCE required");
    expect(message).not.toContain("\n");
  });

  it("fails as a ConfigError, which entry points print by name", () => {
    const error = (() => {
      try {
        parseConfig({});
      } catch (caught) {
        return caught;
      }
    })();
    expect(String(error)).toBe("ConfigError: AUTH0_ISSUER required; AUTH0_AUDIENCE required");
  });

  it("reports version 0.0.0 when the build gives none", () => {
    expect(parseConfig(required).version).toBe("0.0.0");
  });

  it("treats empty variables as unset", () => {
    expect(failure({ AUTH0_ISSUER: "", AUTH0_AUDIENCE: "" })).toBe(
      "AUTH0_ISSUER required; AUTH0_AUDIENCE required",
    );
    expect(parseConfig({ ...required, TABLE_NAME: "", PORT: "" }).tableName).toBe(defaultTableName);
  });

  it("names each invalid value, all at once", () => {
    const message = failure({
      ...required,
      AUTH0_ISSUER: "not a url",
      ENVIRONMENT: "production",
      REQUIRE_EMAIL_VERIFIED: "maybe",
      PORT: "eighty",
      TABLE_NAME: "x",
      LOG_LEVEL: "loud",
      DYNAMODB_ENDPOINT_URL: "localhost:8000",
    });
    expect(message).not.toContain("\n");
    for (const key of [
      "AUTH0_ISSUER",
      "ENVIRONMENT",
      "REQUIRE_EMAIL_VERIFIED",
      "PORT",
      "TABLE_NAME",
      "LOG_LEVEL",
      "DYNAMODB_ENDPOINT_URL",
    ]) {
      expect(message).toContain(key);
    }
    expect(message).toContain("REQUIRE_EMAIL_VERIFIED must be true or false");
    expect(message).not.toContain("AUTH0_AUDIENCE");
  });

  it("rejects ports out of range", () => {
    expect(failure({ ...required, PORT: "0" })).toMatch(/^PORT /);
    expect(failure({ ...required, PORT: "65536" })).toMatch(/^PORT /);
  });

  it("applies the old service's defaults", () => {
    const config = parseConfig(required);
    expect(config).toMatchObject({
      environment: "local",
      requireEmailVerified: true,
      tableName: defaultTableName,
      region: "us-east-1",
      dynamoEndpoint: undefined,
      corsOrigins: [],
      logLevel: "info",
      port: 8080,
      changeRetentionSeconds: 7 * 24 * 60 * 60,
      quotas: { decksPerOwner: 1_000, dosPerDeck: 1_000 },
    });
    expect(defaultTableName).toBe("DoDeck");
    expect(config.auth).toEqual({
      issuer: "https://tenant.auth0.com/",
      audience: "https://api",
      jwksUrl: "https://tenant.auth0.com/.well-known/jwks.json",
      claimsNamespace: "https://dodeck.app/",
    });
  });

  it("accepts the issuer with or without a trailing slash, as Auth0 issues it with one", () => {
    const config = parseConfig({ ...required, AUTH0_ISSUER: "https://tenant.auth0.com" });
    expect(config.auth.issuer).toBe("https://tenant.auth0.com/");
    expect(config.auth.jwksUrl).toBe("https://tenant.auth0.com/.well-known/jwks.json");
  });

  it("reads every documented variable", () => {
    const config = parseConfig(
      {
        ...required,
        AUTH0_JWKS_URL: "https://keys.example.com/jwks.json",
        REQUIRE_EMAIL_VERIFIED: "false",
        TABLE_NAME: "DoDeck-dev",
        AWS_REGION: "eu-west-1",
        DYNAMODB_ENDPOINT_URL: "http://localhost:8000",
        CORS_ALLOWED_ORIGINS: " https://a.example , https://b.example,, ",
        LOG_LEVEL: "debug",
        ENVIRONMENT: "prod",
        PORT: "3000",
        CHANGE_RETENTION_SECONDS: "864000",
        MAX_DECKS_PER_OWNER: "200",
        MAX_DOS_PER_DECK: "5000",
      },
      "1.2.3",
    );
    expect(config).toEqual({
      environment: "prod",
      version: "1.2.3",
      auth: {
        issuer: "https://tenant.auth0.com/",
        audience: "https://api",
        jwksUrl: "https://keys.example.com/jwks.json",
        claimsNamespace: "https://dodeck.app/",
      },
      requireEmailVerified: false,
      tableName: "DoDeck-dev",
      region: "eu-west-1",
      dynamoEndpoint: "http://localhost:8000",
      corsOrigins: ["https://a.example", "https://b.example"],
      logLevel: "debug",
      port: 3000,
      changeRetentionSeconds: 864_000,
      quotas: { decksPerOwner: 200, dosPerDeck: 5_000 },
    });
  });

  it("keeps changes at least 7 days outside local runs (the contract's promise), any positive time locally", () => {
    expect(() =>
      parseConfig({ ...required, ENVIRONMENT: "staging", CHANGE_RETENTION_SECONDS: "60" }),
    ).toThrow(/^CHANGE_RETENTION_SECONDS must be at least 604800/);
    expect(parseConfig({ ...required, CHANGE_RETENTION_SECONDS: "2" }).changeRetentionSeconds).toBe(
      2,
    );
    expect(failure({ ...required, CHANGE_RETENTION_SECONDS: "0" })).toMatch(
      /^CHANGE_RETENTION_SECONDS /,
    );
    expect(failure({ ...required, MAX_DOS_PER_DECK: "0" })).toMatch(/^MAX_DOS_PER_DECK /);
  });

  it("reads true/false flags in their common spellings", () => {
    for (const [value, expected] of [
      ["true", true],
      ["1", true],
      ["yes", true],
      ["false", false],
      ["0", false],
      ["no", false],
    ] as const) {
      expect(parseConfig({ ...required, REQUIRE_EMAIL_VERIFIED: value }).requireEmailVerified).toBe(
        expected,
      );
    }
  });

  it("accepts exactly the four environments", () => {
    for (const environment of ["local", "dev", "staging", "prod"]) {
      expect(parseConfig({ ...required, ENVIRONMENT: environment }).environment).toBe(environment);
    }
    expect(failure({ ...required, ENVIRONMENT: "PROD" })).toMatch(/^ENVIRONMENT /);
  });
});

describe("parseConfig rules an operator relies on (mutation-testing survivors)", () => {
  it.each(["my table", "dodeck/prod", "table!", "!table", "ok:name", `${"a".repeat(256)}`])(
    "refuses TABLE_NAME %j wherever the bad character is",
    (name) => {
      expect(failure({ ...required, TABLE_NAME: name })).toContain("TABLE_NAME");
    },
  );

  it.each(["abc", "DoDeck_prod.v2-blue", "a".repeat(255)])("accepts TABLE_NAME %j", (name) => {
    expect(parseConfig({ ...required, TABLE_NAME: name }).tableName).toBe(name);
  });

  it("accepts a claims namespace of any length and refuses an empty one", () => {
    const namespace = "https://claims.example.com/";
    expect(
      parseConfig({ ...required, AUTH0_CLAIMS_NAMESPACE: namespace }).auth.claimsNamespace,
    ).toBe(namespace);
    expect(parseConfig({ ...required, AUTH0_CLAIMS_NAMESPACE: "x" }).auth.claimsNamespace).toBe(
      "x",
    );
  });
});
