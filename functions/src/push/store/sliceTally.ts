/**
 * Counting a delivery's slices without a hot document (docs/delivery.md, "Large audiences"): each slice
 * records its own counts on its own doc (`counted: true`, in the transaction that ends it, whichever way it
 * ends), and nothing else; the delivery's totals are the sums of its counted slices, written once, by
 * whoever finds every slice counted: the slice that ended last, the trigger giving up a slice, the sweeper
 * ending a slice, or the sweeper finding a delivery whose last slice could not end it (an error after it
 * was counted). Slices dispatched at 30 a second never contend on one document.
 */
import { FieldValue, type DocumentReference, type Firestore } from "firebase-admin/firestore";
import { deliveryCounts, SLICES, type DeliveryDoc, type TasksFinished } from "./deliveryDocs";

const COUNTED_FIELDS = ["status", "tokens", "sent", "failed", "rejected", "retries", "unknown"] as const;
const count = (value: unknown): number => (typeof value === "number" && value >= 0 ? value : 0);

/**
 * Ends the delivery at `ref` if it is a delivery through tasks still `sending` and every one of its slices
 * is counted: `failed` if any slice failed, else `done`, with the slices' summed counts. One count query
 * while slices are left; once all are counted, one read of the counted slices (they never change again)
 * and a transaction that acts only on a delivery still `sending`, so two callers at once end it once.
 */
export async function finishIfAllCounted(
  db: Firestore,
  ref: DocumentReference<DeliveryDoc>,
  eventId: string,
): Promise<TasksFinished | undefined> {
  const planned = (await ref.get()).data();
  if (!endable(planned)) return undefined;
  const slices = planned.slices ?? 0;
  const counted = ref.collection(SLICES).where("counted", "==", true);
  if ((await counted.count().get()).data().count < slices) return undefined;

  const sums = { tokens: 0, sent: 0, failed: 0, rejected: 0, retries: 0, unknown: 0, slicesFailed: 0 };
  for (const doc of (await counted.select(...COUNTED_FIELDS).get()).docs) {
    for (const field of ["tokens", "sent", "failed", "rejected", "retries", "unknown"] as const) {
      sums[field] += count(doc.get(field));
    }
    if (doc.get("status") === "failed") sums.slicesFailed++;
  }
  return db.runTransaction(async (tx) => {
    const delivery = (await tx.get(ref)).data();
    if (!endable(delivery)) return undefined;
    const status = sums.slicesFailed > 0 ? "failed" : "done";
    const counts = deliveryCounts.parse({
      recipients: delivery.recipients ?? 0,
      ...sums,
      unknown: undefined,
    });
    tx.update(ref, {
      ...counts,
      status,
      slicesDone: slices,
      slicesFailed: sums.slicesFailed,
      ...(sums.unknown > 0 ? { unknown: sums.unknown } : {}),
      enqueueing: false,
      ...(status === "failed"
        ? { error: `${sums.slicesFailed} of ${slices} slices failed (see pushDeliveries/${eventId}/slices)` }
        : {}),
      finishedAt: FieldValue.serverTimestamp(),
    });
    return { status, counts, slices, slicesFailed: sums.slicesFailed };
  });
}

function endable(delivery: DeliveryDoc | undefined): delivery is DeliveryDoc {
  return delivery?.status === "sending" && delivery.fanOut === "tasks";
}
