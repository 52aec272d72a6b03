/** Transport limits: what the HTTP layer accepts before any domain rule runs. */
export const transportLimits = {
  /** Request bodies (413 beyond); the largest valid body is a do text of 1000 characters. */
  bodyBytes: 16 * 1024,
  /** Seconds a client is told to wait when the table does not answer /readyz. */
  readyRetryAfterSeconds: 5,
} as const;
