/** One day in milliseconds (UTC days: the prune counts elapsed time, not calendar days). */
export const DAY_MS = 86_400_000;

/**
 * The instant before which a device counts as stale: `now - staleDays` days, in epoch milliseconds.
 *
 * The boundary is exclusive: a device is stale when its `lastSeenAt` is strictly earlier than the cutoff
 * (`lastSeenAt < cutoff`). With the default of 30 days, a device last seen exactly 30 days ago is kept,
 * and one seen a millisecond earlier is deleted. "Older than 30 days" means more than 30 days ago.
 */
export function staleCutoffMillis(nowMillis: number, staleDays: number): number {
  return nowMillis - staleDays * DAY_MS;
}
