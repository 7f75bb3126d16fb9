import { logger } from "firebase-functions";
import { errorText } from "../shared/errorText";

/** Log events of the comment-push pipeline (trigger, slices). Never a whole token: device ids only. */
/** Which comment (and event) a line is about. */
type Ids = { eventId: string; postId: string; commentId: string };

/** How a send (a direct delivery, or a slice) went. */
type Sent = {
  status: "done" | "failed";
  tokens: number;
  sent: number;
  failed: number;
  rejected: number;
  retries: number;
  massRejectionGuardTripped: boolean;
  durationMs: number;
};

/** Info when it went well, error otherwise (an alert can be set on the errors). */
function byStatus(status: "done" | "failed", line: string, fields: object): void {
  if (status === "done") logger.info(line, fields);
  else logger.error(line, fields);
}

export const commentPushLog = {
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
  commentPushResumed(fields: Ids & { attempt: number; slices: number }) {
    logger.warn(
      "comment push: a run died while enqueueing slices; resuming the enqueueing of its recorded plan",
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
      { ...rest, error: errorText(error, { stack: true }) },
    );
  },
  commentPushDelivered(
    fields: Ids &
      Sent & {
        recipients: number;
        /** Of `durationMs`: reading and composing, then sending (retries included). */
        prepareMs: number;
        sendMs: number;
      },
  ) {
    const line = `comment push ${fields.status}: ${fields.sent}/${fields.tokens} sent to ${fields.recipients} recipients, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    byStatus(fields.status, line, fields);
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
    /** A retry that resumed the enqueueing of a recorded plan. */
    resumed?: boolean;
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
      error: errorText(error, { stack: true }),
    });
  },
  commentPushSliceInvalid(fields: { problems: { path: string; message: string }[] }) {
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
      { ...rest, error: errorText(error, { stack: true }) },
    );
  },
  commentPushSliceDelivered(fields: Ids & Sent & { slice: number }) {
    const line = `comment push slice ${fields.slice} ${fields.status}: ${fields.sent}/${fields.tokens} sent, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    byStatus(fields.status, line, fields);
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
    byStatus(fields.status, line, fields);
  },
  commentPushFinishFailed(fields: { eventId: string; error: unknown }) {
    logger.error("comment push: could not record the end of the delivery", {
      eventId: fields.eventId,
      error: errorText(fields.error, { stack: true }),
    });
  },
};
