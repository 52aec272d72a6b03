/**
 * The wait before the n-th retry of a write that lost a race on one deck or do (a
 * TransactionConflict, or an item changed since it was read): jittered, so racing writers do
 * not meet again, and short, as contention on one item is brief.
 */
export function contentionPause(attempt: number): Promise<void> {
  // Stryker disable next-line ArithmeticOperator: equivalent, only the wait before the retry changes, never whether it comes.
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * attempt));
}
