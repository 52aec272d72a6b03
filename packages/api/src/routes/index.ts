import type { RouteDefinition } from "../route.ts";
import { deckRoutes } from "./decks.ts";
import { metaRoutes } from "./meta.ts";

/**
 * Every documented route, in document order: the one registry the app mounts from, the
 * OpenAPI document is built from, and tests sweep (401s, 405s, response validation).
 */
export const apiRoutes: RouteDefinition[] = [
  ...Object.values(metaRoutes),
  ...Object.values(deckRoutes),
];
