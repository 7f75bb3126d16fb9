import { z } from "zod";
import { ALREADY_EXISTS, hasGrpcCode } from "../firestoreErrors";
import {
  FieldValue,
  Timestamp,
  type DocumentData,
  type Firestore,
  type DocumentReference,
  type FirestoreDataConverter,
  type QueryDocumentSnapshot,
} from "firebase-admin/firestore";

const timestamp = z.instanceof(Timestamp);
const count = z.number().int().min(0);

export const deliveryStatuses = ["sending", "done", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** What a delivery counted (CONTRACT `pushDeliveries`). */
export const deliveryCounts = z.object({
  recipients: count,
  tokens: count,
  sent: count,
  failed: count,
  rejected: count,
  retries: count,
});
export type DeliveryCounts = z.infer<typeof deliveryCounts>;

/**
 * `pushDeliveries/{eventId}`: one per comment-created event, the idempotency key of its fan-out.
 * Beyond the CONTRACT's fields: `attempts` (runs of the event that got past the gate), `sendStarted`
 * (whether any message may have gone out: from then on the event is never run again) and `error` (why a
 * delivery failed, or why it was not sent).
 *
 * A delivery sent through Cloud Tasks (`fanOut: "tasks"`) also has `audience` (devices counted when it was
 * planned, rejected ones included), `slices` (tasks planned), `slicesDone` and `slicesFailed` (slices
 * finished, and of those the failed ones); its counts are the sums of its slices'
 * (`pushDeliveries/{eventId}/slices/{index}`), added by increments as each slice finishes.
 */
export const deliveryDoc = deliveryCounts.partial().extend({
  postId: z.string(),
  commentId: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: count.optional(),
  sendStarted: z.boolean().optional(),
  error: z.string().optional(),
  fanOut: z.enum(["direct", "tasks"]).optional(),
  audience: count.optional(),
  slices: count.optional(),
  slicesDone: count.optional(),
  slicesFailed: count.optional(),
  createdAt: timestamp,
  finishedAt: timestamp.optional(),
});
export type DeliveryDoc = z.infer<typeof deliveryDoc>;

/** What one slice counted: the delivery's counts but `recipients` (the delivery knows those). */
export const sliceCounts = deliveryCounts.omit({ recipients: true });
export type SliceCounts = z.infer<typeof sliceCounts>;

/**
 * `pushDeliveries/{eventId}/slices/{index}`: the exactly-once gate of one slice (one Cloud Tasks task), with
 * the same rules as the delivery's own gate, and what the slice counted. `planned` is the devices the slice
 * was planned with (an upper bound), `uids` how many recipients it carries.
 */
export const sliceDoc = sliceCounts.partial().extend({
  index: count,
  status: z.enum(deliveryStatuses),
  attempts: count,
  sendStarted: z.boolean(),
  planned: count,
  uids: count,
  error: z.string().optional(),
  createdAt: timestamp,
  finishedAt: timestamp.optional(),
});
export type SliceDoc = z.infer<typeof sliceDoc>;

export const sliceConverter: FirestoreDataConverter<SliceDoc> = {
  toFirestore: (slice) => slice,
  fromFirestore: (snapshot: QueryDocumentSnapshot) => sliceDoc.parse(snapshot.data()),
};

export const deliveryConverter: FirestoreDataConverter<DeliveryDoc> = {
  toFirestore: (delivery) => delivery,
  fromFirestore: (snapshot: QueryDocumentSnapshot) => deliveryDoc.parse(snapshot.data()),
};

export const PUSH_DELIVERIES = "pushDeliveries";
export const SLICES = "slices";

/** The gate fields of a delivery or a slice doc, as `gate` reads them (either converter would do). */
const gateFields = z.object({
  status: z.enum(deliveryStatuses),
  attempts: count.optional(),
  sendStarted: z.boolean().optional(),
});

/** A slice as the trigger planned it. */
export type PlannedSlice = { index: number; uids: readonly string[]; devices: number };

/** How a delivery through tasks ended, when the slice that finished it was the last one. */
export type TasksFinished = {
  status: "done" | "failed";
  counts: DeliveryCounts;
  slices: number;
  slicesFailed: number;
};

/** How `begin` went: this run owns the delivery, or another run has it (or had it). */
export type BeginResult =
  { owned: true; attempt: number } | { owned: false; status: DeliveryStatus; sendStarted: boolean };

/** The one place that reads and writes `pushDeliveries`. */
export class DeliveryStore {
  constructor(
    private readonly db: Firestore,
    /** Runs of one event that may get past the gate (a failure before any send lets the next retry in). */
    readonly maxAttempts = 5,
  ) {}

  private deliveries() {
    return this.db.collection(PUSH_DELIVERIES).withConverter(deliveryConverter);
  }

  private slices(eventId: string) {
    return this.deliveries().doc(eventId).collection(SLICES).withConverter(sliceConverter);
  }

  /**
   * The exactly-once gate, in one transaction on `pushDeliveries/{eventId}`:
   * - no doc: creates it, `status: "sending"`: this run owns the delivery;
   * - a doc that `failed` before sending anything (`sendStarted` false), with attempts left: takes it over
   *   again (`status: "sending"`, one more attempt);
   * - anything else (`sending`, `done`, a failure after sending began, or no attempts left): another run
   *   has handled or is handling this event, and this one must send nothing.
   */
  async begin(eventId: string, ids: { postId: string; commentId: string }): Promise<BeginResult> {
    return this.gate(this.deliveries().doc(eventId), {
      ...ids,
      status: "sending",
      attempts: 1,
      sendStarted: false,
      createdAt: FieldValue.serverTimestamp() as Timestamp,
    });
  }

  /**
   * The gate of one slice of a delivery through tasks, on `pushDeliveries/{eventId}/slices/{index}`, with
   * the rules of `begin`: the first run of the slice's task creates the doc and owns the slice; a run after
   * one that failed before sending takes it over while attempts are left; any other run sends nothing.
   */
  async beginSlice(eventId: string, slice: PlannedSlice): Promise<BeginResult> {
    return this.gate(this.slices(eventId).doc(String(slice.index)), {
      index: slice.index,
      status: "sending",
      attempts: 1,
      sendStarted: false,
      planned: slice.devices,
      uids: slice.uids.length,
      createdAt: FieldValue.serverTimestamp() as Timestamp,
    });
  }

  /** `begin`'s transaction on any gate doc: creates `fresh` when absent, else decides from its gate fields. */
  private async gate<T extends DocumentData>(ref: DocumentReference<T>, fresh: T): Promise<BeginResult> {
    const raw = ref.withConverter(null);
    try {
      return await this.db.runTransaction(async (tx) => {
        const snapshot = await tx.get(raw);
        if (!snapshot.exists) {
          tx.create(ref, fresh);
          return { owned: true, attempt: 1 };
        }
        const existing = gateFields.parse(snapshot.data());
        const attempts = existing.attempts ?? 1;
        const sendStarted = existing.sendStarted ?? true;
        if (existing.status === "failed" && !sendStarted && attempts < this.maxAttempts) {
          tx.update(raw, { status: "sending", attempts: attempts + 1, error: FieldValue.delete() });
          return { owned: true, attempt: attempts + 1 };
        }
        return { owned: false, status: existing.status, sendStarted };
      });
    } catch (error) {
      // A concurrent run created the doc between our read and our create: it owns the delivery.
      if (!hasGrpcCode(error, ALREADY_EXISTS)) throw error;
      const existing = gateFields.safeParse((await raw.get()).data());
      return {
        owned: false,
        status: existing.success ? existing.data.status : "sending",
        sendStarted: existing.success ? (existing.data.sendStarted ?? true) : true,
      };
    }
  }

  /** Records that messages are about to go out: from now on this event is never sent again. */
  async sendStarting(eventId: string, counts: Pick<DeliveryCounts, "recipients" | "tokens">): Promise<void> {
    await this.deliveries()
      .doc(eventId)
      .update({ ...counts, sendStarted: true });
  }

  /** Ends the delivery with its status and counts. */
  async finish(
    eventId: string,
    outcome: { status: "done" | "failed"; counts: DeliveryCounts; error?: string | undefined },
  ): Promise<void> {
    await this.deliveries()
      .doc(eventId)
      .update({
        ...outcome.counts,
        status: outcome.status,
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        finishedAt: FieldValue.serverTimestamp(),
      });
  }

  /**
   * Ends a run that failed before sending anything: `failed`, with the reason and whether the event's
   * next retry may try again (`sendStarted` stays false). The next run's `begin` decides.
   */
  async abandon(eventId: string, error: string): Promise<void> {
    await this.deliveries()
      .doc(eventId)
      .update({ status: "failed", error, finishedAt: FieldValue.serverTimestamp() });
  }

  /**
   * Records that the delivery goes out through `slices` tasks: from now on the event is never run again
   * (tasks may be running), and the counts start at zero for the slices to add to.
   */
  async tasksPlanned(
    eventId: string,
    plan: { recipients: number; audience: number; slices: number },
  ): Promise<void> {
    await this.deliveries()
      .doc(eventId)
      .update({
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

  /** Records that the slice's messages are about to go out: its task is never run past the gate again. */
  async sliceSendStarting(eventId: string, index: number, tokens: number): Promise<void> {
    await this.slices(eventId).doc(String(index)).update({ sendStarted: true, tokens });
  }

  /** Ends a slice run that failed before sending anything; its task's next run may take it over (`beginSlice`). */
  async abandonSlice(eventId: string, index: number, error: string): Promise<void> {
    await this.slices(eventId)
      .doc(String(index))
      .update({ status: "failed", error, finishedAt: FieldValue.serverTimestamp() });
  }

  /**
   * Ends a slice for good and adds its counts to the delivery, in one batch (so a slice is counted exactly
   * when it is finished); then ends the delivery if this was its last slice. Only the run that owns the
   * slice (`beginSlice`) calls this, once.
   */
  async finishSlice(
    eventId: string,
    index: number,
    outcome: { status: "done" | "failed"; counts: SliceCounts; error?: string | undefined },
  ): Promise<TasksFinished | undefined> {
    const batch = this.db.batch();
    batch.update(this.slices(eventId).doc(String(index)), {
      ...outcome.counts,
      status: outcome.status,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
      finishedAt: FieldValue.serverTimestamp(),
    });
    batch.update(this.deliveries().doc(eventId), this.sliceIncrements(outcome.status, outcome.counts));
    await batch.commit();
    return this.finishIfLastSlice(eventId);
  }

  /**
   * Ends, as failed, a slice whose task could not be enqueued: its planned devices count `failed`. Creates
   * the slice doc, so if the task exists after all (an enqueue that timed out but went through) and
   * has run, or runs later, exactly one of the two counts the slice. Returns whether this call counted it,
   * and how the delivery ended if this was its last slice.
   */
  async sliceNotEnqueued(
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
    batch.create(this.slices(eventId).doc(String(slice.index)), {
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
    batch.update(this.deliveries().doc(eventId), this.sliceIncrements("failed", counts));
    try {
      await batch.commit();
    } catch (commitError) {
      if (hasGrpcCode(commitError, ALREADY_EXISTS)) return { counted: false };
      throw commitError;
    }
    return { counted: true, finished: await this.finishIfLastSlice(eventId) };
  }

  private sliceIncrements(status: "done" | "failed", counts: SliceCounts) {
    return {
      tokens: FieldValue.increment(counts.tokens),
      sent: FieldValue.increment(counts.sent),
      failed: FieldValue.increment(counts.failed),
      rejected: FieldValue.increment(counts.rejected),
      retries: FieldValue.increment(counts.retries),
      slicesDone: FieldValue.increment(1),
      slicesFailed: FieldValue.increment(status === "failed" ? 1 : 0),
    };
  }

  /**
   * Ends a delivery through tasks whose slices have all finished: `failed` if any slice failed (the direct
   * path's rule, slice by slice), else `done`. A transaction that acts only on a delivery still `sending`,
   * so when two last slices finish at once, one ends it and the other finds it ended.
   */
  async finishIfLastSlice(eventId: string): Promise<TasksFinished | undefined> {
    const ref = this.deliveries().doc(eventId);
    return this.db.runTransaction(async (tx) => {
      const delivery = (await tx.get(ref)).data();
      if (!delivery || delivery.status !== "sending" || delivery.fanOut !== "tasks") return undefined;
      const slices = delivery.slices ?? 0;
      const done = delivery.slicesDone ?? 0;
      if (done < slices) return undefined;
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

  async slice(eventId: string, index: number): Promise<SliceDoc | undefined> {
    return (await this.slices(eventId).doc(String(index)).get()).data();
  }

  async get(eventId: string): Promise<DeliveryDoc | undefined> {
    return (await this.deliveries().doc(eventId).get()).data();
  }
}
