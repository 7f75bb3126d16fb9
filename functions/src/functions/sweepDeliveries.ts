// The scheduled sweeper (docs/delivery.md, "The sweeper"): every 10 minutes, ends every delivery and slice
// still `sending` past its deadline as failed, and logs one error line naming them. Run it on demand in the
// emulator: POST http://127.0.0.1:5001/demo-push/us-central1/sweepDeliveries-0. Re-running is harmless.
import { deliveryLeaseMs } from "../params";
import { onSchedule, type ScheduledEvent } from "firebase-functions/v2/scheduler";
import type { SweepDeps, SweepSummary } from "../push/sweepDeliveries";
import { lazyFirestore } from "../shared/lazyFirestore";

/** One sweep; `deps` replaces the store or the clock (tests). */
export async function handleSweepDeliveries(
  _event: ScheduledEvent,
  deps: Partial<SweepDeps> = {},
): Promise<SweepSummary> {
  const [{ sweepDeliveries }, store] = await Promise.all([
    import("../push/sweepDeliveries"),
    deps.store ??
      Promise.all([
        lazyFirestore(),
        import("../push/store/sweepStore"),
        import("../push/store/deliveryStore"),
      ]).then(([db, { SweepStore }, { DeliveryStore, MAX_GATE_ATTEMPTS }]) => {
        const deliveries = new DeliveryStore(db, {
          maxAttempts: MAX_GATE_ATTEMPTS,
          leaseMs: deliveryLeaseMs(),
        });
        return new SweepStore(db, deliveries);
      }),
  ]);
  return sweepDeliveries({ store, now: deps.now ?? Date.now });
}

export const sweepDeliveries = onSchedule(
  {
    schedule: "every 10 minutes",
    timeZone: "Etc/UTC",
    timeoutSeconds: 300,
    // One sweep at a time: two would only race for the same docs (each end is a transaction anyway).
    maxInstances: 1,
  },
  async (event) => {
    await handleSweepDeliveries(event);
  },
);
