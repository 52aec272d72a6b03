import { type StagePolicy, secretNames } from "./stage.ts";

export interface SecretsHandle {
  issuer: aws.secretsmanager.Secret;
  audience: aws.secretsmanager.Secret;
}

/**
 * The Auth0 issuer and audience live in Secrets Manager. The stack creates the secrets
 * but never a version: values are put outside SST, so they never enter SST's state or a
 * Pulumi diff. Linking a secret grants `GetSecretValue` on that one ARN and exposes only
 * the ARN (a link's properties reach a container as plain environment variables).
 */
export function createSecrets(policy: StagePolicy): SecretsHandle {
  sst.Linkable.wrap(aws.secretsmanager.Secret, (secret) => ({
    properties: { arn: secret.arn },
    include: [
      sst.aws.permission({ actions: ["secretsmanager:GetSecretValue"], resources: [secret.arn] }),
    ],
  }));
  const names = secretNames(policy.stage);
  const issuer = new aws.secretsmanager.Secret("Auth0Issuer", {
    name: names.issuer,
    description:
      "Auth0 issuer URL for DoDeck, e.g. https://tenant.auth0.com/ (value set outside SST)",
    recoveryWindowInDays: policy.secretRecoveryDays,
  });
  const audience = new aws.secretsmanager.Secret("Auth0Audience", {
    name: names.audience,
    description:
      "Auth0 API audience for DoDeck, e.g. https://api.dodeck.app (value set outside SST)",
    recoveryWindowInDays: policy.secretRecoveryDays,
  });
  return { issuer, audience };
}
