import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import type { BeginResult } from "../domain/gate";
import {
  PUSH_DELIVERIES,
  abandonedFields,
  deliveryConverter,
  deliveryCounts,
  expireAtAfter,
  finishedFields,
  type DeliveryCounts,
  type Finished,
  type TasksFinished,
} from "./deliveryDocs";
import { passGate } from "./gateTransaction";

/** Runs of one event (or slice) that may get past the gate (a failure before any send lets the next retry in). */
export const MAX_GATE_ATTEMPTS = 5;

/** The one place that reads and writes `pushDeliveries/{eventId}` (its slices: SliceStore). */
export class DeliveryStore {
  constructor(
    private readonly db: Firestore,
    readonly maxAttempts = MAX_GATE_ATTEMPTS,
    /** Days a delivery record is kept (its `expireAt`). */
    readonly ttlDays = 30,
  ) {}

  /** The delivery doc of an event (SliceStore writes a slice's counts to it in the slice's own batch). */
  ref(eventId: string) {
    return this.db.collection(PUSH_DELIVERIES).withConverter(deliveryConverter).doc(eventId);
  }

  /** The gate of the event's delivery (docs/delivery.md): whether this run owns it. */
  async begin(eventId: string, ids: { postId: string; commentId: string }): Promise<BeginResult> {
    return passGate(
      this.db,
      this.ref(eventId),
      {
        ...ids,
        status: "sending",
        attempts: 1,
        sendStarted: false,
        createdAt: FieldValue.serverTimestamp() as Timestamp,
        expireAt: expireAtAfter(this.ttlDays),
      },
      this,
    );
  }

  /** Records that messages are about to go out: from now on this event is never sent again. */
  async sendStarting(eventId: string, counts: Pick<DeliveryCounts, "recipients" | "tokens">): Promise<void> {
    await this.ref(eventId).update({ ...counts, sendStarted: true });
  }

  /** Ends the delivery with its status and counts. */
  async finish(eventId: string, outcome: Finished<DeliveryCounts>): Promise<void> {
    await this.ref(eventId).update(finishedFields(outcome));
  }

  /** Ends a run that failed before sending anything; the next run's `begin` decides whether to try again. */
  async abandon(eventId: string, error: string): Promise<void> {
    await this.ref(eventId).update(abandonedFields(error));
  }

  /**
   * Records that the delivery goes out through `slices` tasks: from now on the event is never run again
   * (tasks may be running), and the counts start at zero for the slices to add to.
   */
  async tasksPlanned(
    eventId: string,
    plan: { recipients: number; audience: number; slices: number },
  ): Promise<void> {
    await this.ref(eventId).update({
      ...plan,
      fanOut: "tasks",
      sendStarted: true,
      slicesDone: 0,
      slicesFailed: 0,
      tokens: 0,
      sent: 0,
      failed: 0,
      rejected: 0,
      retries: 0,
    });
  }

  /**
   * Ends a delivery through tasks whose slices have all finished: `failed` if any slice failed, else
   * `done`. A transaction that acts only on a delivery still `sending`, so when two last slices finish at
   * once, one ends it and the other finds it ended.
   */
  async finishIfLastSlice(eventId: string): Promise<TasksFinished | undefined> {
    const ref = this.ref(eventId);
    return this.db.runTransaction(async (tx) => {
      const delivery = (await tx.get(ref)).data();
      if (!delivery || delivery.status !== "sending" || delivery.fanOut !== "tasks") return undefined;
      const slices = delivery.slices ?? 0;
      if ((delivery.slicesDone ?? 0) < slices) return undefined;
      const slicesFailed = delivery.slicesFailed ?? 0;
      const status = slicesFailed > 0 ? "failed" : "done";
      tx.update(ref, {
        status,
        ...(status === "failed"
          ? { error: `${slicesFailed} of ${slices} slices failed (see pushDeliveries/${eventId}/slices)` }
          : {}),
        finishedAt: FieldValue.serverTimestamp(),
      });
      const counts = deliveryCounts.parse({
        recipients: delivery.recipients ?? 0,
        tokens: delivery.tokens ?? 0,
        sent: delivery.sent ?? 0,
        failed: delivery.failed ?? 0,
        rejected: delivery.rejected ?? 0,
        retries: delivery.retries ?? 0,
      });
      return { status, counts, slices, slicesFailed };
    });
  }
}
