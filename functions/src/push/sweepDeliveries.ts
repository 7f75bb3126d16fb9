/**
 * One run of the sweeper (docs/delivery.md, "The sweeper"): every delivery and slice still `sending` past
 * its deadline (`decideSweep`) ended as `failed` with an `error` that says why, and one error-level log line
 * per sweep naming them, so an alert can be set on it.
 */
import { log } from "../log";
import { errorText } from "../shared/errorText";
import { decideSweep } from "./domain/sweep";
import type { SweepStore } from "./store/sweepStore";

export type SweepSummary = {
  /** Still `sending` and within their time: left alone. */
  left: number;
  /** `pushDeliveries/{eventId}` and `pushDeliveries/{eventId}/slices/{index}` ended as failed. */
  swept: string[];
  /** Deliveries through tasks that a swept slice ended. */
  deliveriesEnded: string[];
  /** Docs the sweep could not end (it carries on; the next sweep tries again). */
  errors: { path: string; error: string }[];
};

export type SweepDeps = {
  store: Pick<SweepStore, "sending" | "sweepDelivery" | "sweepSlice" | "endCounted">;
  /** Wall time, ms since the epoch. */
  now: () => number;
};

export async function sweepDeliveries(deps: SweepDeps): Promise<SweepSummary> {
  const summary: SweepSummary = { left: 0, swept: [], deliveriesEnded: [], errors: [] };
  for await (const page of deps.store.sending()) {
    for (const doc of page) {
      const now = deps.now();
      const path =
        doc.kind === "delivery"
          ? `pushDeliveries/${doc.eventId}`
          : `pushDeliveries/${doc.eventId}/slices/${doc.index}`;
      // A delivery through tasks whose slices are all counted ends from their counts, whatever its age:
      // its last slice counted itself but could not end it (sliceTally.ts).
      if (doc.kind === "delivery" && doc.record.fanOut === "tasks" && doc.record.enqueueing !== true) {
        try {
          if (await deps.store.endCounted(doc.eventId)) {
            summary.deliveriesEnded.push(path);
            continue;
          }
        } catch (error) {
          summary.errors.push({ path, error: errorText(error) });
          continue;
        }
      }
      if (!decideSweep(doc.record, now).sweep) {
        summary.left++;
        continue;
      }
      try {
        const result =
          doc.kind === "delivery"
            ? await deps.store.sweepDelivery(doc.eventId, now)
            : await deps.store.sweepSlice(doc.eventId, doc.index ?? -1, now);
        if (!result.swept) continue; // ended by its own run in between
        summary.swept.push(path);
        if (result.finished) summary.deliveriesEnded.push(`pushDeliveries/${doc.eventId}`);
      } catch (error) {
        summary.errors.push({ path, error: errorText(error) });
      }
    }
  }
  log.deliveriesSwept(summary);
  return summary;
}
