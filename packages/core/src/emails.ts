/**
 * How DoDeck compares email addresses: trimmed, with only ASCII `A`–`Z` lower-cased.
 * `toLowerCase()` would map look-alikes such as the Kelvin sign (U+212A) to `k`, so a token for
 * "\u212Aate@example.com" would open decks shared with "kate@example.com".
 */
export function normalizeEmail(email: string): string {
  // Stryker disable next-line Regex: equivalent, one letter at a time lowers the same.
  return email.trim().replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

// RFC 5322 dot-atom local part and a dotted domain, both allowing non-ASCII (RFC 6531), as the
// old service's validator (pydantic EmailStr) did: "a#b@example.com" and "zoë@example.com" are
// addresses people share decks with.
const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uFFFF-]";
const label =
  "[A-Za-z0-9\\u0080-\\uFFFF](?:[A-Za-z0-9\\u0080-\\uFFFF-]*[A-Za-z0-9\\u0080-\\uFFFF])?";

/** What DoDeck accepts as a collaborator's address (after trimming; at most 254 characters). */
export const emailPattern = new RegExp(`^${atext}+(?:\\.${atext}+)*@${label}(?:\\.${label})+$`);
