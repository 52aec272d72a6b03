import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle } from "./build-once.ts";
import { startServerProcess } from "./support.ts";

// There is no Docker engine here (CI builds the image), so this pins the Dockerfile's shape
// and runs what the runtime stage runs: the lone bundle under plain node, and the HEALTHCHECK.
const dockerfile = readFileSync("Dockerfile", "utf8").replace(/\\\n\s*/g, " ");
const instructions = dockerfile
  .split("\n")
  .filter((line) => line.trim() && !line.startsWith("#"))
  .map((line) => line.trim());
const runtimeStage = instructions.slice(instructions.findLastIndex((l) => l.startsWith("FROM ")));

function execForm(instruction: string): string[] {
  const json = instruction.slice(instruction.indexOf("["));
  return JSON.parse(json) as string[];
}

describe("Dockerfile", () => {
  it("builds in one Node 22 slim stage and runs in another", () => {
    const froms = instructions.filter((l) => l.startsWith("FROM "));
    expect(froms).toEqual(["FROM node:22-slim AS build", "FROM node:22-slim"]);
    expect(instructions).toContain("RUN npm ci --ignore-scripts --no-audit --no-fund");
  });

  it("ships only the server bundle, as a non-root user, on port 8080", () => {
    const copies = runtimeStage.filter((l) => l.startsWith("COPY"));
    expect(copies).toEqual(["COPY --from=build --chown=root:root /src/dist/server/ ./"]);
    expect(runtimeStage.join("\n")).not.toMatch(/npm|node_modules/);
    expect(runtimeStage).toContain("USER node");
    expect(runtimeStage.indexOf("USER node")).toBeLessThan(
      runtimeStage.findIndex((l) => l.startsWith("CMD")),
    );
    expect(runtimeStage).toContain("EXPOSE 8080");
    expect(runtimeStage.join(" ")).toContain("PORT=8080");
  });

  it("keeps local state out of the build context", () => {
    const ignore = readFileSync(".dockerignore", "utf8").split("\n");
    expect(ignore[ignore.findIndex((l) => !l.startsWith("#"))]).toBe("*");
    expect(ignore).not.toContain("!node_modules");
    expect(ignore).not.toContain("!dist");
  });

  describe("runtime stage, run without Docker", () => {
    let server: Awaited<ReturnType<typeof startServerProcess>>;
    beforeAll(async () => {
      server = await startServerProcess(await buildBundle("server"), {
        AUTH0_ISSUER: "https://tenant.example.com/",
        AUTH0_AUDIENCE: "https://api.dodeck.test",
        LOG_LEVEL: "warn",
      });
    });
    afterAll(() => server?.stop());

    it("passes its HEALTHCHECK command against /healthz", async () => {
      const healthcheck = runtimeStage.find((l) => l.startsWith("HEALTHCHECK"));
      expect(healthcheck).toMatch(/\/healthz/);
      const [command, ...args] = execForm(healthcheck ?? "");
      expect(command).toBe("node");
      const port = new URL(server.url).port;
      await expect(
        promisify(execFile)(process.execPath, args, { env: { PORT: port } }),
      ).resolves.toBeDefined();
      // And fails when nothing listens there.
      await expect(
        promisify(execFile)(process.execPath, args, { env: { PORT: "1" } }),
      ).rejects.toMatchObject({ code: 1 });
    });

    it("starts from its CMD with the bundle alone, with npm start's node flags", () => {
      const cmd = execForm(runtimeStage.find((l) => l.startsWith("CMD")) ?? "");
      const start: string = JSON.parse(readFileSync("package.json", "utf8")).scripts.start;
      const flags = start.split(/\s+/).filter((word) => word.startsWith("--"));
      expect(flags).toContain("--max-old-space-size=128");
      expect(cmd).toEqual(["node", ...flags, "index.mjs"]);
      expect(server.child.exitCode).toBeNull();
    });
  });
});
