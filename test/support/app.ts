import { createApp, createDeps, parseConfig } from "@dodeck/api";
import { nodeDocsAssets } from "@dodeck/functions/docs-assets";
import { expect } from "vitest";
import { createTestStore } from "./dynamo.ts";
import { readReply } from "./http.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestUser } from "./issuer.ts";

export const users = {
  owner: { sub: "auth0|owner", email: "owner@example.com" },
  friend: { sub: "auth0|friend", email: "Friend@Example.com" },
  unverified: { sub: "auth0|unverified", email: "unverified@example.com", emailVerified: false },
  stranger: { sub: "auth0|stranger", email: "stranger@example.com" },
  noEmail: { sub: "auth0|no-email" },
} satisfies Record<string, TestUser>;

/**
 * The real app over a fresh table on DynamoDB Local, with a test issuer's key set injected
 * (real RS256 tokens; only the key source differs from production).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: {
    /** Another app's table and issuer: a second instance of the same deployment. */
    sharing?: {
      store: Awaited<ReturnType<typeof createTestStore>>;
      issuer: Awaited<ReturnType<typeof createTestIssuer>>;
    };
    /** This instance's clock (a skewed server). */
    now?: () => Date;
  } = {},
) {
  const store = options.sharing?.store ?? (await createTestStore("api"));
  const issuer = options.sharing?.issuer ?? (await createTestIssuer());
  const logs: string[] = [];
  const config = parseConfig({
    AUTH0_ISSUER: TEST_ISSUER,
    AUTH0_AUDIENCE: TEST_AUDIENCE,
    TABLE_NAME: store.tableName,
    ENVIRONMENT: "local",
    ...env,
  });
  const deps = createDeps(config, {
    keys: issuer.keys,
    dynamo: store.client,
    log: (level, message, fields) => logs.push(JSON.stringify({ level, message, ...fields })),
    // As the Node server runs: Swagger UI's files from the installed package.
    docsAssets: nodeDocsAssets(),
    ...(options.now ? { now: options.now } : {}),
  });
  // Built again for each test that uses it (createApp costs well under a millisecond): a test
  // then runs the construction it relies on (CORS, the docs, the 405 table), so per-test
  // coverage credits it, as mutation testing needs (docs/mutation-testing.md). The app keeps
  // no state of its own between requests; deps (clients, caches, group commits) are shared.
  let built: { test: string | undefined; app: ReturnType<typeof createApp> } | undefined;
  const appForThisTest = () => {
    const test = expect.getState().currentTestName;
    if (built === undefined || built.test !== test) built = { test, app: createApp(deps) };
    return built.app;
  };

  /** Sends a request as a user (or anonymously) and returns status, headers and parsed body. */
  async function call(
    user: TestUser | string | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const token =
      user === null ? undefined : typeof user === "string" ? user : await issuer.tokenFor(user);
    const init: RequestInit = {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && typeof body !== "string"
          ? { "content-type": "application/json" }
          : {}),
        ...headers,
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    };
    const response = await appForThisTest().request(path, init);
    return readReply(response, { method, path });
  }

  return {
    get app() {
      return appForThisTest();
    },
    store,
    issuer,
    config,
    logs,
    call,
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
