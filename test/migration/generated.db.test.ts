import { canonicalTimestamp, limits } from "@dodeck/core";
import { migrateTable, verifyStoredTable, violationCount } from "@dodeck/core/migration";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { scanAll } from "../support/dynamo.ts";
import type { TestUser } from "../support/issuer.ts";
import {
  type Debris,
  generatedDeck,
  type LegacyDeck,
  legacyItems,
  seeded,
  writeItems,
} from "../support/legacy-generator.ts";
import { getAll, inListOrder, runMigrateCommand } from "./support.ts";

const owners = {
  hash: { sub: "auth0|gen#hash", email: "owner#1@example.com" },
  plain: { sub: "auth0|gen-plain", email: "plain.owner@example.com" },
  noEmail: { sub: "google-oauth2|1234567890" },
} satisfies Record<string, TestUser>;
const collaborators = {
  zoe: { sub: "auth0|zoe", email: "zoë@example.com" },
  hash: { sub: "auth0|hash", email: "a#b@example.com" },
  plus: { sub: "auth0|plus", email: "Mixed+Tag@Example.com" },
} satisfies Record<string, TestUser>;
const stored = (user: TestUser) => user.email!.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The old service's order of dos: by instant (to the microsecond), ties in key order. */
function oldOrder(deck: LegacyDeck): string[] {
  const micros = (ts: string) => {
    const fraction = /\.(\d+)/.exec(ts)?.[1] ?? "";
    const whole = Date.parse(ts.replace(/\.\d+/, "").replace("+00:00", "Z"));
    return BigInt(whole) * 1000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
  };
  return [...deck.dos]
    .sort((a, b) => {
      const d = micros(a.createdAt) - micros(b.createdAt);
      if (d !== 0n) return d < 0n ? -1 : 1;
      return Buffer.compare(Buffer.from(`DO#${a.doId}`), Buffer.from(`DO#${b.doId}`));
    })
    .map((item) => item.doId);
}

