import { parseConfig } from "@dodeck/api";
import { describe, expect, it } from "vitest";
import { trimInjectedSecrets, withSecretValues } from "../src/adapters/secrets.ts";

const base = {
  ENVIRONMENT: "staging",
  TABLE_NAME: "dodeck-staging-table",
  AWS_REGION: "us-east-1",
};

describe("secret values reach the config trimmed on both runtimes", () => {
  it("trims the values ECS injects into the container's environment", () => {
    const env = trimInjectedSecrets({
      ...base,
      AUTH0_ISSUER: " https://tenant.auth0.com/\n",
      AUTH0_AUDIENCE: "https://api.dodeck.app\n",
    });
    expect(env).toMatchObject({
      AUTH0_ISSUER: "https://tenant.auth0.com/",
      AUTH0_AUDIENCE: "https://api.dodeck.app",
    });
    expect(parseConfig(env, "0.0.0").auth).toMatchObject({
      issuer: "https://tenant.auth0.com/",
      audience: "https://api.dodeck.app",
    });
  });

  it("leaves absent values absent, so the config still names them as required", () => {
    const env = trimInjectedSecrets(base);
    expect(env).not.toHaveProperty("AUTH0_ISSUER");
    expect(() => parseConfig(env, "0.0.0")).toThrow(/AUTH0_ISSUER/);
  });

  it("matches what the Lambda path makes of the same stored values", async () => {
    const stored: Record<string, string> = {
      "arn:issuer": " https://tenant.auth0.com/\n",
      "arn:audience": "https://api.dodeck.app\n",
    };
    const client = {
      send: async (command: { input: { SecretId?: string } }) => ({
        SecretString: stored[command.input.SecretId ?? ""],
      }),
    } as never;
    const lambda = await withSecretValues(
      { ...base, AUTH0_ISSUER_SECRET_ARN: "arn:issuer", AUTH0_AUDIENCE_SECRET_ARN: "arn:audience" },
      client,
    );
    const container = trimInjectedSecrets({
      ...base,
      AUTH0_ISSUER: stored["arn:issuer"],
      AUTH0_AUDIENCE: stored["arn:audience"],
    });
    expect([container.AUTH0_ISSUER, container.AUTH0_AUDIENCE]).toEqual([
      lambda.AUTH0_ISSUER,
      lambda.AUTH0_AUDIENCE,
    ]);
  });
});
