import { logger } from "firebase-functions/logger";

/** Log events of the scheduled prune. */
export const pruneLog = {
  pruneSettingsInvalid(fields: { problem: string; staleDays: number; maxWritesPerSecond: number }) {
    logger.error(`prune not run: ${fields.problem}`, fields);
  },
  pruneStarted(fields: {
    staleDays: number;
    cutoff: string;
    maxWritesPerSecond: number;
    scheduleTime: string;
    jobName: string | null;
  }) {
    logger.info("prune started", fields);
  },
  devicesPruned(fields: {
    deleted: { rejected: number; stale: number };
    skipped: number;
    failed: number;
    pages: number;
    truncated: boolean;
    durationMs: number;
    cutoff: string;
  }) {
    const { deleted, skipped, failed, durationMs } = fields;
    logger.info(
      `devices pruned: ${deleted.stale} stale, ${deleted.rejected} rejected, ${skipped} skipped (changed since read), ${failed} failed, in ${durationMs} ms`,
      fields,
    );
  },
  pruneTruncated(fields: { budgetMs: number; pages: number }) {
    logger.warn("prune stopped at its time budget: the next run deletes the rest", fields);
  },
  pruneDeletesFailed(fields: {
    failed: number;
    samples: { deviceId: string; reason: string; error: string }[];
  }) {
    logger.error(`prune: ${fields.failed} deletes failed`, fields);
  },
};
