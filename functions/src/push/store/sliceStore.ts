import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import type { BeginResult } from "../domain/gate";
import {
  SLICES,
  abandonedFields,
  finishedFields,
  sliceConverter,
  type Finished,
  type PlannedSlice,
  type SliceCounts,
  type TasksFinished,
} from "./deliveryDocs";
import type { DeliveryStore } from "./deliveryStore";
import { passGate } from "./gateTransaction";

/**
 * The one place that reads and writes `pushDeliveries/{eventId}/slices/{index}`: each slice's gate (the
 * delivery's rules, docs/delivery.md) and its counting into the delivery, exactly once per slice: every way
 * a slice ends (its task, the trigger giving it up as not enqueued, the sweeper) is one transaction that
 * counts it only if it is not `counted` yet, and sets `counted`, which the gate treats as final.
 */
export class SliceStore {
  readonly maxAttempts: number;
  readonly leaseMs: number;

  constructor(
    private readonly db: Firestore,
    private readonly deliveries: DeliveryStore,
    settings: { leaseMs: number; clock?: () => number },
  ) {
    this.maxAttempts = deliveries.maxAttempts;
    this.leaseMs = settings.leaseMs;
    this.clock = settings.clock ?? Date.now;
  }

  private readonly clock: () => number;

  ref(eventId: string, index: number) {
    return this.deliveries.ref(eventId).collection(SLICES).withConverter(sliceConverter).doc(String(index));
  }

  /** The slice's gate: the first run of its task creates the doc and owns the slice. */
  async begin(eventId: string, slice: PlannedSlice): Promise<BeginResult> {
    return passGate(
      this.db,
      this.ref(eventId, slice.index),
      {
        index: slice.index,
        status: "sending",
        attempts: 1,
        sendStarted: false,
        planned: slice.devices,
        uids: slice.uids.length,
        createdAt: FieldValue.serverTimestamp() as Timestamp,
      },
      this,
      this.clock,
    );
  }

  /** Records that the slice's messages are about to go out: its task is never run past the gate again. */
  async sendStarting(eventId: string, index: number, tokens: number): Promise<void> {
    await this.ref(eventId, index).update({ sendStarted: true, tokens });
  }

  /** Ends a slice run that failed before sending anything; its task's next run may take it over. */
  async abandon(eventId: string, index: number, error: string): Promise<void> {
    await this.ref(eventId, index).update(abandonedFields(error));
  }

  /**
   * Ends a slice for good, counted, with its counts on its own doc, in one transaction that does so only if
   * nobody counted the slice yet; then ends the delivery if every slice is counted (sliceTally.ts). Returns
   * undefined when the slice had been counted already (swept meanwhile) or the delivery is not over.
   */
  async finish(
    eventId: string,
    index: number,
    outcome: Finished<SliceCounts>,
  ): Promise<TasksFinished | undefined> {
    const ref = this.ref(eventId, index);
    const counted = await this.db.runTransaction(async (tx) => {
      const current = (await tx.get(ref.withConverter(null))).data();
      if (current?.counted === true) return false;
      tx.update(ref, { ...finishedFields(outcome), counted: true });
      return true;
    });
    if (!counted) return undefined;
    // Asked after this slice's count committed: the last slice to commit finds them all.
    return this.deliveries.finishIfAllCounted(eventId);
  }

  /**
   * Ends, as failed, a slice whose task could not be enqueued: its planned devices count `failed`. In one
   * transaction that does so only when the slice doc does not exist yet, and creates it `counted`: if the
   * task exists after all (an enqueue that timed out but went through), either it ran first (it owns the
   * slice, and this call counts nothing) or its gate finds the slice counted and sends nothing. Either way
   * the slice is counted exactly once.
   */
  async notEnqueued(
    eventId: string,
    slice: PlannedSlice,
    error: string,
  ): Promise<{ counted: boolean; finished?: TasksFinished | undefined }> {
    const counts: SliceCounts = {
      tokens: slice.devices,
      sent: 0,
      failed: slice.devices,
      rejected: 0,
      retries: 0,
    };
    const ref = this.ref(eventId, slice.index);
    const counted = await this.db.runTransaction(async (tx) => {
      if ((await tx.get(ref)).exists) return false;
      const now = FieldValue.serverTimestamp() as Timestamp;
      tx.create(ref, {
        ...counts,
        index: slice.index,
        status: "failed",
        attempts: 0,
        sendStarted: false,
        planned: slice.devices,
        uids: slice.uids.length,
        counted: true,
        error,
        createdAt: now,
        finishedAt: now,
      });
      return true;
    });
    if (!counted) return { counted: false };
    return { counted: true, finished: await this.deliveries.finishIfAllCounted(eventId) };
  }
}
