/**
 * The credential breaker's rule (docs/delivery.md, "The credential breaker"): FCM answers and
 * `mismatched-credential` answers are counted per window for the whole project, across deliveries; when
 * mismatches dominate the current and the previous window together (a rolling view), the server's
 * configuration is the likely cause, and no token is marked rejected for a sender-id mismatch anywhere.
 * The per-delivery mass-rejection guard (deliver.ts) needs 10 messages in one delivery; the breaker also
 * catches a stream of small ones.
 */

export type BreakerSettings = {
  /** Length of a window, in ms. */
  windowMs: number;
  /** Answers the counted windows must hold before mismatches can open the breaker. */
  minAnswers: number;
  /** Opens when more than this share of the answers were mismatched-credential. */
  share: number;
};

export type BreakerCounts = { answers: number; mismatches: number };

/** The start of the window `nowMs` falls in (ms since the epoch). */
export function windowStartOf(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

/** The windows the breaker reads at `nowMs`: the current one and the one before. */
export function windowsRead(nowMs: number, windowMs: number): [number, number] {
  const current = windowStartOf(nowMs, windowMs);
  return [current, current - windowMs];
}

/** Whether the breaker is open over `counts` (the read windows' sums). */
export function breakerOpen(counts: BreakerCounts, settings: BreakerSettings): boolean {
  return counts.answers >= settings.minAnswers && counts.mismatches > settings.share * counts.answers;
}