describe("migrating a generated legacy table with production debris", () => {
  const random = seeded(20261130);
  const decks: LegacyDeck[] = [
    generatedDeck(
      random,
      {
        ownerSub: owners.hash.sub,
        name: "Go#Team ##",
        collaborators: [stored(collaborators.zoe), stored(collaborators.hash)],
      },
      75,
    ),
    generatedDeck(random, { ownerSub: owners.hash.sub, name: "Go", collaborators: [] }, 3),
    generatedDeck(
      random,
      { ownerSub: owners.hash.sub, name: "Go home", collaborators: [stored(collaborators.plus)] },
      0,
    ),
    // The old service's Python lowering and DoDeck's differ for some names: the row key follows DoDeck.
    generatedDeck(
      random,
      {
        ownerSub: owners.plain.sub,
        name: "Straße",
        nameLower: "strasse",
        collaborators: [stored(collaborators.hash)],
      },
      12,
    ),
    generatedDeck(
      random,
      { ownerSub: owners.plain.sub, name: "ΣΊΣΥΦΟΣ & Ärger", collaborators: [] },
      1,
    ),
    generatedDeck(
      random,
      {
        ownerSub: owners.noEmail.sub,
        name: "Crowded",
        collaborators: Array.from(
          { length: limits.maxCollaborators + 12 },
          (_, i) => `guest${i}@example.com`,
        ),
      },
      4,
    ),
  ];
  const gone = generatedDeck(
    random,
    {
      ownerSub: owners.plain.sub,
      name: "Deleted halfway",
      collaborators: [stored(collaborators.zoe)],
    },
    30,
  );
  const debris: Debris = {
    staleOwnerNames: [
      { deckId: decks[0]!.deckId, ownerSub: owners.hash.sub, formerName: "Old name" },
      { deckId: decks[0]!.deckId, ownerSub: owners.hash.sub, formerName: "Older name" },
    ],
    staleCollaborators: [{ deckId: decks[3]!.deckId, email: "removed@example.com" }],
    deletedDecks: [gone],
  };
  let app: TestApp;
  let dodeckDeck: { deckId: string };
  let dodeckItemsBefore: unknown[];
  let output: string;

  beforeAll(async () => {
    app = await createTestApp();
    // A mixed table: a deck DoDeck already wrote must come through untouched.
    dodeckDeck = (await app.call(owners.plain, "POST", "/v1/decks", { name: "Made by DoDeck" }))
      .body as { deckId: string };
    await app.call(owners.plain, "POST", `/v1/decks/${dodeckDeck.deckId}/collaborators`, {
      email: collaborators.zoe.email,
    });
    await app.call(collaborators.zoe, "POST", `/v1/decks/${dodeckDeck.deckId}/dos`, {
      text: "New style",
    });
    dodeckItemsBefore = (await scanAll(app.store)).filter((item) =>
      JSON.stringify(item).includes(dodeckDeck.deckId),
    );
    await writeItems(app.store, legacyItems(decks, debris));
    const run = await runMigrateCommand(app.store.tableName, "--max-writes-per-second", "500");
    output = run.stdout;
    expect(run.code, output).toBe(0);
  }, 120_000);

  it("reports the debris it removed and the decks it could not fully fit, and verifies", () => {
    expect(output).toMatch(/6 decks converted/);
    // Two owner rows under former names, a removed collaborator's row, and the two rows of
    // "Straße" that the old service keyed by a different lowering.
    expect(output).toMatch(/5 stale access rows deleted/);
    expect(output).toMatch(/2 orphan access rows deleted, 30 orphan dos deleted/);
    // Every do of a live deck the old service wrote (75 + 3 + 12 + 1 + 4); DoDeck's has one.
    expect(output).toMatch(/applied: [^\n]* 95 do positions written/);
    expect(output).toMatch(/decks over the collaborator bound \(48\)[^\n]*: 1/);
    expect(output).toMatch(/dos with empty text[^\n]*: 4/);
    expect(output).not.toMatch(/FAIL/);
  });

  it("leaves nothing of debris in the table and leaves DoDeck's own deck as it was", async () => {
    const items = await scanAll(app.store);
    expect(items.filter((item) => JSON.stringify(item).includes(gone.deckId))).toEqual([]);
    expect(items.filter((item) => String(item.SK).startsWith("DECK#old"))).toEqual([]);
    expect(items.filter((item) => String(item.PK) === "ACCESS#EMAIL#removed@example.com")).toEqual(
      [],
    );
    expect(items.filter((item) => JSON.stringify(item).includes(dodeckDeck.deckId))).toEqual(
      dodeckItemsBefore,
    );
    expect(violationCount(await verifyStoredTable(app.store))).toBe(0);
  });

  it("lists each owner's and collaborator's decks with names, counts and DoDeck's order", async () => {
    const summary = (deck: LegacyDeck, isOwner: boolean) => ({
      deckId: deck.deckId,
      name: deck.name,
      isOwner,
      collaborators: deck.collaborators.length,
    });
    for (const owner of Object.values(owners)) {
      const mine = decks
        .filter((deck) => deck.ownerSub === owner.sub)
        .map((deck) => summary(deck, true));
      if (owner === owners.plain)
        mine.push({
          deckId: dodeckDeck.deckId,
          name: "Made by DoDeck",
          isOwner: true,
          collaborators: 1,
        });
      const listed = await getAll(app, owner, "/v1/decks?visibility=mine");
      expect(listed.body, owner.sub).toEqual({ items: inListOrder(mine) });
    }
    for (const user of Object.values(collaborators)) {
      const shared = decks
        .filter((deck) => deck.collaborators.includes(stored(user)))
        .map((deck) => summary(deck, false));
      const extra =
        user === collaborators.zoe
          ? [
              {
                deckId: dodeckDeck.deckId,
                name: "Made by DoDeck",
                isOwner: false,
                collaborators: 1,
              },
            ]
          : [];
      const listed = await getAll(app, user, "/v1/decks?visibility=shared");
      expect(listed.body, user.email).toEqual({ items: inListOrder([...shared, ...extra]) });
    }
    const found = await getAll(app, owners.hash, `/v1/decks?search=${encodeURIComponent("go#")}`);
    expect((found.body as { items: { name: string }[] }).items.map((item) => item.name)).toEqual([
      "Go#Team ##",
    ]);
  });

  it("opens every deck and lists its dos in creation order, page by page, in one timestamp format", async () => {
    for (const deck of decks) {
      const owner = Object.values(owners).find((user) => user.sub === deck.ownerSub)!;
      const detail = await app.call(owner, "GET", `/v1/decks/${deck.deckId}`);
      expect(detail.body).toEqual({
        deckId: deck.deckId,
        name: deck.name,
        isOwner: true,
        ownerSub: deck.ownerSub,
        collaborators: [...deck.collaborators].sort(),
        createdAt: canonicalTimestamp(deck.createdAt),
        updatedAt: canonicalTimestamp(deck.updatedAt),
      });
      expect(detail.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      for (const limit of [7, 100]) {
        const listed = await getAll(app, owner, `/v1/decks/${deck.deckId}/dos?limit=${limit}`);
        const items = (
          listed.body as { items: { doId: string; text: string; createdAt: string }[] }
        ).items;
        expect(
          items.map((item) => item.doId),
          `${deck.name} limit ${limit}`,
        ).toEqual(oldOrder(deck));
        for (const item of items) expect(item.createdAt).toMatch(/\.\d{3}Z$/);
      }
    }
  });

  it("keeps a deck shared beyond the bound usable: dos and unsharing work, renames answer 409", async () => {
    const crowded = decks[5]!;
    const base = `/v1/decks/${crowded.deckId}`;
    expect(
      (await app.call(owners.noEmail, "POST", `${base}/dos`, { text: "Still works" })).status,
    ).toBe(201);
    const guest = { sub: "auth0|guest0", email: crowded.collaborators[0]! };
    expect((await app.call(guest, "GET", base)).status).toBe(200);
    const rename = await app.call(owners.noEmail, "PATCH", base, { name: "Renamed" });
    expect(rename).toMatchObject({ status: 409, body: { code: "collaborator_limit" } });
    const share = await app.call(owners.noEmail, "POST", `${base}/collaborators`, {
      email: "one.more@example.com",
    });
    expect(share).toMatchObject({ status: 409, body: { code: "collaborator_limit" } });
    expect(
      (
        await app.call(
          owners.noEmail,
          "DELETE",
          `${base}/collaborators/${crowded.collaborators[0]}`,
        )
      ).status,
    ).toBe(204);
    expect((await app.call(guest, "GET", base)).status).toBe(404);
    expect(violationCount(await verifyStoredTable(app.store))).toBe(0);
  });

  it("changes nothing when run again", async () => {
    const before = await scanAll(app.store);
    const report = await migrateTable(app.store);
    expect(report.writes).toBe(0);
    expect(report.planned).toEqual({});
    expect(await scanAll(app.store)).toEqual(before);
  });
});
