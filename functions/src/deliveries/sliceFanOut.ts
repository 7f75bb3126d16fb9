/**
 * One slice of a large comment's fan-out: the body of a `sendCommentPushSlice` task. Cloud Tasks delivers a
 * task at least once, so each slice has its own exactly-once gate, `pushDeliveries/{eventId}/slices/{index}`,
 * with the delivery gate's rules (deliveries/commentFanOut.ts):
 * 1. Gate. The slice doc is created (`sending`) before anything else; if it exists, the slice was sent, or
 *    is being sent, or a run crashed while sending it: nothing is sent.
 * 2. Prepare: read the slice's devices. If that throws, the slice is marked `failed` (nothing sent) and the
 *    error rethrown, so Cloud Tasks runs the task again and the next run's gate takes the slice over, up to
 *    `DeliveryStore.maxAttempts` runs; the last one ends the slice as failed (its planned devices counted
 *    `failed`) instead, so the delivery still ends.
 * 3. Send through `sendCommentPush`, the direct path's own send: same composition, classification, retries,
 *    guard and rejection marking.
 * 4. Finish: the slice's counts are added to the delivery in the same batch that ends the slice, and the
 *    slice that finds every slice finished ends the delivery (`done`, or `failed` if any slice failed).
 */
import { describe, sendCommentPush, type CommentFanOut, type SendOutcome } from "./commentFanOut";
import type { SliceTask } from "./sliceTask";
import type { ActiveDevice } from "../devices/deviceStore";
import { assertRetryPolicy } from "../push/retryPolicy";
import { log } from "../log";

export type SliceFanOut = Omit<CommentFanOut, "tasks">;

export type SliceOutcome =
  | { kind: "already-handled"; status: string }
  | { kind: "aborted"; willRetry: boolean; error: string }
  | { kind: "sent"; status: "done" | "failed"; counts: SendOutcome["counts"]; deliveryFinished: boolean };

export async function sendSlice(task: SliceTask, deps: SliceFanOut): Promise<SliceOutcome> {
  const started = deps.now();
  const { deliveries, devices } = deps.stores;
  const { eventId, slice, content } = task;
  const ids = { eventId, postId: content.postId, commentId: content.commentId, slice: slice.index };

  const gate = await deliveries.beginSlice(eventId, slice);
  if (!gate.owned) {
    log.commentPushSliceDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    return { kind: "already-handled", status: gate.status };
  }

  let found: ActiveDevice[];
  try {
    assertRetryPolicy(deps.policy);
    found = await devices.activeDevicesOf(slice.uids);
    await deliveries.sliceSendStarting(eventId, slice.index, found.length);
  } catch (error) {
    const willRetry = gate.attempt < deliveries.maxAttempts;
    log.commentPushSliceAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    if (willRetry) {
      try {
        await deliveries.abandonSlice(eventId, slice.index, describe(error));
      } catch (recordError) {
        // The slice stays `sending`, so a retry would be refused: do not ask for one.
        log.commentPushFinishFailed({ eventId, error: recordError });
        return { kind: "aborted", willRetry: false, error: describe(error) };
      }
      throw error;
    }
    // The last attempt: end the slice as failed, so the delivery can still end.
    const counts = { tokens: slice.devices, sent: 0, failed: slice.devices, rejected: 0, retries: 0 };
    await finish(task, deps, {
      status: "failed",
      counts,
      massRejectionGuardTripped: false,
      error: describe(error),
    });
    return { kind: "aborted", willRetry: false, error: describe(error) };
  }

  // Send: from here on the slice is never run again.
  let outcome: SendOutcome;
  try {
    outcome = await sendCommentPush(eventId, content, found, { ...deps, devices });
  } catch (error) {
    log.commentPushFinishFailed({ eventId, error });
    outcome = {
      status: "failed",
      counts: { tokens: found.length, sent: 0, failed: found.length, rejected: 0, retries: 0 },
      massRejectionGuardTripped: false,
      error: describe(error),
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
    const finished = await deps.stores.deliveries.finishSlice(eventId, slice.index, outcome);
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
