import { logger } from "firebase-functions/logger";
import { errorText } from "../shared/errorText";

/**
 * Log events of the push engine (every kind: deliveries and slices). Each line names its kind and delivery
 * (`pushDeliveries/{deliveryId}`) and the kind's subject (e.g. a comment's `postId`, `commentId`). Never a
 * whole token: device ids only.
 */
export type DeliveryIds = { kind: string; deliveryId: string; [subject: string]: unknown };

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

function withError<T extends { error: unknown }>(fields: T) {
  const { error, ...rest } = fields;
  return { ...rest, error: errorText(error, { stack: true }) };
}

export const pushLog = {
  pushDuplicate(fields: DeliveryIds & { status: string; sendStarted: boolean }) {
    logger.warn(
      `${fields.kind} push: already handled (or being handled) by another run; nothing sent`,
      fields,
    );
  },
  pushResumed(fields: DeliveryIds & { attempt: number; slices: number }) {
    logger.warn(
      `${fields.kind} push: a run died while enqueueing slices; resuming the enqueueing of its recorded plan`,
      fields,
    );
  },
  pushSkipped(fields: DeliveryIds & { reason: string }) {
    logger.warn(`${fields.kind} push skipped: ${fields.reason}`, fields);
  },
  pushAborted(fields: DeliveryIds & { attempt: number; willRetry: boolean; error: unknown }) {
    logger.error(
      `${fields.kind} push failed before sending anything${fields.willRetry ? "; it will be retried" : ""}`,
      withError(fields),
    );
  },
  pushDelivered(
    fields: DeliveryIds &
      Sent & {
        recipients: number;
        /** Of `durationMs`: reading and composing, then sending (retries included). */
        prepareMs: number;
        sendMs: number;
      },
  ) {
    const line = `${fields.kind} push ${fields.status}: ${fields.sent}/${fields.tokens} sent to ${fields.recipients} recipients, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    byStatus(fields.status, line, fields);
  },
  pushSendFailures(
    fields: DeliveryIds & { failures: Record<string, { count: number; example: string } | undefined> },
  ) {
    logger.error(`${fields.kind} push: messages failed without touching their tokens`, fields);
  },
  massRejectionGuardTripped(fields: DeliveryIds & { tokens: number; guarded: number }) {
    logger.error(
      `${fields.kind} push: most answers were mismatched-credential, a sign of a broken server configuration; no token was marked rejected`,
      fields,
    );
  },
  devicesMarkedRejected(
    fields: DeliveryIds & { marked: number; skipped: number; failed: number; byCode: Record<string, number> },
  ) {
    logger.info(`${fields.kind} push: ${fields.marked} device tokens marked rejected`, fields);
  },
  devicesMarkFailed(
    fields: DeliveryIds & { failed: number; samples: { deviceId: string; error: string }[] },
  ) {
    logger.error(`${fields.kind} push: ${fields.failed} rejected tokens could not be marked`, fields);
  },
  pushEnqueued(
    fields: DeliveryIds & {
      recipients: number;
      audience: number;
      slices: number;
      duplicates: number;
      notEnqueued: number;
      prepareMs: number;
      /** A retry that resumed the enqueueing of a recorded plan. */
      resumed?: boolean;
    },
  ) {
    const line = `${fields.kind} push through tasks: ${fields.audience} devices of ${fields.recipients} recipients in ${fields.slices} slices (${fields.duplicates} already enqueued, ${fields.notEnqueued} not enqueued)`;
    if (fields.notEnqueued === 0) logger.info(line, fields);
    else logger.error(line, fields);
  },
  pushSliceNotEnqueued(fields: DeliveryIds & { slice: number; devices: number; error: unknown }) {
    logger.error(
      `${fields.kind} push: a slice could not be enqueued; its devices count failed`,
      withError(fields),
    );
  },
  pushSliceInvalid(fields: { problems: { path: string; message: string }[] }) {
    logger.error(
      "push slice: the task's payload is not a slice of a known kind; acknowledged, nothing sent",
      fields,
    );
  },
  pushSliceDuplicate(fields: DeliveryIds & { slice: number; status: string; sendStarted: boolean }) {
    logger.warn(
      `${fields.kind} push: slice already handled (or being handled) by another run; nothing sent`,
      fields,
    );
  },
  pushSliceAborted(
    fields: DeliveryIds & { slice: number; attempt: number; willRetry: boolean; error: unknown },
  ) {
    logger.error(
      `${fields.kind} push slice failed before sending anything${fields.willRetry ? "; its task will be retried" : ""}`,
      withError(fields),
    );
  },
  pushSliceDelivered(fields: DeliveryIds & Sent & { slice: number }) {
    const line = `${fields.kind} push slice ${fields.slice} ${fields.status}: ${fields.sent}/${fields.tokens} sent, ${fields.failed} failed, ${fields.rejected} rejected, ${fields.retries} retries, in ${fields.durationMs} ms`;
    byStatus(fields.status, line, fields);
  },
  pushTasksFinished(
    fields: DeliveryIds & {
      status: "done" | "failed";
      counts: Record<string, number>;
      slices: number;
      slicesFailed: number;
    },
  ) {
    const { counts } = fields;
    const line = `${fields.kind} push ${fields.status} (through ${fields.slices} tasks, ${fields.slicesFailed} failed): ${counts.sent}/${counts.tokens} sent to ${counts.recipients} recipients, ${counts.failed} failed, ${counts.rejected} rejected`;
    byStatus(fields.status, line, fields);
  },
  pushFinishFailed(fields: { kind?: string; deliveryId: string; error: unknown }) {
    logger.error(`${fields.kind ?? "a"} push: could not record the end of the delivery`, withError(fields));
  },
};
