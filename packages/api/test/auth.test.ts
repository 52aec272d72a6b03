import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "@dodeck/core";
import { errors } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  type DevIssuer,
  devIssuerOverrides,
  loadDevIssuer,
} from "../../../scripts/dev-issuer.ts";
import { createTestIssuer, TEST_AUDIENCE, TEST_ISSUER } from "../../../test/support/issuer.ts";
import { createTokenVerifier, isKeySourceFailure, parseConfig } from "../src";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

describe("the local development issuer", () => {
  let dir: string;
  let dev: DevIssuer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dodeck-dev-issuer-"));
    dev = await loadDevIssuer(join(dir, "dev-issuer.json"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const configFor = (environment: string) =>
    parseConfig({
      ENVIRONMENT: environment,
      AUTH0_ISSUER: DEV_ISSUER,
      AUTH0_AUDIENCE: DEV_AUDIENCE,
    });

  it.each(["dev", "staging", "prod"])("cannot be enabled with ENVIRONMENT=%s", (environment) => {
    expect(() => devIssuerOverrides(configFor(environment), dev)).toThrow(
      `the local development issuer cannot be enabled with ENVIRONMENT=${environment}`,
    );
  });

  it("is trusted with ENVIRONMENT=local and only for its own issuer", async () => {
    const overrides = devIssuerOverrides(configFor("local"), dev);
    expect(overrides.keys).toBeTypeOf("function");
    const verify = createTokenVerifier({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      claimsNamespace: "https://dodeck.app/",
      keys: overrides.keys!,
    });
    const caller = await verify(`Bearer ${await dev.sign({ sub: "alice", email: "A@x.io" })}`);
    expect(caller).toEqual({ sub: "alice", email: "a@x.io", emailVerified: true });
    expect(() =>
      devIssuerOverrides(
        parseConfig({ ENVIRONMENT: "local", AUTH0_ISSUER: TEST_ISSUER, AUTH0_AUDIENCE: "x" }),
        dev,
      ),
    ).toThrow(`needs AUTH0_ISSUER=${DEV_ISSUER}`);
  });

  it("makes scripts/dev-server.ts exit non-zero with one clear line under ENVIRONMENT=prod", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "dodeck-dev-server-"));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, ENVIRONMENT: "prod" };
      delete env.AUTH0_ISSUER;
      delete env.AUTH0_AUDIENCE;
      const child = spawn(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), join(root, "scripts/dev-server.ts")],
        { cwd, env, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
      });
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await new Promise<number | null>((done) => child.on("exit", done));
      clearTimeout(timer);
      expect(code).toBe(1);
      expect(stdout).not.toContain("listening");
      expect(stderr).toContain(
        "dodeck dev: the local development issuer cannot be enabled with ENVIRONMENT=prod",
      );
      // Refusing comes before any key material is made.
      expect(existsSync(join(cwd, ".dodeck"))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe("deployed entry points", () => {
  it("never reference the local development issuer", async () => {
    const dir = join(root, "packages/functions/src");
    const files = (await readdir(dir, { recursive: true })).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      expect(text, file).not.toMatch(/dev-issuer|devIssuer|DEV_ISSUER/);
    }
  });
});

