import { verifyStoredTable, violationCount } from "@dodeck/core/migration";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app.ts";
import { createTestStore, scanAll } from "../support/dynamo.ts";
import {
  type LegacyFixture,
  loadWireItems,
  readLegacyFixture,
  tokenUser,
} from "../support/legacy.ts";
import { expectAnswer, expectedAnswer, getAll, inListOrder, runMigrateCommand } from "./support.ts";

/**
 * The cutover, end to end: a table only the old service wrote, `npm run migrate` as an operator
 * runs it, then DoDeck answers every request the old service answered, differing only where
 * docs/migration.md says so. Driven by the fixture's content, not by knowledge of it.
 */
describe("migrating the old service's table (recorded sample)", () => {
  const fixture: LegacyFixture = readLegacyFixture();
  let app: TestApp;
  let first: { code: number; stdout: string };

  beforeAll(async () => {
    const store = await createTestStore("legacy");
    await loadWireItems(store.tableName, fixture.items);
    first = await runMigrateCommand(store.tableName);
    app = await createTestApp({ TABLE_NAME: store.tableName });
  }, 120_000);

  it("exits 0 and reports a table that verifies with 0 violations", () => {
    expect(first.stdout).toMatch(/migrated and verified/);
    // Every do the old service wrote gets the position reads derived for it.
    const dos = fixture.items.filter((item) => item.SK?.S?.startsWith("DO#")).length;
    expect(first.stdout).toMatch(new RegExp(`applied: [^\\n]* ${dos} do positions written`));
    expect(first.stdout).not.toMatch(/FAIL/);
    expect(first.code, first.stdout).toBe(0);
  });

  for (const [name, user] of Object.entries(fixture.users)) {
    const caller = tokenUser(user);
    const owned = () =>
      user.decks
        .filter((deck) => deck.role === "owner")
        .map((deck) => {
          const detail = deck.detail.body as { name: string; collaborators: string[] };
          return {
            deckId: deck.deckId,
            name: detail.name,
            isOwner: true,
            collaborators: detail.collaborators.length,
          };
        });

    it(`lists ${name}'s decks as the old service did`, async () => {
      for (const [variant, recorded] of Object.entries(user.list)) {
        const path = recorded.request.replace(/^GET /, "");
        let expected = expectedAnswer(recorded);
        // Deliberate: `mine` answered 500 in the old service (a bug), and a caller without an
        // email claim was refused every list; DoDeck lists their own decks.
        if (recorded.status === 500 || (variant !== "shared" && recorded.status === 403))
          expected = { status: 200, body: { items: inListOrder(owned()) } };
        expectAnswer(await getAll(app, caller, path), expected, `${name} ${recorded.request}`);
      }
    });

    it(`opens each of ${name}'s decks and lists its dos in the old order`, async () => {
      for (const deck of user.decks) {
        for (const recorded of [deck.detail, deck.dos]) {
          const path = recorded.request.replace(/^GET /, "");
          expectAnswer(
            await getAll(app, caller, path),
            expectedAnswer(recorded),
            `${name} ${deck.ref} ${recorded.request}`,
          );
        }
      }
    });
  }

  it("serves every migrated deck in a full sync (the deck and each do), then an empty delta", async () => {
    let synced = 0;
    for (const user of Object.values(fixture.users)) {
      const caller = tokenUser(user);
      for (const deck of user.decks) {
        if (deck.detail.status !== 200) continue;
        const path = `/v1/decks/${deck.deckId}`;
        const changes: { type: string; deck?: unknown; do?: { doId: string } }[] = [];
        let since = "";
        for (let more = true; more; ) {
          const reply = await app.call(caller, "GET", `${path}/changes?limit=100${since}`);
          expect(reply.status, `${deck.ref}: ${JSON.stringify(reply.body)}`).toBe(200);
          changes.push(...reply.body.changes);
          since = `&since=${reply.body.nextSince}`;
          more = reply.body.hasMore;
        }
        expect(changes[0]).toEqual({
          type: "deck.updated",
          deck: (await app.call(caller, "GET", path)).body,
        });
        const dos = (await getAll(app, caller, `${path}/dos`)).body as {
          items: { doId: string }[];
        };
        const byId = (items: { doId: string }[]) =>
          Object.fromEntries(items.map((item) => [item.doId, item]));
        expect(byId(changes.slice(1).map((change) => change.do!)), `${deck.ref}`).toEqual(
          byId(dos.items),
        );
        const idle = await app.call(caller, "GET", `${path}/changes?${since.slice(1)}`);
        expect({ status: idle.status, changes: idle.body.changes }).toEqual({
          status: 200,
          changes: [],
        });
        synced++;
      }
    }
    expect(synced).toBeGreaterThan(0);
  });

  it("answers the recorded probes (deleted, unknown and non-member reads)", async () => {
    for (const probe of fixture.probes) {
      const user = fixture.users[probe.user];
      expect(user, probe.user).toBeDefined();
      const path = probe.request.replace(/^GET /, "");
      expectAnswer(await getAll(app, tokenUser(user!), path), expectedAnswer(probe), probe.what);
    }
  });

  it("changes nothing when run again, and the table still verifies", async () => {
    const before = await scanAll(storeOf(app));
    const again = await runMigrateCommand(app.config.tableName);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(
      /planned: 0 decks converted, 0 access rows written, 0 stale access rows deleted, 0 orphan access rows deleted, 0 orphan dos deleted, 0 do positions written/,
    );
    expect(again.stdout).toMatch(/0 item writes in 0 transactions/);
    expect(await scanAll(storeOf(app))).toEqual(before);
    expect(violationCount(await verifyStoredTable(storeOf(app)))).toBe(0);
  });

  it("keeps legacy ids working for writes: rename, add, edit and delete", async () => {
    const owner = Object.values(fixture.users).find((user) =>
      user.decks.some(
        (deck) => deck.role === "owner" && (deck.dos.body as { items: unknown[] }).items.length > 0,
      ),
    );
    expect(owner).toBeDefined();
    const deck = owner!.decks.find(
      (d) => d.role === "owner" && (d.dos.body as { items: unknown[] }).items.length > 0,
    )!;
    const caller = tokenUser(owner!);
    const base = `/v1/decks/${deck.deckId}`;
    const dos = (deck.dos.body as { items: { doId: string }[] }).items;

    const renamed = await app.call(caller, "PATCH", base, { name: "Renamed after cutover" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ deckId: deck.deckId, name: "Renamed after cutover" });
    const edited = await app.call(caller, "PATCH", `${base}/dos/${dos[0]!.doId}`, {
      completed: true,
    });
    expect(edited).toMatchObject({ status: 200, body: { doId: dos[0]!.doId, completed: true } });
    const added = await app.call(caller, "POST", `${base}/dos`, { text: "Added by DoDeck" });
    expect(added.status).toBe(201);
    const listed = await getAll(app, caller, `${base}/dos`);
    const ids = (listed.body as { items: { doId: string }[] }).items.map((item) => item.doId);
    expect(ids).toEqual([...dos.map((item) => item.doId), (added.body as { doId: string }).doId]);
    expect((await app.call(caller, "DELETE", `${base}/dos/${dos[0]!.doId}`)).status).toBe(204);
    expect((await app.call(caller, "DELETE", base)).status).toBe(204);
    expect((await app.call(caller, "GET", base)).status).toBe(404);
    expect(violationCount(await verifyStoredTable(storeOf(app)))).toBe(0);
  });

  it("reads one legacy do by its UUID as the list shows it, and PATCHes it from version 1 to 2", async () => {
    // The last such deck: the test above deletes the first one.
    const owner = Object.values(fixture.users).findLast((user) =>
      user.decks.some(
        (deck) => deck.role === "owner" && (deck.dos.body as { items: unknown[] }).items.length > 1,
      ),
    )!;
    const deck = owner.decks.findLast(
      (d) => d.role === "owner" && (d.dos.body as { items: unknown[] }).items.length > 1,
    )!;
    const caller = tokenUser(owner);
    const listed = (await getAll(app, caller, `/v1/decks/${deck.deckId}/dos`)).body as {
      items: { doId: string }[];
    };
    const item = listed.items.at(-1)!;
    const path = `/v1/decks/${deck.deckId}/dos/${item.doId}`;
    const read = await app.call(caller, "GET", path);
    expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: item });
    const edited = await app.call(caller, "PATCH", path, { text: "Edited after cutover" });
    expect(edited.status).toBe(200);
    expect(await app.call(caller, "GET", path)).toMatchObject({ status: 200, body: edited.body });
    expect(violationCount(await verifyStoredTable(storeOf(app)))).toBe(0);
  });

  it("holds migrated decks and owners to the quotas with the counts the migration computed", async () => {
    const owner = Object.values(fixture.users).findLast((user) =>
      user.decks.some(
        (deck) => deck.role === "owner" && (deck.dos.body as { items: unknown[] }).items.length > 0,
      ),
    )!;
    const caller = tokenUser(owner);
    const deck = owner.decks.findLast(
      (d) => d.role === "owner" && (d.dos.body as { items: unknown[] }).items.length > 0,
    )!;
    const dos = (await getAll(app, caller, `/v1/decks/${deck.deckId}/dos`)).body as {
      items: { doId: string }[];
    };
    const mine = (await getAll(app, caller, "/v1/decks?visibility=mine")).body as {
      items: unknown[];
    };
    // The same table, served with quotas exactly at what the migrated data holds.
    const full = await createTestApp({
      TABLE_NAME: app.config.tableName,
      MAX_DOS_PER_DECK: String(dos.items.length),
      MAX_DECKS_PER_OWNER: String(mine.items.length),
    });
    const path = `/v1/decks/${deck.deckId}/dos`;
    const refused = await full.call(caller, "POST", path, { text: "over the quota" });
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 409,
      code: "do_limit",
    });
    const noDeck = await full.call(caller, "POST", "/v1/decks", { name: "over the quota" });
    expect({ status: noDeck.status, code: noDeck.body.code }).toEqual({
      status: 409,
      code: "deck_limit",
    });
    expect((await full.call(caller, "DELETE", `${path}/${dos.items[0]!.doId}`)).status).toBe(204);
    expect((await full.call(caller, "POST", path, { text: "in its place" })).status).toBe(201);
    expect(violationCount(await verifyStoredTable(storeOf(app)))).toBe(0);
  });
});

