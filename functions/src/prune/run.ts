/**
 * One run of the daily prune (docs/api.md, "Scheduled prune"): every device not seen for more than
 * `staleDays` and every device FCM rejected, deleted a page at a time through a throttled BulkWriter, each
 * delete preconditioned on the update time it was read with.
 */
import type { DevicePruneStore, PrunableDevice } from "../devices/devicePruneStore";
import { log } from "../log";
import { staleCutoffMillis } from "./cutoff";
import { prune, type PruneReason, type PruneSummary } from "./prune";
import { pageSizeFor, parsePruneSettings, type PruneSettings } from "./settings";

/**
 * 1800 s is the longest a v2 schedule may run (Cloud Scheduler's attempt deadline for it is capped there).
 * At the default 500 deletes/s that is ~840,000 deletes per run, far more than a day's worth of newly stale
 * devices; a larger backlog is finished by the following runs, since each stops reading at its budget.
 */
export const PRUNE_TIMEOUT_SECONDS = 1800;
/** Stop reading a minute before the timeout: the at most two pages in flight need ~2 s at any rate. */
const BUDGET_MS = (PRUNE_TIMEOUT_SECONDS - 60) * 1000;

export type PruneRunOptions = {
  /** The clock the cutoff is computed from (epoch ms). */
  now?: () => number;
  store: DevicePruneStore;
  /** Called after each page is read, before its deletes are sent (tests use it to race a re-registration). */
  onPageRead?: (reason: PruneReason, deviceIds: string[]) => Promise<void> | void;
};

/** What started the run, for its first log line. */
export type PruneTrigger = { scheduleTime: string; jobName?: string | undefined };

/** One prune run; resolves to what it did, or throws (after logging) when the settings or any delete failed. */
export async function runPrune(
  raw: PruneSettings,
  trigger: PruneTrigger,
  options: PruneRunOptions,
): Promise<PruneSummary> {
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
    scheduleTime: trigger.scheduleTime,
    jobName: trigger.jobName ?? null,
  });

  const { store } = options;
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
