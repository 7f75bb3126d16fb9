/**
 * The comment-created state machine, for the trigger: gate, plan, then send directly or enqueue slices, and
 * finish. The exactly-once rules it follows are written once, in docs/delivery.md.
 */
import { errorText } from "../shared/errorText";
import { log } from "../log";
import { crashPoint } from "./crashPoint";
import { assertRetryPolicy } from "./domain/retryPolicy";
import type { CommentCreatedEvent, CommentPushDeps } from "./deps";
import { enqueueSlices } from "./enqueue";
import { digestOfSlice } from "./kinds/comment/coalesce/digestMessage";
import { planCommentPush, type Plan } from "./plan";
import type { AudiencePage } from "./audience";
import { sendCommentPush } from "./send";
import type { DeliveryCounts } from "./store/deliveryDocs";

export type CommentPushOutcome =
  | { kind: "already-handled"; status: string }
  | { kind: "skipped"; reason: string }
  | { kind: "aborted"; willRetry: boolean; error: string }
  | {
      kind: "delivered";
      status: "done" | "failed";
      counts: DeliveryCounts;
      massRejectionGuardTripped: boolean;
    }
  | { kind: "enqueued"; audience: number; slices: number; notEnqueued: number };

/**
 * Thrown when another run holds the delivery's lease and nothing has been sent yet: the platform retries
 * the event later (Eventarc backs off), and the retry either finds the delivery ended or takes it over once
 * the lease has run out (docs/delivery.md, "Leases").
 */
export class DeliveryLeasedError extends Error {
  constructor(
    readonly eventId: string,
    readonly retryAfterMs: number,
  ) {
    super(
      `pushDeliveries/${eventId} is held by another run for ${Math.ceil(retryAfterMs / 1000)} s more; retry later`,
    );
    this.name = "DeliveryLeasedError";
  }
}

const NO_COUNTS: DeliveryCounts = { recipients: 0, tokens: 0, sent: 0, failed: 0, rejected: 0, retries: 0 };

export async function fanOutComment(
  event: CommentCreatedEvent,
  deps: CommentPushDeps,
  /** What to send: the comment (default), or a window's digest (coalesce/digest.ts). */
  planner: typeof planCommentPush = planCommentPush,
): Promise<CommentPushOutcome> {
  const started = deps.now();
  const { stores } = deps;
  const { postId, commentId } = event.params;
  const ids = { eventId: event.id, postId, commentId };

  const gate = await stores.deliveries.begin(event.id, { postId, commentId });
  if (!gate.owned) {
    log.commentPushDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    if (gate.retryAfterMs !== undefined) throw new DeliveryLeasedError(event.id, gate.retryAfterMs);
    return { kind: "already-handled", status: gate.status };
  }
  crashPoint("after-gate");

  if (gate.resume) {
    // A run died while enqueueing a recorded plan: enqueue it all again (repeats are refused as duplicates).
    const recorded = await stores.deliveries.recordedPlan(event.id);
    if (!recorded || !deps.tasks) throw new Error(`pushDeliveries/${event.id}: no recorded plan to resume`);
    log.commentPushResumed({ ...ids, attempt: gate.attempt, slices: recorded.slices });
    const pages = stores.deliveries.plannedSlices(event.id, recorded.slices);
    return enqueueSlices(event.id, recorded, pages, deps, 0, true);
  }

  // Prepare: nothing has been sent, so a failure here may be retried.
  let plan: Plan;
  try {
    assertRetryPolicy(deps.policy);
    plan = await planner(event, stores, deps.tasks);
    if (plan.kind === "direct") {
      // Known up front only when the audience was read whole to measure it; else counted as it is sent.
      await stores.deliveries.sendStarting(event.id, plan.measured);
    } else if (plan.kind === "tasks") {
      // A digest's slices each record their recipients' counts, so a resumed enqueueing sends the same.
      const { digest } = plan;
      plan = {
        ...plan,
        slices: plan.slices.map((slice) => ({ ...slice, ...digestOfSlice(digest, slice.uids) })),
      };
      await stores.deliveries.tasksPlanned(event.id, {
        recipients: plan.recipients,
        audience: plan.audience,
        slices: plan.slices,
        content: plan.content,
      });
    }
  } catch (error) {
    const willRetry = gate.attempt < stores.deliveries.maxAttempts;
    log.commentPushAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    try {
      await stores.deliveries.abandon(event.id, errorText(error));
    } catch (recordError) {
      // The delivery stays `sending` under this run's lease, with nothing sent: a retry takes it over
      // once the lease has run out (docs/delivery.md, "Leases").
      log.commentPushFinishFailed({ eventId: event.id, error: recordError });
      if (willRetry) throw error;
      return { kind: "aborted", willRetry: false, error: errorText(error) };
    }
    if (willRetry) throw error;
    return { kind: "aborted", willRetry: false, error: errorText(error) };
  }

  if (plan.kind === "skip") {
    log.commentPushSkipped({ ...ids, reason: plan.skip });
    await stores.deliveries.finish(event.id, {
      status: plan.status,
      counts: NO_COUNTS,
      ...(plan.status === "failed" ? { error: plan.skip } : {}),
    });
    return { kind: "skipped", reason: plan.skip };
  }

  // From here on the event is never run again.
  if (plan.kind === "tasks") {
    const recorded = { ...plan, slices: plan.slices.length };
    return enqueueSlices(event.id, recorded, [plan.slices], deps, Math.round(deps.now() - started));
  }

  const prepareMs = Math.round(deps.now() - started);
  const counts: DeliveryCounts = { ...NO_COUNTS };
  try {
    // A streamed audience is counted into the record a page at a time, before the page is sent.
    const audience = plan.measured
      ? plan.audience
      : countedAsRead(plan.audience, (page) =>
          stores.deliveries.audienceRead(event.id, {
            recipients: page.recipients.length,
            tokens: page.devices.length,
          }),
        );
    const outcome = await sendCommentPush(
      event.id,
      plan.content,
      audience,
      { ...deps, devices: stores.devices },
      plan.digest,
    );
    const sendMs = Math.round(deps.now() - started) - prepareMs;
    Object.assign(counts, outcome.counts);
    await stores.deliveries.finish(event.id, { status: outcome.status, counts, error: outcome.error });
    log.commentPushDelivered({
      ...ids,
      status: outcome.status,
      ...counts,
      massRejectionGuardTripped: outcome.massRejectionGuardTripped,
      durationMs: Math.round(deps.now() - started),
      prepareMs,
      sendMs,
    });
    return {
      kind: "delivered",
      status: outcome.status,
      counts,
      massRejectionGuardTripped: outcome.massRejectionGuardTripped,
    };
  } catch (error) {
    // Messages may have gone out: record the failure if we can, and never ask for a retry.
    log.commentPushFinishFailed({ eventId: event.id, error });
    await stores.deliveries
      .finish(event.id, { status: "failed", counts, error: errorText(error) })
      .catch((recordError: unknown) =>
        log.commentPushFinishFailed({ eventId: event.id, error: recordError }),
      );
    return {
      kind: "delivered",
      status: "failed",
      counts,
      massRejectionGuardTripped: false,
    };
  }
}

/** The pages of `audience`, each handed on once `record` has counted it. */
async function* countedAsRead(
  audience: AsyncIterable<AudiencePage>,
  record: (page: AudiencePage) => Promise<void>,
): AsyncGenerator<AudiencePage> {
  for await (const page of audience) {
    await record(page);
    yield page;
  }
}
