/**
 * The sweeper's rule (docs/delivery.md, "The sweeper"), as one pure decision: is a delivery (or slice) still
 * `sending` past its deadline, and what does its `error` say. `sweepDeliveries` and the tests call it.
 */

/** Whatever else a record holds, one still `sending` this long after its `createdAt` is past its deadline. */
export const SENDING_AT_MOST_MS = 60 * 60 * 1000;

/** What the rule reads of a delivery or slice doc that is still `sending`. */
export type SweepRecord = {
  kind: "delivery" | "slice";
  createdAtMs: number;
  sendStarted?: boolean | undefined;
  leaseExpiresAtMs?: number | undefined;
  /** Deliveries: sent through tasks (their slices end them). */
  fanOut?: "direct" | "tasks" | undefined;
  enqueueing?: boolean | undefined;
  /** Messages the run was sending (`tokens`), when known. */
  tokens?: number | undefined;
};

export type SweepDecision = { sweep: false } | { sweep: true; error: string; fateUnknown: boolean };

/**
 * - an hour after `createdAt`: past its deadline, whatever it holds;
 * - a direct delivery or a slice whose send started, once its lease ran out: the run that was sending died
 *   (timeout, out of memory, instance lost) without recording the end; nothing will ever end it, and the
 *   fate of its messages is unknown (some may have reached the devices);
 * - anything else is left alone: a run holds it, or a retry may still take it over (nothing was sent yet),
 *   or resume its enqueueing, or its slices are still ending it.
 */
export function decideSweep(record: SweepRecord, nowMs: number): SweepDecision {
  const what = record.kind === "slice" ? "slice" : "delivery";
  const started = record.sendStarted ?? true;
  const throughTasks = record.kind === "delivery" && record.fanOut === "tasks";
  const leaseOver = record.leaseExpiresAtMs !== undefined && nowMs >= record.leaseExpiresAtMs;
  if (started && !throughTasks && record.enqueueing !== true && leaseOver) {
    const messages = record.tokens === undefined ? "its messages" : `${record.tokens} messages`;
    return {
      sweep: true,
      fateUnknown: true,
      error: `swept: the run sending this ${what} stopped (crash, timeout or out of memory) without recording its end; the fate of ${messages} is unknown (each was sent at most once)`,
    };
  }
  if (nowMs - record.createdAtMs >= SENDING_AT_MOST_MS) {
    const why = throughTasks
      ? "its slices did not all end"
      : started
        ? "its run never recorded its end"
        : "nothing was sent: every run that took it failed or stopped before sending";
    return {
      sweep: true,
      fateUnknown: started,
      error: `swept: still sending an hour after it was created (${why})`,
    };
  }
  return { sweep: false };
}
