/**
 * Installs SST's platform (.sst/platform: Pulumi SDK, AWS provider SDK, SST components)
 * when it is missing, using only the npm registry. Every other SST command downloads
 * Pulumi itself, which this network does not allow; `sst install` does not.
 *
 * Run it directly (`npm run sst:platform`) or call ensureSstPlatform() from tests. A
 * directory lock makes concurrent callers (parallel test files) wait for one install.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const platformDir = path.join(repoRoot, ".sst", "platform");

/** True when the platform matches the installed `sst` CLI and has what the tests load. */
export function platformReady(root = repoRoot): boolean {
  const platform = path.join(root, ".sst", "platform");
  const needed = [
    "config.d.ts",
    "src/components/index.ts",
    "src/auto/run.ts",
    "src/shim/run.js",
    "node_modules/@pulumi/pulumi/package.json",
    "node_modules/@pulumi/aws/package.json",
  ];
  if (!needed.every((file) => existsSync(path.join(platform, file)))) return false;
  const versionFile = path.join(platform, "version");
  if (!existsSync(versionFile)) return false;
  return readFileSync(versionFile, "utf8").trim() === sstVersion(root);
}

function sstVersion(root: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, "node_modules/sst/package.json"), "utf8"));
  return String(pkg.version);
}

export async function ensureSstPlatform(root = repoRoot): Promise<void> {
  if (platformReady(root)) return;
  const lock = path.join(root, ".sst", "platform-install.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  await acquire(lock);
  try {
    if (platformReady(root)) return; // another process installed it while we waited
    await install(root);
    if (!platformReady(root))
      throw new Error("sst install finished but .sst/platform is incomplete");
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // A lock older than the slowest install seen (~70 s) by a wide margin is a crash leftover.
      const age = Date.now() - statSafe(lock);
      if (age > 4 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function statSafe(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}

function install(root: string): Promise<void> {
  const bin = path.join(root, "node_modules", ".bin", "sst");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["install", "--stage", "platform"], {
      cwd: root,
      env: {
        ...process.env,
        // Offline-friendly: no dependency check against the registry, no Bun download,
        // no telemetry call home.
        SST_SKIP_DEPENDENCY_CHECK: "1",
        SST_NO_BUN: "1",
        SST_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`sst install exited ${code}:\n${output}`)),
    );
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const ready = platformReady();
  await ensureSstPlatform();
  console.log(
    ready
      ? "SST platform already installed in .sst/platform"
      : `SST platform installed in .sst/platform (${Math.round((Date.now() - started) / 1000)} s)`,
  );
}
