/**
 * The slice state machine, for one `sendPushSlice` task of any kind: the slice's own gate, read its devices,
 * send through the one send path, finish (counted into the delivery once). Rules: docs/delivery.md.
 */
import { errorText } from "../shared/errorText";
import { recipientsPage, type AudiencePage } from "./audience";
import { log } from "../log";
import type { DeliveryIds } from "../log/push";
import type { PushDeps } from "./deps";
import { assertRetryPolicy } from "./domain/retryPolicy";
import { heldSince } from "./domain/heldDevices";
import type { PushKind } from "./kind";
import { sendPush, type SendOutcome } from "./send";
import { feedOf } from "./feed";
import { endedThroughTasks, tellEnded } from "./ended";
import type { SliceTask } from "./sliceTask";

export type SliceFanOut = Omit<PushDeps, "tasks">;

export type SliceOutcome =
  | { kind: "already-handled"; status: string }
  | { kind: "aborted"; willRetry: boolean; error: string }
  | { kind: "sent"; status: "done" | "failed"; counts: SendOutcome["counts"]; deliveryFinished: boolean };

/** Sends one slice of a delivery of `kind`; `content` is the task's, already read with the kind's schema. */
export async function sendSlice<Content>(
  task: SliceTask & { content: Content },
  kind: PushKind<Content>,
  deps: SliceFanOut,
): Promise<SliceOutcome> {
  const started = deps.now();
  const { slices, devices } = deps.stores;
  const { eventId, slice, content } = task;
  const delivery = { id: eventId, kind, subject: {} };
  const deliveryIds = { kind: kind.name, deliveryId: eventId } as DeliveryIds;
  const ids = { ...deliveryIds, slice: slice.index };

  const gate = await slices.begin(eventId, slice);
  if (!gate.owned) {
    log.pushSliceDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    // Another run holds the slice and has sent nothing yet: Cloud Tasks runs the task again later, and that
    // run finds the slice ended, or takes it over once the lease has run out (docs/delivery.md, "Leases").
    if (gate.retryAfterMs !== undefined) {
      throw new Error(
        `pushDeliveries/${eventId}/slices/${slice.index} is held by another run for ${Math.ceil(gate.retryAfterMs / 1000)} s more; retry later`,
      );
    }
    return { kind: "already-handled", status: gate.status };
  }

  let found: AudiencePage;
  try {
    assertRetryPolicy(deps.policy);
    // The recipients' settings as they are now: one who turned the kind off since the plan gets nothing,
    // and quiet hours are decided at this slice's own send time.
    const page = await recipientsPage(deps.stores, slice.uids, kind.preference(content));
    // Only devices listed before the delivery's first read (domain/heldDevices.ts): each token once.
    found = { ...page, devices: heldSince(page.devices, task.listedBefore) };
    await slices.sendStarting(eventId, slice.index, found.devices.length);
  } catch (error) {
    const willRetry = gate.attempt < slices.maxAttempts;
    log.pushSliceAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    if (willRetry) {
      try {
        await slices.abandon(eventId, slice.index, errorText(error));
      } catch (recordError) {
        // The slice stays `sending` under this run's lease, nothing sent: a retry of its task takes it
        // over once the lease has run out (docs/delivery.md, "Leases").
        log.pushFinishFailed({ ...deliveryIds, error: recordError });
      }
      throw error;
    }
    // The last attempt: end the slice as failed, so the delivery can still end.
    const counts = { tokens: slice.devices, sent: 0, failed: slice.devices, rejected: 0, retries: 0 };
    await finish(task, kind, deliveryIds, deps, {
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
    outcome = await sendPush(delivery, content, found, {
      ...deps,
      devices,
      feed: deps.feedOn === false ? undefined : feedOf(deps.stores.notifications),
    });
  } catch (error) {
    log.pushFinishFailed({ ...deliveryIds, error });
    outcome = {
      status: "failed",
      counts: {
        tokens: found.devices.length,
        sent: 0,
        failed: found.devices.length,
        rejected: 0,
        retries: 0,
      },
      massRejectionGuardTripped: false,
      error: errorText(error),
    };
  }
  const deliveryFinished = await finish(task, kind, deliveryIds, deps, outcome);
  log.pushSliceDelivered({
    ...ids,
    status: outcome.status,
    ...outcome.counts,
    massRejectionGuardTripped: outcome.massRejectionGuardTripped,
    durationMs: Math.round(deps.now() - started),
  });
  return { kind: "sent", status: outcome.status, counts: outcome.counts, deliveryFinished };
}

/** Ends the slice and adds it to the delivery; logs the delivery's end if this was its last slice. */
async function finish<Content>(
  task: SliceTask & { content: Content },
  kind: PushKind<Content>,
  ids: DeliveryIds,
  deps: SliceFanOut,
  outcome: SendOutcome,
): Promise<boolean> {
  const { eventId, slice } = task;
  try {
    const finished = await deps.stores.slices.finish(eventId, slice.index, outcome);
    if (!finished) return false;
    log.pushTasksFinished({ ...ids, ...finished });
    await tellEnded(kind, task.content, endedThroughTasks(finished), ids);
    return true;
  } catch (error) {
    // Never rethrown: a retry of the task would find the slice `sending` and send nothing anyway.
    log.pushFinishFailed({ ...ids, error });
    return false;
  }
}
