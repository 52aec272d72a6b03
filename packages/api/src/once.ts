/**
 * A value built on first use, then kept. The zod schemas are built this way: a cold start
 * builds none of them, and a request builds only those of its own route (docs/performance.md).
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
