/**
 * The DynamoDB calls a route makes, as data: `npm run bench` measures each route against a
 * floor process (bench/floor-server.ts, raw SDK, no DoDeck code) making exactly these calls on
 * the same items of the same DynamoDB Local, so a route's CPU per request over its floor's is
 * DoDeck's own overhead. A route's list sits next to it in bench/http.ts; when a route's calls
 * change (docs/data-model.md "DynamoDB calls per route", asserted in
 * packages/api/test/dynamo-calls.db.test.ts), its list here changes with them.
 */

/** Items of the seeded data the calls address (bench/http.ts seeds them through the API). */
export type ItemName = "deck" | "do";
/**
 * Key ranges a Query reads: the deck's partition from the deck item through its dos (as
 * `deckAndDos` in packages/core/src/dos.ts), its change items, the owner's and the email's
 * access rows.
 */
export type PartitionName = "deck" | "changes" | "ownerAccess" | "emailAccess";

export type Action =
  /** The deck admits the caller (exists, not deleting, owner or collaborator). */
  | { kind: "ConditionCheck"; item: "deck" }
  /** A new item of a do's size, under `attribute_not_exists(PK)`. */
  | { kind: "Put"; item: "new" }
  /**
   * Conditioned on the item existing: a do gets a field, `updatedAt` and `version + 1` set; the
   * deck `updatedAt` and `version + 1` (e.g. a do write that bumps its deck).
   */
  | { kind: "Update"; item: ItemName };

export type Call =
  | { op: "GetItem"; item: ItemName }
  /** One strongly consistent BatchGetItem of these items' keys (a retry of unprocessed keys is not part of a floor: DynamoDB Local leaves none). */
  | { op: "BatchGetItem"; items: ItemName[] }
  /** Without a limit: the partition's first page (up to DynamoDB's 1 MB), as a whole-partition read makes. */
  | { op: "Query"; partition: PartitionName; limit?: number | undefined }
  | { op: "TransactWriteItems"; actions: Action[] };

/** Calls one after the other; a nested list runs its calls in parallel (Promise.all). */
export type Floor = (Call | Call[])[];

/** The ids the floor's calls address, from the seed. */
export type FloorIds = {
  deckId: string;
  /** GetItem/Update of "do" rotates over these, as the bench's PATCH and GET do requests do. */
  doIds: string[];
  ownerSub: string;
  email: string;
};

export const get = (item: ItemName): Call => ({ op: "GetItem", item });
export const batchGet = (...items: ItemName[]): Call => ({ op: "BatchGetItem", items });
export const query = (partition: PartitionName, limit?: number): Call => ({
  op: "Query",
  partition,
  limit,
});
export const transact = (...actions: Action[]): Call => ({ op: "TransactWriteItems", actions });
export const check = (): Action => ({ kind: "ConditionCheck", item: "deck" });
export const put = (): Action => ({ kind: "Put", item: "new" });
export const update = (item: ItemName): Action => ({ kind: "Update", item });

/** A floor's name, which is also its identity: "GetItem(deck) ‖ GetItem(do)", "BatchGet(deck, do)". */
export function floorName(floor: Floor): string {
  const one = (call: Call): string => {
    switch (call.op) {
      case "GetItem":
        return `GetItem(${call.item})`;
      case "BatchGetItem":
        return `BatchGet(${call.items.join(", ")})`;
      case "Query":
        return `Query(${call.partition}${call.limit === undefined ? "" : `, ≤${call.limit}`})`;
      case "TransactWriteItems":
        return `Transact(${call.actions.map((a) => `${a.kind} ${a.item}`).join(", ")})`;
    }
  };
  return floor
    .map((step) => (Array.isArray(step) ? step.map(one).join(" ‖ ") : one(step)))
    .join(" → ");
}
