/**
 * The Lambda bundle's stand-in for @aws-sdk/credential-provider-node (esbuild `alias` in
 * scripts/build.ts). Lambda always hands a function its role's credentials in the environment,
 * so the SDK's default chain (SSO, STS web identity, ini files, process, IMDS, ECS) is dead
 * code there; dropping it shrinks the bundle the cold start must parse. The container keeps
 * the full chain: ECS serves credentials over HTTP, not in the environment.
 */
export const defaultProvider = (_init?: unknown) => async () => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw Object.assign(
      new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; Lambda sets them"),
      { name: "CredentialsProviderError", tryNextLink: false },
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
  };
};
