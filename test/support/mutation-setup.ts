import { beforeEach } from "vitest";
import { forgetBuiltValues } from "../../packages/api/src/once.ts";

/**
 * The mutation run shares one module cache across test files (vitest.mutation.config.ts), and
 * Stryker switches mutants on and off inside the loaded code. A schema built once and kept
 * would carry whichever mutant was on when it was built into every later test, and would be
 * built only by the first test that needed it, so Stryker would count only that test as
 * reaching its code. Each test builds what it uses again instead.
 */
beforeEach(() => {
  forgetBuiltValues();
});
