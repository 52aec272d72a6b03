import { createDoDeckClient } from "@dodeck/client";

const dodeck = createDoDeckClient({
  baseUrl: "http://127.0.0.1:8080",
  token: process.env.DODECK_TOKEN ?? "",
});

const { data: deck, error } = await dodeck.POST("/v1/decks", { body: { name: "Groceries" } });
if (error) throw new Error(`${error.status} ${error.code}: ${error.detail}`); // code: typed per route
await dodeck.POST("/v1/decks/{deckId}/dos", {
  params: { path: { deckId: deck.deckId } },
  body: { text: "Oat milk" },
});
const { data: dos } = await dodeck.GET("/v1/decks/{deckId}/dos", {
  params: { path: { deckId: deck.deckId }, query: { limit: 10 } },
});
console.log(dos?.items.map((item) => item.text));
