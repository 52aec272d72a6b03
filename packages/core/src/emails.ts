/**
 * How DoDeck compares email addresses: trimmed, with only ASCII `A`–`Z` lower-cased.
 * `toLowerCase()` would map look-alikes such as the Kelvin sign (U+212A) to `k`, so a token for
 * "\u212Aate@example.com" would open decks shared with "kate@example.com".
 */
export function normalizeEmail(email: string): string {
  return email.trim().replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
