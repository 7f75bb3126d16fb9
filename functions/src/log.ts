import { logger } from "firebase-functions";

/**
 * The named log events of the project, each with structured fields. Tokens never appear whole:
 * callers pass a device id (a hash) or a token tail.
 */
export const log = {
  deviceRegistered(fields: {
    uid: string;
    deviceId: string;
    tokenTail: string;
    created: boolean;
    evicted: string[];
  }) {
    logger.info("device registered", fields);
  },
  deviceUnregistered(fields: { uid: string; deviceId: string; removed: boolean }) {
    logger.info("device unregistered", fields);
  },
  callableFailed(fields: { callable: string; uid: string | null; error: unknown }) {
    const { error, ...rest } = fields;
    logger.error("callable failed", { ...rest, error: error instanceof Error ? error.stack : String(error) });
  },
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
