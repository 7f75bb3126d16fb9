// The scheduled token prune (docs/api.md, "Scheduled prune"): daily at 03:00 UTC. Run it on demand:
// locally, against `npm start`, `npm run prune`; in production,
// `gcloud scheduler jobs run firebase-schedule-pruneDevices-us-central1 --location=us-central1`. Re-running is harmless.
import { pruneSettingsParams } from "../params";
import { onSchedule, type ScheduledEvent } from "firebase-functions/v2/scheduler";
import { devicePruneStore } from "../devices/lazyDeviceStore";
import type { PruneSummary } from "../prune/prune";
import { PRUNE_TIMEOUT_SECONDS, runPrune, type PruneRunOptions } from "../prune/run";

/** One prune run with the params' settings; `options` replaces the store or the clock (tests). */
export async function handlePruneDevices(
  event: ScheduledEvent,
  options: Partial<PruneRunOptions> = {},
): Promise<PruneSummary> {
  const store = options.store ?? (await devicePruneStore());
  return runPrune(pruneSettingsParams(), event, { ...options, store });
}

export const pruneDevices = onSchedule(
  {
    schedule: "every day 03:00",
    timeZone: "Etc/UTC",
    timeoutSeconds: PRUNE_TIMEOUT_SECONDS,
    // A run holds at most two pages of projected documents plus BulkWriter's queue: its memory does not grow
    // with the table (bench/prune.bench.mjs; docs/performance.md). The global 512MiB is over three times it.
    // One run at a time: two would double the write rate PRUNE_MAX_WRITES_PER_SECOND caps.
    maxInstances: 1,
  },
  async (event) => {
    await handlePruneDevices(event);
  },
);
