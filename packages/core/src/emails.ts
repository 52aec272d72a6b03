/**
 * How DoDeck compares email addresses: trimmed, case-insensitive, without look-alikes.
 * Plain `toLowerCase()` maps symbols that only look like letters onto letters: the Kelvin sign
 * (U+212A) becomes "k", so a token for "\u212Aate@example.com" would open decks shared with
 * "kate@example.com". So a capital is lowered only when it and its lower case are one exact
 * pair (A/a, É/é, Ж/ж); the Kelvin, Ångström (U+212B) and Ohm (U+2126) signs, and capitals whose
 * lower case is several characters (İ), stay as they are and match nothing else. Accented
 * capitals are still lowered because the old service stored every address with Python's full
 * lowering: "Émile@Example.com" must keep matching a deck it shared with "émile@example.com".
 */
export function normalizeEmail(email: string): string {
  let normalized = "";
  for (const char of email.trim()) normalized += lowerIfExactPair(char);
  return normalized;
}

function lowerIfExactPair(char: string): string {
  const lower = char.toLowerCase();
  // Kept as it is: a lower-case letter ("a" turns back into "A") or a look-alike (the Kelvin
  // sign's "k" turns back into "K"). Capitals of an exact pair, and caseless characters, go on.
  if (lower.toUpperCase() !== char) return char;
  // Stryker disable next-line ConditionalExpression: equivalent today, no code point's several-character lower case turns back into it (checked over all of Unicode); a guard for later Unicode versions.
  return [...lower].length === 1 ? lower : char;
}

// RFC 5322 dot-atom local part and a dotted domain, both allowing non-ASCII (RFC 6531), as the
// old service's validator (pydantic EmailStr) did: "a#b@example.com" and "zoë@example.com" are
// addresses people share decks with.
const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uFFFF-]";
const label =
  "[A-Za-z0-9\\u0080-\\uFFFF](?:[A-Za-z0-9\\u0080-\\uFFFF-]*[A-Za-z0-9\\u0080-\\uFFFF])?";

/** What DoDeck accepts as a collaborator's address (after trimming; at most 254 characters). */
export const emailPattern = new RegExp(`^${atext}+(?:\\.${atext}+)*@${label}(?:\\.${label})+$`);
