/**
 * A run's lease (docs/delivery.md, "Leases"): the most its function may run, plus a margin, so a live run
 * is never taken over. Each kind's comes from its own function's timeout; a slice's from the slice task's.
 */
import { LEASE_MARGIN_SECONDS } from "../params";

export function leaseMsOf(runner: { timeoutSeconds: number }): number {
  return (runner.timeoutSeconds + LEASE_MARGIN_SECONDS) * 1000;
}