describe("key source failures", () => {
  it("blames the issuer for fetch failures and the token for key mismatches", () => {
    expect(isKeySourceFailure(new TypeError("fetch failed"))).toBe(true);
    expect(isKeySourceFailure(new errors.JWKSTimeout())).toBe(true);
    expect(isKeySourceFailure(new errors.JWKSInvalid())).toBe(true);
    expect(
      isKeySourceFailure(
        new errors.JOSEError("Expected 200 OK from the JSON Web Key Set HTTP response"),
      ),
    ).toBe(true);
    expect(isKeySourceFailure(new errors.JWKSNoMatchingKey())).toBe(false);
    expect(isKeySourceFailure(new errors.JWKSMultipleMatchingKeys())).toBe(false);
    expect(isKeySourceFailure(new errors.JOSENotSupported())).toBe(false);
    expect(isKeySourceFailure(new errors.JWSSignatureVerificationFailed())).toBe(false);
    expect(isKeySourceFailure(new errors.JOSEAlgNotAllowed())).toBe(false);
  });

  it("turns a key set that throws into 503 service_unavailable with Retry-After", async () => {
    const issuer = await createTestIssuer();
    const verify = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      claimsNamespace: "https://dodeck.app/",
      keys: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const error = await verify(`Bearer ${await issuer.tokenFor({ sub: "u" })}`).catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "service_unavailable" });
    expect((error as AppError).retryAfter).toBeGreaterThan(0);
  });

  it("does not remember a token past its expiry", async () => {
    const issuer = await createTestIssuer();
    let clock = Date.now();
    const verify = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      claimsNamespace: "https://dodeck.app/",
      keys: issuer.keys,
      now: () => clock,
    });
    const token = await issuer.sign({ sub: "u" }, { expiresIn: "1m" });
    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: "u" });
    clock += 2 * 60_000; // beyond exp + 30 s tolerance
    await expect(verify(`Bearer ${token}`)).rejects.toMatchObject({ code: "unauthorized" });
  });
});

describe("the verified-token cache", () => {
  /** A verifier whose key lookups are counted: a lookup means the RSA check ran. */
  async function countingVerifier(cacheSize?: number) {
    const issuer = await createTestIssuer();
    let lookups = 0;
    let clock = Date.now();
    const verify = createTokenVerifier({
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      claimsNamespace: "https://dodeck.app/",
      keys: (header, token) => {
        lookups++;
        return issuer.keys(header, token);
      },
      now: () => clock,
      ...(cacheSize === undefined ? {} : { cacheSize }),
    });
    return {
      issuer,
      verify: (token: string) => verify(`Bearer ${token}`),
      lookups: () => lookups,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  it("verifies a repeated token once, until it expires", async () => {
    const t = await countingVerifier();
    const token = await t.issuer.sign({ sub: "auth0|cached" }, { expiresIn: "10m" });
    for (let i = 0; i < 5; i++) expect((await t.verify(token)).sub).toBe("auth0|cached");
    expect(t.lookups()).toBe(1);

    t.advance(9 * 60_000);
    await t.verify(token);
    expect(t.lookups()).toBe(1);

    // Past `exp` (and jose's clock tolerance) the cached entry no longer answers.
    t.advance(2 * 60_000);
    await expect(t.verify(token)).rejects.toMatchObject({ code: "unauthorized" });
    expect(t.lookups()).toBe(2);
  });

  it("keeps at most cacheSize tokens, evicting the oldest", async () => {
    const t = await countingVerifier(2);
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((sub) => t.issuer.sign({ sub: `auth0|${sub}` })),
    );
    for (const token of [a!, b!, c!]) await t.verify(token);
    expect(t.lookups()).toBe(3);
    await t.verify(b!);
    await t.verify(c!);
    expect(t.lookups()).toBe(3);
    await t.verify(a!);
    expect(t.lookups()).toBe(4);
  });

  it("does not push a live token out of a full cache to re-verify an expired one", async () => {
    const t = await countingVerifier(2);
    const live = await t.issuer.sign({ sub: "auth0|live" }, { expiresIn: "10m" });
    const expiring = await t.issuer.sign({ sub: "auth0|expiring" }, { expiresIn: "1m" });
    await t.verify(live);
    await t.verify(expiring);
    expect(t.lookups()).toBe(2);
    // Past the second token's exp, within jose's 30 s tolerance: verified again, and kept in
    // place of its own expired entry, not of the live token's.
    t.advance(70_000);
    expect((await t.verify(expiring)).sub).toBe("auth0|expiring");
    expect(t.lookups()).toBe(3);
    await t.verify(live);
    expect(t.lookups()).toBe(3);
  });
});
