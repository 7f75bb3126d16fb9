/**
 * The task path's enqueueing (docs/delivery.md, "Large audiences"): one task per slice, ids derived from the
 * event and the slice, so a duplicate enqueue is refused (and counts as done).
 */
import { errorText } from "../shared/errorText";
import { mapWithConcurrency } from "../shared/batches";
import { log } from "../log";
import { sliceTaskId } from "./domain/slices";
import type { CommentPushDeps, TaskFanOut } from "./deps";
import type { CommentPushOutcome } from "./direct";
import type { Plan } from "./plan";
import { digestOfSlice } from "./domain/digest";

/** Tasks enqueued at once by the trigger (each one HTTP request to Cloud Tasks). */
const ENQUEUE_CONCURRENCY = 10;

/**
 * Enqueues one task per slice, ids derived from the event and the slice, so a duplicate enqueue is refused
 * (and counts as done). A slice that cannot be enqueued (after firebase-admin's own retries) is ended as
 * failed, its devices counted `failed`, so the delivery still ends once the others have.
 */
export async function enqueueSlices(
  eventId: string,
  plan: Extract<Plan, { kind: "tasks" }>,
  deps: CommentPushDeps,
  prepareMs: number,
): Promise<CommentPushOutcome> {
  const { queue } = deps.tasks as TaskFanOut;
  const { slices } = deps.stores;
  const ids = { eventId, postId: plan.content.postId, commentId: plan.content.commentId };
  const results = await mapWithConcurrency(plan.slices, ENQUEUE_CONCURRENCY, async (slice) => {
    try {
      return await queue.enqueue(
        { eventId, slice, content: plan.content, ...digestOfSlice(plan.digest, slice.uids) },
        sliceTaskId(eventId, slice.index),
      );
    } catch (error) {
      log.commentPushSliceNotEnqueued({ ...ids, slice: slice.index, devices: slice.devices, error });
      try {
        const { finished } = await slices.notEnqueued(eventId, slice, errorText(error));
        if (finished) log.commentPushTasksFinished({ ...ids, ...finished });
      } catch (recordError) {
        log.commentPushFinishFailed({ eventId, error: recordError });
      }
      return "failed" as const;
    }
  });
  const notEnqueued = results.filter((result) => result === "failed").length;
  log.commentPushEnqueued({
    ...ids,
    recipients: plan.recipients,
    audience: plan.audience,
    slices: plan.slices.length,
    duplicates: results.filter((result) => result === "duplicate").length,
    notEnqueued,
    prepareMs,
  });
  return { kind: "enqueued", audience: plan.audience, slices: plan.slices.length, notEnqueued };
}
