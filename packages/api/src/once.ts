/** What each value built by `once` needs to be built again on its next use. */
const forgetters: (() => void)[] = [];

/**
 * A value built on first use, then kept. The zod schemas are built this way: a cold start
 * builds none of them, and a request builds only those of its own route (docs/performance.md).
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  forgetters.push(() => {
    built = undefined;
  });
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

/**
 * Makes every `once` value build again on its next use. For test runs that share one module
 * cache across many tests (the mutation run, vitest.mutation.config.ts): there, a schema built
 * by an earlier test would hide a change to its code from every later one.
 */
export function forgetBuiltValues(): void {
  for (const forget of forgetters) forget();
}
