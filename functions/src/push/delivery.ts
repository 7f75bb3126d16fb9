/**
 * The delivery state machine, for every kind: gate, plan, then send directly or enqueue slices, and finish.
 * It is told what to deliver (a kind, a delivery id, a subject and a planner) and knows nothing of where the
 * work came from. The exactly-once rules it follows are written once, in docs/delivery.md.
 */
import { errorText } from "../shared/errorText";
import { log } from "../log";
import { crashPoint } from "./crashPoint";
import { assertRetryPolicy } from "./domain/retryPolicy";
import type { PushDeps, TaskFanOut } from "./deps";
import { enqueueSlices } from "./enqueue";
import { idsOf, type Delivery } from "./kind";
import { leaseMsOf } from "./lease";
import type { Plan } from "./plan";
import type { AudiencePage } from "./audience";
import { sendPush } from "./send";
import { feedOf } from "./feed";
import { tellEnded } from "./ended";
import type { DeliveryCounts } from "./store/deliveryDocs";

export type PushOutcome =
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

/** What the state machine asks of a kind once it owns the delivery: its plan (read, not sent). */
export type Planner<Content> = (tasks: TaskFanOut | undefined) => Promise<Plan<Content>>;

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

export async function deliverPush<Content>(
  delivery: Delivery<Content>,
  deps: PushDeps,
  planner: Planner<Content>,
): Promise<PushOutcome> {
  const started = deps.now();
  const { stores } = deps;
  const { id, kind } = delivery;
  const ids = idsOf(delivery);

  const gate = await stores.deliveries.begin(id, { kind: kind.name, ...delivery.subject }, leaseMsOf(kind));
  if (!gate.owned) {
    log.pushDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    if (gate.retryAfterMs !== undefined) throw new DeliveryLeasedError(id, gate.retryAfterMs);
    return { kind: "already-handled", status: gate.status };
  }
  crashPoint("after-gate");

  if (gate.resume) {
    // A run died while enqueueing a recorded plan: enqueue it all again (repeats are refused as duplicates).
    const recorded = await stores.deliveries.recordedPlan(id);
    if (!recorded || !deps.tasks) throw new Error(`pushDeliveries/${id}: no recorded plan to resume`);
    log.pushResumed({ ...ids, attempt: gate.attempt, slices: recorded.slices });
    const pages = stores.deliveries.plannedSlices(id, recorded.slices);
    // The plan's own cut-off (domain/heldDevices.ts), recorded with it: the slices send what they would have.
    const plan = { ...recorded, content: kind.content.parse(recorded.content) };
    return enqueueSlices(delivery, plan, pages, deps, 0, true);
  }

  // Prepare: nothing has been sent, so a failure here may be retried.
  let plan: Plan<Content>;
  try {
    assertRetryPolicy(deps.policy);
    plan = await planner(deps.tasks);
    if (plan.kind === "direct") {
      // Known up front only when the audience was read whole to measure it; else counted as it is sent.
      await stores.deliveries.sendStarting(id, plan.measured, gate.attempt);
    } else if (plan.kind === "tasks") {
      // A kind that narrows its content per slice records each slice's, so a resumed enqueueing sends the same.
      if (kind.forSlice) {
        const { content } = plan;
        const slices = plan.slices.map((slice) => ({
          ...slice,
          content: kind.forSlice?.(content, slice.uids),
        }));
        plan = { ...plan, slices };
      }
      await stores.deliveries.tasksPlanned(id, plan, gate.attempt);
    }
  } catch (error) {
    const willRetry = gate.attempt < stores.deliveries.maxAttempts;
    log.pushAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    try {
      await stores.deliveries.abandon(id, errorText(error), gate.attempt);
    } catch (recordError) {
      // The delivery stays `sending` under this run's lease, with nothing sent: a retry takes it over
      // once the lease has run out (docs/delivery.md, "Leases").
      log.pushFinishFailed({ ...ids, error: recordError });
    }
    if (willRetry) throw error;
    return { kind: "aborted", willRetry: false, error: errorText(error) };
  }

  if (plan.kind === "skip") {
    log.pushSkipped({ ...ids, reason: plan.skip });
    await stores.deliveries.finish(
      id,
      { status: plan.status, counts: NO_COUNTS, ...(plan.status === "failed" ? { error: plan.skip } : {}) },
      gate.attempt,
    );
    return { kind: "skipped", reason: plan.skip };
  }

  // From here on the event is never run again.
  if (plan.kind === "tasks") {
    const recorded = { ...plan, slices: plan.slices.length };
    return enqueueSlices(delivery, recorded, [plan.slices], deps, Math.round(deps.now() - started));
  }

  const prepareMs = Math.round(deps.now() - started);
  const counts: DeliveryCounts = { ...NO_COUNTS };
  try {
    // A streamed audience is counted into the record a page at a time, before the page is sent.
    const audience = plan.measured
      ? plan.audience
      : countedAsRead(plan.audience, (page) =>
          stores.deliveries.audienceRead(id, {
            recipients: page.recipients.length,
            tokens: page.devices.length,
          }),
        );
    const outcome = await sendPush(delivery, plan.content, audience, {
      ...deps,
      devices: stores.devices,
      feed: deps.feedOn === false ? undefined : feedOf(stores.notifications),
    });
    const sendMs = Math.round(deps.now() - started) - prepareMs;
    Object.assign(counts, outcome.counts);
    await stores.deliveries.finish(
      id,
      { status: outcome.status, counts, error: outcome.error },
      gate.attempt,
    );
    await tellEnded(kind, plan.content, { status: outcome.status, counts, error: outcome.error }, ids);
    log.pushDelivered({
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
    log.pushFinishFailed({ ...ids, error });
    await stores.deliveries
      .finish(id, { status: "failed", counts, error: errorText(error) }, gate.attempt)
      .catch((recordError: unknown) => log.pushFinishFailed({ ...ids, error: recordError }));
    await tellEnded(kind, plan.content, { status: "failed", counts, error: errorText(error) }, ids);
    return { kind: "delivered", status: "failed", counts, massRejectionGuardTripped: false };
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