const storeOf = (app: TestApp) => ({ client: app.store.client, tableName: app.config.tableName });

describe("migrating into a new table with --from-table", () => {
  it("copies the old table into DoDeck's table, converts it there, and leaves the old table as it was", async () => {
    const fixture = readLegacyFixture();
    const old = await createTestStore("old");
    await loadWireItems(old.tableName, fixture.items);
    const before = await scanAll(old);
    const target = await createTestStore("new");

    const run = await runMigrateCommand(target.tableName, "--from-table", old.tableName);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`copied ${fixture.items.length} items from ${old.tableName}`);
    expect(run.stdout).toMatch(/migrated and verified/);
    expect(await scanAll(old)).toEqual(before);
    expect(violationCount(await verifyStoredTable(target))).toBe(0);

    // A second copy would resurrect whatever users delete after the cutover: refused.
    const deck = (await scanAll(target)).find((item) => item.SK === "DECK")!;
    const again = await runMigrateCommand(target.tableName, "--from-table", old.tableName);
    expect(again.code, again.stdout).toBe(2);
    expect(again.stdout).toContain("copying again would bring back what users deleted since");
    expect((await scanAll(target)).find((item) => item.PK === deck.PK)).toEqual(deck);
    const inPlace = await runMigrateCommand(target.tableName);
    expect(inPlace.code, inPlace.stdout).toBe(0);
    expect(inPlace.stdout).toMatch(/0 item writes in 0 transactions/);
  });
});
