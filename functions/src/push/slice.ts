/**
 * The slice state machine, for one `sendCommentPushSlice` task: the slice's own gate, read its devices,
 * send through the one send path, finish (counted into the delivery once). Rules: docs/delivery.md.
 */
import { errorText } from "../shared/errorText";
import type { ActiveDevice } from "../devices/deviceDoc";
import { log } from "../log";
import type { CommentPushDeps } from "./deps";
import { assertRetryPolicy } from "./domain/retryPolicy";
import { sendCommentPush, type SendOutcome } from "./send";
import type { SliceTask } from "./sliceTask";

export type SliceFanOut = Omit<CommentPushDeps, "tasks">;

export type SliceOutcome =
  | { kind: "already-handled"; status: string }
  | { kind: "aborted"; willRetry: boolean; error: string }
  | { kind: "sent"; status: "done" | "failed"; counts: SendOutcome["counts"]; deliveryFinished: boolean };

export async function sendSlice(task: SliceTask, deps: SliceFanOut): Promise<SliceOutcome> {
  const started = deps.now();
  const { slices, devices } = deps.stores;
  const { eventId, slice, content } = task;
  const ids = { eventId, postId: content.postId, commentId: content.commentId, slice: slice.index };

  const gate = await slices.begin(eventId, slice);
  if (!gate.owned) {
    log.commentPushSliceDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    // Another run holds the slice and has sent nothing yet: Cloud Tasks runs the task again later, and that
    // run finds the slice ended, or takes it over once the lease has run out (docs/delivery.md, "Leases").
    if (gate.retryAfterMs !== undefined) {
      throw new Error(
        `pushDeliveries/${eventId}/slices/${slice.index} is held by another run for ${Math.ceil(gate.retryAfterMs / 1000)} s more; retry later`,
      );
    }
    return { kind: "already-handled", status: gate.status };
  }

  let found: ActiveDevice[];
  try {
    assertRetryPolicy(deps.policy);
    found = await devices.activeDevicesOf(slice.uids);
    await slices.sendStarting(eventId, slice.index, found.length);
  } catch (error) {
    const willRetry = gate.attempt < slices.maxAttempts;
    log.commentPushSliceAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    if (willRetry) {
      try {
        await slices.abandon(eventId, slice.index, errorText(error));
      } catch (recordError) {
        // The slice stays `sending` under this run's lease, nothing sent: a retry of its task takes it
        // over once the lease has run out (docs/delivery.md, "Leases").
        log.commentPushFinishFailed({ eventId, error: recordError });
      }
      throw error;
    }
    // The last attempt: end the slice as failed, so the delivery can still end.
    const counts = { tokens: slice.devices, sent: 0, failed: slice.devices, rejected: 0, retries: 0 };
    await finish(task, deps, {
      status: "failed",
      counts,
      massRejectionGuardTripped: false,
      error: errorText(error),
    });
    return { kind: "aborted", willRetry: false, error: errorText(error) };
  }

  // Send: from here on the slice is never run again.
  let outcome: SendOutcome;
  try {
    outcome = await sendCommentPush(eventId, content, found, { ...deps, devices }, task.digest);
  } catch (error) {
    log.commentPushFinishFailed({ eventId, error });
    outcome = {
      status: "failed",
      counts: { tokens: found.length, sent: 0, failed: found.length, rejected: 0, retries: 0 },
      massRejectionGuardTripped: false,
      error: errorText(error),
    };
  }
  const deliveryFinished = await finish(task, deps, outcome);
  log.commentPushSliceDelivered({
    ...ids,
    status: outcome.status,
    ...outcome.counts,
    massRejectionGuardTripped: outcome.massRejectionGuardTripped,
    durationMs: Math.round(deps.now() - started),
  });
  return { kind: "sent", status: outcome.status, counts: outcome.counts, deliveryFinished };
}

/** Ends the slice and adds it to the delivery; logs the delivery's end if this was its last slice. */
async function finish(task: SliceTask, deps: SliceFanOut, outcome: SendOutcome): Promise<boolean> {
  const { eventId, slice, content } = task;
  try {
    const finished = await deps.stores.slices.finish(eventId, slice.index, outcome);
    if (!finished) return false;
    log.commentPushTasksFinished({
      eventId,
      postId: content.postId,
      commentId: content.commentId,
      ...finished,
    });
    return true;
  } catch (error) {
    // Never rethrown: a retry of the task would find the slice `sending` and send nothing anyway.
    log.commentPushFinishFailed({ eventId, error });
    return false;
  }
}
