// The scheduled token prune (CONTRACT "Scheduled prune"). Daily at 03:00 UTC it deletes every device not
// seen for more than TOKEN_STALE_DAYS and every device FCM rejected, a page at a time, through a
// throttled BulkWriter, each delete preconditioned on the update time it was read with.
//
// Run it on demand:
// - locally, against `npm start`: `npm run prune` (a POST to the emulator's `pruneDevices-0` URL);
// - in production: `gcloud scheduler jobs run firebase-schedule-pruneDevices-us-central1 --location=us-central1`
//   (or "Force run" on that job in the Cloud Scheduler console). Re-running is harmless.
import { defineInt } from "firebase-functions/params";
import { onSchedule, type ScheduledEvent } from "firebase-functions/v2/scheduler";
import type { DeviceStore, PrunableDevice } from "./devices/deviceStore";
import { log } from "./log";
import { staleCutoffMillis } from "./prune/cutoff";
import { prune, type PruneReason, type PruneSummary } from "./prune/prune";
import { pageSizeFor, parsePruneSettings } from "./prune/settings";
import { deviceStore } from "./stores";

const TOKEN_STALE_DAYS = defineInt("TOKEN_STALE_DAYS", {
  default: 30,
  description:
    "Days without a registerDevice call after which a device token is stale and deleted by the daily prune (1..365).",
});

const PRUNE_MAX_WRITES_PER_SECOND = defineInt("PRUNE_MAX_WRITES_PER_SECOND", {
  default: 500,
  description:
    "Deletes per second the prune may send (BulkWriter throttling, 1..10000). The default, 500, is the starting " +
    "rate of Firestore's 500/50/5 guidance and leaves the devices collection to live traffic; raise it to clear a backlog.",
});

/**
 * 1800 s is the longest a v2 schedule may run (Cloud Scheduler's attempt deadline for it is capped there).
 * At the default 500 deletes/s that is ~840,000 deletes per run, far more than a day's worth of newly stale
 * devices; a larger backlog is finished by the following runs, since each stops reading at its budget.
 */
const TIMEOUT_SECONDS = 1800;
/** Stop reading a minute before the timeout: the at most two pages in flight need ~2 s at any rate. */
const BUDGET_MS = (TIMEOUT_SECONDS - 60) * 1000;

export type PruneDevicesOptions = {
  /** The clock the cutoff is computed from (epoch ms). */
  now?: () => number;
  store?: DeviceStore;
  /** Called after each page is read, before its deletes are sent (tests use it to race a re-registration). */
  onPageRead?: (reason: PruneReason, deviceIds: string[]) => Promise<void> | void;
};

/** One prune run; resolves to what it did, or throws (after logging) when the settings or any delete failed. */
export async function handlePruneDevices(
  event: ScheduledEvent,
  options: PruneDevicesOptions = {},
): Promise<PruneSummary> {
  const raw = {
    staleDays: TOKEN_STALE_DAYS.value(),
    maxWritesPerSecond: PRUNE_MAX_WRITES_PER_SECOND.value(),
  };
  const parsed = parsePruneSettings(raw);
  if (!parsed.ok) {
    log.pruneSettingsInvalid({ problem: parsed.problem, ...raw });
    throw new Error(`pruneDevices not run: ${parsed.problem}`);
  }
  const { staleDays, maxWritesPerSecond } = parsed.settings;

  const started = performance.now();
  const cutoffMillis = staleCutoffMillis((options.now ?? Date.now)(), staleDays);
  const cutoff = new Date(cutoffMillis).toISOString();
  log.pruneStarted({
    staleDays,
    cutoff,
    maxWritesPerSecond,
    scheduleTime: event.scheduleTime,
    jobName: event.jobName ?? null,
  });

  const store = options.store ?? (await deviceStore());
  const deleter = store.deleter(maxWritesPerSecond);
  let summary: PruneSummary;
  try {
    summary = await prune<PrunableDevice>({
      sources: [
        { reason: "rejected", page: (after, limit) => store.rejectedPage(after, limit) },
        { reason: "stale", page: (after, limit) => store.stalePage(cutoffMillis, after, limit) },
      ],
      deleteUnchanged: (page) => deleter.deleteUnchanged(page),
      pageSize: pageSizeFor(maxWritesPerSecond),
      elapsedMs: () => performance.now() - started,
      budgetMs: BUDGET_MS,
      ...(options.onPageRead ? { onPageRead: options.onPageRead } : {}),
    });
  } finally {
    await deleter.close();
  }

  const { failures, ...counts } = summary;
  log.devicesPruned({ ...counts, cutoff });
  if (summary.truncated) log.pruneTruncated({ budgetMs: BUDGET_MS, pages: summary.pages });
  if (summary.failed > 0) {
    log.pruneDeletesFailed({ failed: summary.failed, samples: failures });
    throw new Error(`pruneDevices: ${summary.failed} deletes failed`);
  }
  return summary;
}

export const pruneDevices = onSchedule(
  {
    schedule: "every day 03:00",
    timeZone: "Etc/UTC",
    timeoutSeconds: TIMEOUT_SECONDS,
    // A run holds at most two pages of projected documents (ids and lastSeenAt, no tokens) plus BulkWriter's
    // queue, so its memory does not grow with the table: bench/prune.bench.mjs measured a peak RSS of
    // 141-149 MiB (V8 heap 62-69 MiB) both at 20,000 and at 200,000 stale devices. 512MiB is over three times
    // that, for the Functions framework beside it, and comes with a third of a vCPU for BulkWriter's encoding.
    memory: "512MiB",
    // One run at a time: two would double the write rate PRUNE_MAX_WRITES_PER_SECOND caps.
    maxInstances: 1,
  },
  async (event) => {
    await handlePruneDevices(event);
  },
);
