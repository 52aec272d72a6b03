import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { createDynamoClient } from "./dynamo.ts";
import type { TestUser } from "./issuer.ts";
import { writeItems } from "./legacy-generator.ts";

/** A recorded answer of the old service. */
export type Recorded = { request: string; status: number; body: unknown };

type RecordedUser = {
  sub: string;
  emailClaim: string | null;
  list: Record<string, Recorded>;
  decks: { ref: string; deckId: string; role: string; detail: Recorded; dos: Recorded }[];
};

export type LegacyFixture = {
  dir: string;
  /** Items in DynamoDB's wire JSON, as a Scan returns them. */
  items: Record<string, AttributeValue>[];
  users: Record<string, RecordedUser>;
  probes: (Recorded & { user: string; what: string })[];
};

export const sampleDir = resolve(import.meta.dirname, "../fixtures/legacy-dev");

/** Reads a dataset in the layout of `test/fixtures/legacy-dev` (see its README). */
export function readLegacyFixture(dir = sampleDir): LegacyFixture {
  const items = JSON.parse(readFileSync(resolve(dir, "table.json"), "utf8"));
  const views = JSON.parse(readFileSync(resolve(dir, "views.json"), "utf8"));
  const log = readFileSync(resolve(dir, "script.log"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(
      (line) => JSON.parse(line) as { phase: string; user: string; method: string; path: string },
    );
  const probeUsers = log.filter((line) => line.phase === "probes");
  const probes = (views.probes as (Recorded & { what: string })[]).map((probe) => {
    const match = probeUsers.find((line) => `${line.method} ${line.path}` === probe.request);
    if (!match) throw new Error(`no user recorded for probe ${probe.request}`);
    return { ...probe, user: match.user };
  });
  return { dir, items, users: { ...views.users, ...views.prospectiveUsers }, probes };
}

/** The token identity of a recorded user: verified email claim when the old service had one. */
export function tokenUser(user: RecordedUser): TestUser {
  return user.emailClaim === null || user.emailClaim === undefined
    ? { sub: user.sub }
    : { sub: user.sub, email: user.emailClaim, emailVerified: true };
}

/** Writes wire-JSON items (a Scan's AttributeValues) to a table, through the document client. */
export async function loadWireItems(
  tableName: string,
  items: Record<string, AttributeValue>[],
): Promise<void> {
  const client = createDynamoClient();
  try {
    await writeItems(
      { client: DynamoDBDocumentClient.from(client), tableName },
      items.map((item) => unmarshall(item)),
    );
  } finally {
    client.destroy();
  }
}
