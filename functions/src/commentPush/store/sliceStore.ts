import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import { grpcStatus, hasGrpcCode } from "../../shared/grpc";
import type { BeginResult } from "../domain/gate";
import {
  SLICES,
  abandonedFields,
  finishedFields,
  sliceConverter,
  sliceIncrements,
  type Finished,
  type PlannedSlice,
  type SliceCounts,
  type TasksFinished,
} from "./deliveryDocs";
import type { DeliveryStore } from "./deliveryStore";
import { passGate } from "./gateTransaction";

/**
 * The one place that reads and writes `pushDeliveries/{eventId}/slices/{index}`: each slice's gate (the
 * delivery's rules, docs/delivery.md) and its counting into the delivery, exactly once per slice.
 */
export class SliceStore {
  readonly maxAttempts: number;

  constructor(
    private readonly db: Firestore,
    private readonly deliveries: DeliveryStore,
  ) {
    this.maxAttempts = deliveries.maxAttempts;
  }

  private ref(eventId: string, index: number) {
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
   * Ends a slice for good and adds its counts to the delivery, in one batch (so a slice is counted exactly
   * when it is finished); then ends the delivery if this was its last slice. Only the run that owns the
   * slice calls this, once.
   */
  async finish(
    eventId: string,
    index: number,
    outcome: Finished<SliceCounts>,
  ): Promise<TasksFinished | undefined> {
    const batch = this.db.batch();
    batch.update(this.ref(eventId, index), finishedFields(outcome));
    batch.update(this.deliveries.ref(eventId), sliceIncrements(outcome.status, outcome.counts));
    await batch.commit();
    return this.deliveries.finishIfLastSlice(eventId);
  }

  /**
   * Ends, as failed, a slice whose task could not be enqueued: its planned devices count `failed`. Creates
   * the slice doc, so if the task exists after all (an enqueue that timed out but went through), exactly
   * one of the two counts the slice. Returns whether this call counted it, and how the delivery ended if
   * this was its last slice.
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
    const now = FieldValue.serverTimestamp() as Timestamp;
    const batch = this.db.batch();
    batch.create(this.ref(eventId, slice.index), {
      ...counts,
      index: slice.index,
      status: "failed",
      attempts: 0,
      sendStarted: false,
      planned: slice.devices,
      uids: slice.uids.length,
      error,
      createdAt: now,
      finishedAt: now,
    });
    batch.update(this.deliveries.ref(eventId), sliceIncrements("failed", counts));
    try {
      await batch.commit();
    } catch (commitError) {
      if (hasGrpcCode(commitError, grpcStatus.ALREADY_EXISTS)) return { counted: false };
      throw commitError;
    }
    return { counted: true, finished: await this.deliveries.finishIfLastSlice(eventId) };
  }
}
