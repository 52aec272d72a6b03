import { AppError } from "./errors.ts";
import type { Key } from "./keys.ts";

/**
 * Cursors are opaque to clients: base64url of the last key returned plus the list they belong
 * to. On the way back in, the key must lie in the partition the current request reads and the
 * cursor must come from a list with the same parameters; anything else is 422. So a cursor
 * cannot reach another caller's partition nor any item the caller could not list anyway.
 */
export type CursorState = { list: string; key: Key };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCursor(state: CursorState): string {
  const bytes = encoder.encode(JSON.stringify({ l: state.list, k: [state.key.PK, state.key.SK] }));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  // Stryker disable next-line Regex: equivalent, base64 has "=" only at its end.
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(
  cursor: string,
  expect: { list: string; partitions: readonly string[]; sortKeyPrefix: string },
): CursorState {
  const state = parse(cursor);
  if (
    state === undefined ||
    state.list !== expect.list ||
    !expect.partitions.includes(state.key.PK) ||
    !state.key.SK.startsWith(expect.sortKeyPrefix)
  ) {
    throw invalidCursor();
  }
  return state;
}

function parse(cursor: string): CursorState | undefined {
  if (cursor.length > 2_048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const raw: unknown = JSON.parse(decoder.decode(bytes));
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, null throws below (caught) and a primitive has no `l`.
    if (typeof raw !== "object" || raw === null) return undefined;
    const { l, k } = raw as { l?: unknown; k?: unknown };
    if (typeof l !== "string" || !Array.isArray(k) || k.length !== 2) return undefined;
    const [PK, SK] = k;
    // Stryker disable next-line ConditionalExpression: equivalent for PK, which must equal one of the expected (string) partitions.
    if (typeof PK !== "string" || typeof SK !== "string") return undefined;
    return { list: l, key: { PK, SK } };
  } catch /* Stryker disable next-line BlockStatement: equivalent, an empty catch returns undefined too */ {
    return undefined;
  }
}

function invalidCursor(): AppError {
  return new AppError("validation_failed", "The cursor is not valid for this list.", {
    errors: [{ path: "cursor", message: "Invalid cursor" }],
  });
}
