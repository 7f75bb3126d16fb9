/**
 * The task path's enqueueing (docs/delivery.md, "Large audiences" and "Resume"): one task per recorded
 * slice, ids derived from the event and the slice, so a repeated enqueue is refused by Cloud Tasks (and
 * counts as done). Each enqueue is retried with backoff on anything but a permanent refusal before its
 * slice is given up; a slice given up is counted once (SliceStore.notEnqueued). The plan is recorded before
 * the first enqueue, so a run whose lease ran out is resumed from the record by a retry of the trigger.
 */
import { errorText } from "../shared/errorText";
import { mapWithConcurrency } from "../shared/batches";
import { log } from "../log";
import { crashPoint } from "./crashPoint";
import { sliceTaskId } from "./domain/slices";
import type { PushDeps, TaskFanOut } from "./deps";
import type { PushOutcome } from "./delivery";
import { idsOf, type Delivery } from "./kind";
import { endedThroughTasks, tellEnded } from "./ended";
import type { PlannedSlice } from "./store/deliveryDocs";

/** Tasks enqueued at once by the trigger (each one HTTP request to Cloud Tasks). */
const ENQUEUE_CONCURRENCY = 10;

/** Attempts per enqueue, the first included, and the first backoff cap (doubled each retry, full jitter). */
export const ENQUEUE_ATTEMPTS = 5;
const ENQUEUE_BASE_DELAY_MS = 250;

/**
 * firebase-admin's task-queue codes that no retry can change (functions-api-client-internal.js). Everything
 * else is retried: 429 (which it reports as `unknown-error`), 500, 503 after its own retries, network
 * errors; a repeated enqueue is safe because the task id is deterministic (ALREADY_EXISTS = done).
 */
const PERMANENT = new Set([
  "functions/invalid-argument",
  "functions/invalid-credential",
  "functions/failed-precondition",
  "functions/permission-denied",
  "functions/unauthenticated",
  "functions/not-found",
]);

export function enqueueRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return !(typeof code === "string" && PERMANENT.has(code));
}

type EnqueueResult = "enqueued" | "duplicate" | "failed";

/** Enqueues one slice, retrying per the rules above; `failed` once it gives up (the slice is then counted). */
async function enqueueOne<Content>(
  delivery: Delivery<Content>,
  content: Content,
  slice: PlannedSlice,
  deps: PushDeps,
  listedBefore: number | undefined,
): Promise<EnqueueResult> {
  const { queue } = deps.tasks as TaskFanOut;
  const eventId = delivery.id;
  const task = {
    kind: delivery.kind.name,
    eventId,
    slice: { index: slice.index, uids: [...slice.uids], devices: slice.devices },
    content: slice.content ?? content,
    ...(listedBefore === undefined ? {} : { listedBefore }),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await queue.enqueue(task, sliceTaskId(eventId, slice.index));
    } catch (error) {
      if (attempt < ENQUEUE_ATTEMPTS && enqueueRetryable(error)) {
        const cap = ENQUEUE_BASE_DELAY_MS * 2 ** (attempt - 1);
        await deps.sleep(Math.floor(deps.random() * cap));
        continue;
      }
      const ids = idsOf(delivery);
      log.pushSliceNotEnqueued({ ...ids, slice: slice.index, devices: slice.devices, error });
      try {
        const { finished } = await deps.stores.slices.notEnqueued(eventId, slice, errorText(error));
        if (finished) {
          log.pushTasksFinished({ ...ids, ...finished });
          await tellEnded(delivery.kind, content, endedThroughTasks(finished), ids);
        }
      } catch (recordError) {
        log.pushFinishFailed({ ...ids, error: recordError });
      }
      return "failed";
    }
  }
}

/**
 * Enqueues every slice of `pages` (the plan, fresh or read back from its record), then records that the
 * enqueueing is over. A crash in between leaves `enqueueing: true` and the lease: the trigger's retry
 * resumes here, and the slices enqueued already come back `duplicate`.
 */
export async function enqueueSlices<Content>(
  delivery: Delivery<Content>,
  plan: {
    content: Content;
    recipients: number;
    audience: number;
    slices: number;
    /** What every task carries (sliceTask.ts). */
    listedBefore?: number | undefined;
  },
  pages: AsyncIterable<readonly PlannedSlice[]> | Iterable<readonly PlannedSlice[]>,
  deps: PushDeps,
  prepareMs: number,
  resumed = false,
): Promise<PushOutcome> {
  const eventId = delivery.id;
  const { deliveries } = deps.stores;
  const results: EnqueueResult[] = [];
  let enqueuedSoFar = 0;
  for await (const page of pages) {
    const done = await mapWithConcurrency(page, ENQUEUE_CONCURRENCY, async (slice) => {
      const result = await enqueueOne(delivery, plan.content, slice, deps, plan.listedBefore);
      enqueuedSoFar++;
      crashPoint("enqueue", enqueuedSoFar);
      return result;
    });
    results.push(...done);
  }
  await deliveries.enqueued(eventId);
  const notEnqueued = results.filter((result) => result === "failed").length;
  log.pushEnqueued({
    ...idsOf(delivery),
    recipients: plan.recipients,
    audience: plan.audience,
    slices: plan.slices,
    duplicates: results.filter((result) => result === "duplicate").length,
    notEnqueued,
    prepareMs,
    resumed,
  });
  return { kind: "enqueued", audience: plan.audience, slices: plan.slices, notEnqueued };
}
