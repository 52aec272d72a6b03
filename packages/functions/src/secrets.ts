import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

/**
 * Deployed stages keep the Auth0 issuer and audience in Secrets Manager; the environment
 * carries only the secrets' ARNs. Values are read once per cold start and merged into the
 * record that `parseConfig` validates, under the names the old service used.
 */
export async function withSecretValues(
  env: Record<string, string | undefined>,
  client: Pick<SecretsManagerClient, "send"> = new SecretsManagerClient({ region: env.AWS_REGION }),
): Promise<Record<string, string | undefined>> {
  const wanted = [
    ["AUTH0_ISSUER", env.AUTH0_ISSUER_SECRET_ARN],
    ["AUTH0_AUDIENCE", env.AUTH0_AUDIENCE_SECRET_ARN],
  ] as const;
  const values = await Promise.all(
    wanted.map(async ([name, arn]) => {
      if (!arn) return [name, env[name]] as const;
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      if (!out.SecretString)
        throw new Error(`${name}: the secret ${arn} has no value; set it with put-secret-value`);
      return [name, out.SecretString.trim()] as const;
    }),
  );
  return { ...env, ...Object.fromEntries(values) };
}
