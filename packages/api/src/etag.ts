import { AppError, type Precondition, versionOf } from "@dodeck/core";

/**
 * Entity tags (RFC 9110 §8.8.3) from the versions core keeps on decks and dos. They are strong:
 * every change of a resource bumps its version. A deck's detail differs by caller (`isOwner`),
 * so a collaborator's representation gets its own tag; a do's is the same for everyone.
 */
export function etagOf(result: object, kind: "do" | "deck"): string {
  const version = versionOf(result);
  if (version === undefined) throw new AppError("internal_error", "A result without a version.");
  const shared = kind === "deck" && (result as { isOwner?: boolean }).isOwner === false;
  return `"${version}${shared ? "-shared" : ""}"`;
}

const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g;

/**
 * If-Match as a precondition on the version: `*` matches any existing resource; otherwise the
 * strong tags this server issues for writers (`"<version>"`). Anything else, a weak tag
 * included (If-Match compares strongly), matches nothing, so the write answers 412.
 */
export function parseIfMatch(header: string | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === "*") return "any";
  const versions: number[] = [];
  // Stryker disable next-line StringLiteral: the group always takes part (it may match nothing); the default is for the type checker.
  for (const [, weak, opaque = ""] of header.matchAll(ENTITY_TAG)) {
    if (weak === undefined && /^[1-9]\d{0,14}$/.test(opaque)) versions.push(Number(opaque));
  }
  return versions;
}

/** If-None-Match on a read: true when a listed tag matches the current one (weakly) or `*`. */
export function notModified(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  return [...header.matchAll(ENTITY_TAG)].some(([, , opaque]) => `"${opaque}"` === etag);
}
