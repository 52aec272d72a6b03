import type * as core from "@dodeck/core";
import { describe, expectTypeOf, it } from "vitest";
import type * as z from "zod";
import type * as schemas from "../src/schemas.ts";

// Core's result types are the domain's; the documented response schemas are the wire's. The
// handlers already fail to compile when core returns something the schema does not allow;
// these assertions catch drift the other way (a field documented but never produced).
describe("documented response schemas and core's result types", () => {
  it("are the same shapes", () => {
    expectTypeOf<
      z.output<ReturnType<typeof schemas.DeckDetail>>
    >().toEqualTypeOf<core.DeckDetail>();
    expectTypeOf<
      z.output<ReturnType<typeof schemas.DeckSummary>>
    >().toEqualTypeOf<core.DeckSummary>();
    expectTypeOf<z.output<ReturnType<typeof schemas.Do>>>().toEqualTypeOf<core.Do>();
    expectTypeOf<z.output<ReturnType<typeof schemas.DoPage>>>().toEqualTypeOf<core.Page<core.Do>>();
    expectTypeOf<z.output<ReturnType<typeof schemas.DeckSummaryPage>>>().toEqualTypeOf<
      core.Page<core.DeckSummary>
    >();
  });
});
