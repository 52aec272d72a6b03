export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured JSON lines on the console, which every runtime (Lambda, Node, workerd) collects. */
export function createLogger(
  minimum: LogLevel,
  write: (line: string) => void = console.log,
): Logger {
  return (level, message, fields = {}) => {
    if (rank[level] < rank[minimum]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  };
}
