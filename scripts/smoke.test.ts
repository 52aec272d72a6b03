import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { deployedUrls, smokeTest } from "./smoke.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** A throwaway API on loopback that answers with `handler`. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Answers like a healthy DoDeck of `environment`. */
function healthy(environment: string): Handler {
  return (req, res) => {
    if (req.url === "/healthz") return json(res, 200, { ok: true, version: "1.0.0", environment });
    if (req.url === "/readyz") return json(res, 200, { ok: true });
    json(res, 404, { code: "not_found" });
  };
}

const fast = { attempts: 3, intervalMs: 10, requestTimeoutMs: 500, log: () => {} };

describe("smokeTest", () => {
  it("passes when /healthz names the expected environment and /readyz answers 200", async () => {
    const url = await serve(healthy("staging"));
    expect(await smokeTest(url, "staging", fast)).toEqual({ ok: true });
  });

  it("accepts a base URL with a trailing slash", async () => {
    const url = await serve(healthy("dev"));
    expect(await smokeTest(`${url}/`, "dev", fast)).toEqual({ ok: true });
  });

  it("fails when the deployed environment is not the expected one", async () => {
    const url = await serve(healthy("dev"));
    const result = await smokeTest(url, "prod", fast);
    expect(result).toEqual({
      ok: false,
      reason: `GET ${url}/healthz answered environment="dev", expected "prod" (after 3 tries)`,
    });
  });

  it("fails when /healthz does not say ok:true", async () => {
    const url = await serve((_req, res) => json(res, 200, { ok: false, environment: "dev" }));
    const result = await smokeTest(url, "dev", fast);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("ok=false") });
  });

  it("fails when /healthz is not JSON", async () => {
    const url = await serve((_req, res) => res.end("<html>gateway</html>"));
    const result = await smokeTest(url, "dev", fast);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("not JSON") });
  });

  it("fails when /readyz answers 503", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/healthz") return json(res, 200, { ok: true, environment: "dev" });
      json(res, 503, { code: "service_unavailable" });
    });
    const result = await smokeTest(url, "dev", fast);
    expect(result).toEqual({
      ok: false,
      reason: `GET ${url}/readyz answered 503, expected 200 (after 3 tries)`,
    });
  });

  it("retries until a freshly deployed API starts answering", async () => {
    let calls = 0;
    const ready = healthy("dev");
    const url = await serve((req, res) => {
      calls++;
      if (calls <= 2) return json(res, 502, { message: "Internal server error" });
      ready(req, res);
    });
    const log: string[] = [];
    const result = await smokeTest(url, "dev", { ...fast, log: (line) => log.push(line) });
    expect(result).toEqual({ ok: true });
    expect(log).toEqual([
      "GET /healthz try 1/3: answered 502, expected 200",
      "GET /healthz try 2/3: answered 502, expected 200",
      "GET /healthz ok",
      "GET /readyz ok",
    ]);
  });

  it("gives up after the bounded number of tries", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      json(res, 500, {});
    });
    const result = await smokeTest(url, "dev", { ...fast, attempts: 4 });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("after 4 tries") });
    expect(calls).toBe(4);
  });

  it("times out a request that never answers", async () => {
    const url = await serve(() => {
      // Never respond: the request must be cut off by the per-request timeout.
    });
    const started = Date.now();
    const result = await smokeTest(url, "dev", { ...fast, attempts: 2, requestTimeoutMs: 200 });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining("timed out after 200 ms"),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails when nothing listens", async () => {
    const url = await serve(healthy("dev"));
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const result = await smokeTest(url, "dev", fast);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("request failed") });
  });

  it("refuses a base URL that is not http(s)", async () => {
    expect(await smokeTest("not a url", "dev", fast)).toMatchObject({ ok: false });
    expect(await smokeTest("file:///etc/passwd", "dev", fast)).toMatchObject({ ok: false });
  });
});

describe("deployedUrls", () => {
  it("returns the Lambda and container URLs that SST output, in that order", () => {
    const outputs = {
      table: "dodeck-staging-DoDeckTable-abc",
      container: "https://ecs.staging.dodeck.app",
      api: "https://api.staging.dodeck.app",
      alarmTopic: "arn:aws:sns:eu-west-1:123456789012:alarms",
    };
    expect(deployedUrls(outputs)).toEqual([
      { key: "api", url: "https://api.staging.dodeck.app" },
      { key: "container", url: "https://ecs.staging.dodeck.app" },
    ]);
  });

  it("skips outputs a stage does not have", () => {
    expect(deployedUrls({ api: "https://x.execute-api.eu-west-1.amazonaws.com" })).toEqual([
      { key: "api", url: "https://x.execute-api.eu-west-1.amazonaws.com" },
    ]);
    expect(deployedUrls({ table: "t" })).toEqual([]);
    expect(deployedUrls(null)).toEqual([]);
  });
});

describe("smoke CLI", () => {
  const run = promisify(execFile);

  it("exits 0 against a healthy API and 1 against the wrong environment", async () => {
    const url = await serve(healthy("dev"));
    const env = { PATH: process.env.PATH, SMOKE_ATTEMPTS: "2", SMOKE_INTERVAL_MS: "10" };
    const ok = await run("node_modules/.bin/tsx", ["scripts/smoke.ts", url, "dev"], {
      env,
      timeout: 15_000,
    });
    expect(ok.stdout).toContain(`Smoke test passed: ${url} serves environment dev`);

    const wrong = run("node_modules/.bin/tsx", ["scripts/smoke.ts", url, "prod"], {
      env,
      timeout: 15_000,
    });
    await expect(wrong).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("::error title=Smoke test failed::GET "),
    });
  });

  it("tests every URL in SST's outputs file and fails when one is wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smoke-outputs-"));
    try {
      const api = await serve(healthy("staging"));
      const container = await serve(healthy("staging"));
      const outputs = join(dir, "outputs.json");
      writeFileSync(outputs, JSON.stringify({ api, container, table: "t" }));
      const env = { PATH: process.env.PATH, SMOKE_ATTEMPTS: "2", SMOKE_INTERVAL_MS: "10" };
      const args = ["scripts/smoke.ts", "--outputs", outputs, "staging"];
      const ok = await run("node_modules/.bin/tsx", args, { env, timeout: 15_000 });
      expect(ok.stdout).toContain(`Smoke test passed: ${api} serves environment staging`);
      expect(ok.stdout).toContain(`Smoke test passed: ${container} serves environment staging`);

      const broken = await serve(healthy("dev"));
      writeFileSync(outputs, JSON.stringify({ api, container: broken }));
      await expect(
        run("node_modules/.bin/tsx", args, { env, timeout: 15_000 }),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`GET ${broken}/healthz answered environment="dev"`),
      });

      writeFileSync(outputs, JSON.stringify({ table: "t" }));
      await expect(
        run("node_modules/.bin/tsx", args, { env, timeout: 15_000 }),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining("has no URL output (api or container)"),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with usage when arguments are missing", async () => {
    const missing = run("node_modules/.bin/tsx", ["scripts/smoke.ts"], {
      env: { PATH: process.env.PATH },
      timeout: 15_000,
    });
    await expect(missing).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        "usage: tsx scripts/smoke.ts <baseUrl> <expectedEnvironment>",
      ),
    });
  });
});
