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
  commentPushDuplicate(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    status: string;
    sendStarted: boolean;
  }) {
    logger.warn(
      "comment push: event already handled (or being handled) by another run; nothing sent",
      fields,
    );
  },
  commentPushSkipped(fields: { eventId: string; postId: string; commentId: string; reason: string }) {
    logger.warn(`comment push skipped: ${fields.reason}`, fields);
  },
  commentPushAborted(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    attempt: number;
    willRetry: boolean;
    error: unknown;
  }) {
    const { error, ...rest } = fields;
    logger.error(
      `comment push failed before sending anything${fields.willRetry ? "; the event will be retried" : ""}`,
      { ...rest, error: errorText(error) },
    );
  },
  commentPushDelivered(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    status: "done" | "failed";
    recipients: number;
    tokens: number;
    sent: number;
    failed: number;
    rejected: number;
    retries: number;
    massRejectionGuardTripped: boolean;
    durationMs: number;
    /** Of `durationMs`: reading and composing, then sending (retries included). */
    prepareMs: number;
    sendMs: number;
  }) {
    const line = `comment push ${fields.status}: ${fields.sent}/${fields.tokens} sent to ${fields.recipients} recipients, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    if (fields.status === "done") logger.info(line, fields);
    else logger.error(line, fields);
  },
  commentPushSendFailures(fields: {
    eventId: string;
    failures: Record<string, { count: number; example: string } | undefined>;
  }) {
    logger.error("comment push: messages failed without touching their tokens", fields);
  },
  massRejectionGuardTripped(fields: { eventId: string; tokens: number; guarded: number }) {
    logger.error(
      "comment push: most answers were mismatched-credential, a sign of a broken server configuration; no token was marked rejected",
      fields,
    );
  },
  devicesMarkedRejected(fields: {
    eventId: string;
    marked: number;
    skipped: number;
    failed: number;
    byCode: Record<string, number>;
  }) {
    logger.info(`comment push: ${fields.marked} device tokens marked rejected`, fields);
  },
  devicesMarkFailed(fields: {
    eventId: string;
    failed: number;
    samples: { deviceId: string; error: string }[];
  }) {
    logger.error(`comment push: ${fields.failed} rejected tokens could not be marked`, fields);
  },
  commentPushEnqueued(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    recipients: number;
    audience: number;
    slices: number;
    duplicates: number;
    notEnqueued: number;
    prepareMs: number;
  }) {
    const line = `comment push through tasks: ${fields.audience} devices of ${fields.recipients} recipients in ${fields.slices} slices (${fields.duplicates} already enqueued, ${fields.notEnqueued} not enqueued)`;
    if (fields.notEnqueued === 0) logger.info(line, fields);
    else logger.error(line, fields);
  },
  commentPushSliceNotEnqueued(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    slice: number;
    devices: number;
    error: unknown;
  }) {
    const { error, ...rest } = fields;
    logger.error("comment push: a slice could not be enqueued; its devices count failed", {
      ...rest,
      error: errorText(error),
    });
  },
  commentPushSliceInvalid(fields: { problems: string[] }) {
    logger.error("comment push: a slice task's payload is not a slice; acknowledged, nothing sent", fields);
  },
  commentPushSliceDuplicate(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    slice: number;
    status: string;
    sendStarted: boolean;
  }) {
    logger.warn(
      "comment push: slice already handled (or being handled) by another run; nothing sent",
      fields,
    );
  },
  commentPushSliceAborted(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    slice: number;
    attempt: number;
    willRetry: boolean;
    error: unknown;
  }) {
    const { error, ...rest } = fields;
    logger.error(
      `comment push slice failed before sending anything${fields.willRetry ? "; its task will be retried" : ""}`,
      { ...rest, error: errorText(error) },
    );
  },
  commentPushSliceDelivered(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    slice: number;
    status: "done" | "failed";
    tokens: number;
    sent: number;
    failed: number;
    rejected: number;
    retries: number;
    massRejectionGuardTripped: boolean;
    durationMs: number;
  }) {
    const line = `comment push slice ${fields.slice} ${fields.status}: ${fields.sent}/${fields.tokens} sent, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    if (fields.status === "done") logger.info(line, fields);
    else logger.error(line, fields);
  },
  commentPushTasksFinished(fields: {
    eventId: string;
    postId: string;
    commentId: string;
    status: "done" | "failed";
    counts: Record<string, number>;
    slices: number;
    slicesFailed: number;
  }) {
    const { counts } = fields;
    const line = `comment push ${fields.status} (through ${fields.slices} tasks, ${fields.slicesFailed} failed): ${counts.sent}/${counts.tokens} sent to ${counts.recipients} recipients, ${counts.failed} failed, ${counts.rejected} rejected`;
    if (fields.status === "done") logger.info(line, fields);
    else logger.error(line, fields);
  },
  commentPushFinishFailed(fields: { eventId: string; error: unknown }) {
    logger.error("comment push: could not record the end of the delivery", {
      eventId: fields.eventId,
      error: errorText(fields.error),
    });
  },
};

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
