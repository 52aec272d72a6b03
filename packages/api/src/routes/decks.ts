import type { DeckService, DoService } from "@dodeck/core";
import { Hono } from "hono";
import { type AppEnv, jsonBody, validate } from "../middleware.ts";
import {
  CreateDeckBody,
  CreateDoBody,
  ListDecksQuery,
  ListDosQuery,
  RenameDeckBody,
  ShareDeckBody,
  UpdateDoBody,
} from "../schemas.ts";

/** Each handler reads validated input, calls one core function and maps the result. */
export function deckRoutes(decks: DeckService, dos: DoService) {
  return new Hono<AppEnv>()
    .post("/", jsonBody(), validate("json", CreateDeckBody), async (c) =>
      c.json(await decks.create(c.var.caller, c.req.valid("json")), 201),
    )
    .get("/", validate("query", ListDecksQuery), async (c) =>
      c.json(await decks.list(c.var.caller, c.req.valid("query"))),
    )
    .get("/:deckId", async (c) => c.json(await decks.get(c.var.caller, c.req.param("deckId"))))
    .patch("/:deckId", jsonBody(), validate("json", RenameDeckBody), async (c) =>
      c.json(await decks.rename(c.var.caller, c.req.param("deckId"), c.req.valid("json"))),
    )
    .delete("/:deckId", async (c) => {
      await decks.remove(c.var.caller, c.req.param("deckId"));
      return c.body(null, 204);
    })
    .post("/:deckId/collaborators", jsonBody(), validate("json", ShareDeckBody), async (c) =>
      c.json(await decks.share(c.var.caller, c.req.param("deckId"), c.req.valid("json")), 201),
    )
    .delete("/:deckId/collaborators/:email", async (c) => {
      await decks.unshare(c.var.caller, c.req.param("deckId"), c.req.param("email"));
      return c.body(null, 204);
    })
    .get("/:deckId/dos", validate("query", ListDosQuery), async (c) =>
      c.json(await dos.list(c.var.caller, c.req.param("deckId"), c.req.valid("query"))),
    )
    .post("/:deckId/dos", jsonBody(), validate("json", CreateDoBody), async (c) =>
      c.json(await dos.create(c.var.caller, c.req.param("deckId"), c.req.valid("json")), 201),
    )
    .patch("/:deckId/dos/:doId", jsonBody(), validate("json", UpdateDoBody), async (c) =>
      c.json(
        await dos.update(
          c.var.caller,
          c.req.param("deckId"),
          c.req.param("doId"),
          c.req.valid("json"),
        ),
      ),
    )
    .delete("/:deckId/dos/:doId", async (c) => {
      await dos.remove(c.var.caller, c.req.param("deckId"), c.req.param("doId"));
      return c.body(null, 204);
    });
}
