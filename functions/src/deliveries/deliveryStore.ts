import { z } from "zod";
import { ALREADY_EXISTS, hasGrpcCode } from "../firestoreErrors";
import {
  FieldValue,
  Timestamp,
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
 */
export const deliveryDoc = deliveryCounts.partial().extend({
  postId: z.string(),
  commentId: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: count.optional(),
  sendStarted: z.boolean().optional(),
  error: z.string().optional(),
  createdAt: timestamp,
  finishedAt: timestamp.optional(),
});
export type DeliveryDoc = z.infer<typeof deliveryDoc>;

export const deliveryConverter: FirestoreDataConverter<DeliveryDoc> = {
  toFirestore: (delivery) => delivery,
  fromFirestore: (snapshot: QueryDocumentSnapshot) => deliveryDoc.parse(snapshot.data()),
};

export const PUSH_DELIVERIES = "pushDeliveries";

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

  /**
   * The exactly-once gate, in one transaction on `pushDeliveries/{eventId}`:
   * - no doc: creates it, `status: "sending"`: this run owns the delivery;
   * - a doc that `failed` before sending anything (`sendStarted` false), with attempts left: takes it over
   *   again (`status: "sending"`, one more attempt);
   * - anything else (`sending`, `done`, a failure after sending began, or no attempts left): another run
   *   has handled or is handling this event, and this one must send nothing.
   */
  async begin(eventId: string, ids: { postId: string; commentId: string }): Promise<BeginResult> {
    const ref = this.deliveries().doc(eventId);
    try {
      return await this.beginIn(ref, ids);
    } catch (error) {
      // A concurrent run created the doc between our read and our create: it owns the delivery.
      if (!hasGrpcCode(error, ALREADY_EXISTS)) throw error;
      const existing = (await ref.get()).data();
      return {
        owned: false,
        status: existing?.status ?? "sending",
        sendStarted: existing?.sendStarted ?? true,
      };
    }
  }

  private beginIn(
    ref: DocumentReference<DeliveryDoc>,
    ids: { postId: string; commentId: string },
  ): Promise<BeginResult> {
    return this.db.runTransaction(async (tx) => {
      const existing = (await tx.get(ref)).data();
      if (!existing) {
        tx.create(ref, {
          ...ids,
          status: "sending",
          attempts: 1,
          sendStarted: false,
          createdAt: FieldValue.serverTimestamp() as Timestamp,
        });
        return { owned: true, attempt: 1 };
      }
      const attempts = existing.attempts ?? 1;
      const sendStarted = existing.sendStarted ?? true;
      if (existing.status === "failed" && !sendStarted && attempts < this.maxAttempts) {
        tx.update(ref, { status: "sending", attempts: attempts + 1, error: FieldValue.delete() });
        return { owned: true, attempt: attempts + 1 };
      }
      return { owned: false, status: existing.status, sendStarted };
    });
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

  async get(eventId: string): Promise<DeliveryDoc | undefined> {
    return (await this.deliveries().doc(eventId).get()).data();
  }
}
