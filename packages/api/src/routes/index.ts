import { type NamedRoute, named } from "../route.ts";
import { deckRoutes } from "./decks.ts";
import { metaRoutes } from "./meta.ts";

/**
 * Every documented route, in document order: the one registry the app mounts from, the
 * OpenAPI document is built from, and tests sweep (401s, 405s, response validation).
 */
export const apiRoutes: NamedRoute[] = [...named(metaRoutes), ...named(deckRoutes)];
