import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export type SecretsClient = Pick<SecretsManagerClient, "send">;

/**
 * Deployed stages keep the Auth0 issuer and audience in Secrets Manager; the environment
 * carries only the secrets' ARNs. Values are read once per cold start and merged into the
 * record that `parseConfig` validates, under the names the old service used. Without ARNs
 * (local, tests, the container, which gets the values injected by ECS) no client is built.
 */
export async function withSecretValues(
  env: Record<string, string | undefined>,
  client?: SecretsClient,
): Promise<Record<string, string | undefined>> {
  const wanted = [
    ["AUTH0_ISSUER", env.AUTH0_ISSUER_SECRET_ARN],
    ["AUTH0_AUDIENCE", env.AUTH0_AUDIENCE_SECRET_ARN],
  ] as const;
  if (wanted.every(([, arn]) => !arn)) return env;
  // Bounded like the DynamoDB client: a cold start must fail (and be retried), not hang.
  const secrets =
    client ??
    new SecretsManagerClient({
      region: env.AWS_REGION,
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: 1_000,
        requestTimeout: 3_000,
        throwOnRequestTimeout: true,
      },
    });
  const values = await Promise.all(
    wanted.map(async ([name, arn]) => {
      if (!arn) return [name, env[name]] as const;
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
      if (!out.SecretString)
        throw new Error(`${name}: the secret ${arn} has no value; set it with put-secret-value`);
      return [name, out.SecretString.trim()] as const;
    }),
  );
  return { ...env, ...Object.fromEntries(values) };
}

/**
 * The container's counterpart: ECS injects the secrets' values into AUTH0_ISSUER and
 * AUTH0_AUDIENCE verbatim, so a value stored with a trailing newline (`--secret-string
 * "$(cat file)"`, an editor) is trimmed here exactly as the Lambda path trims what it reads.
 */
export function trimInjectedSecrets(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const trimmed = { ...env };
  for (const name of ["AUTH0_ISSUER", "AUTH0_AUDIENCE"] as const) {
    const value = env[name];
    if (value !== undefined) trimmed[name] = value.trim();
  }
  return trimmed;
}
