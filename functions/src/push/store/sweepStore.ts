import { FieldValue, Timestamp, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { decideSweep, type SweepRecord } from "../domain/sweep";
import { PUSH_DELIVERIES, SLICES, type TasksFinished } from "./deliveryDocs";
import type { DeliveryStore } from "./deliveryStore";

/** Docs read at a time. */
const PAGE = 300;

/** A doc still `sending`, as the sweeper reads it. */
export type SendingDoc = {
  kind: "delivery" | "slice";
  eventId: string;
  index?: number | undefined;
  record: SweepRecord;
};

/** What one sweep of one doc did. */
export type SweepResult =
  { swept: false } | { swept: true; error: string; finished?: TasksFinished | undefined };

const millisOf = (value: unknown): number | undefined =>
  value instanceof Timestamp ? value.toMillis() : undefined;

/** The sweeper's view of a stored doc; undefined when it is not a pipeline doc still `sending`. */
export function sweepRecordOf(
  kind: SendingDoc["kind"],
  data: Record<string, unknown>,
): SweepRecord | undefined {
  if (data.status !== "sending") return undefined;
  // A doc whose server timestamp is not written yet (never the case once read back) counts as new.
  const createdAtMs = millisOf(data.createdAt) ?? Number.POSITIVE_INFINITY;
  return {
    kind,
    createdAtMs,
    sendStarted: typeof data.sendStarted === "boolean" ? data.sendStarted : undefined,
    leaseExpiresAtMs: millisOf(data.leaseExpiresAt),
    fanOut: data.fanOut === "direct" || data.fanOut === "tasks" ? data.fanOut : undefined,
    enqueueing: typeof data.enqueueing === "boolean" ? data.enqueueing : undefined,
    tokens: typeof data.tokens === "number" ? data.tokens : undefined,
  };
}

const count = (value: unknown): number => (typeof value === "number" && value >= 0 ? value : 0);

/**
 * The sweeper's reads and writes of `pushDeliveries` and their `slices`: the docs still `sending` (one
 * equality filter each; the slices through a collection-group query, whose single-field index
 * firestore.indexes.json enables), and the transactions that end them, each re-deciding on the doc as it
 * is then, so a run that ended it in between wins.
 */
export class SweepStore {
  constructor(
    private readonly db: Firestore,
    private readonly deliveries: Pick<DeliveryStore, "ref" | "finishIfAllCounted">,
  ) {}

  /**
   * Slices, then deliveries, still `sending`, a page at a time: a swept slice may be the last of its
   * delivery and end it, so its delivery is read after.
   */
  async *sending(): AsyncGenerator<SendingDoc[]> {
    yield* this.pages("slice");
    yield* this.pages("delivery");
  }

  private async *pages(kind: SendingDoc["kind"]): AsyncGenerator<SendingDoc[]> {
    const base =
      kind === "delivery"
        ? this.db.collection(PUSH_DELIVERIES).where("status", "==", "sending")
        : this.db.collectionGroup(SLICES).where("status", "==", "sending");
    let after: QueryDocumentSnapshot | undefined;
    for (;;) {
      const query = base.limit(PAGE);
      const snapshot = await (after ? query.startAfter(after) : query).get();
      const docs = snapshot.docs.flatMap((doc): SendingDoc[] => {
        const record = sweepRecordOf(kind, doc.data());
        if (!record) return [];
        if (kind === "delivery") return [{ kind, eventId: doc.id, record }];
        const delivery = doc.ref.parent.parent;
        // Only `pushDeliveries/{eventId}/slices/{index}`: another collection named `slices` is not ours.
        if (delivery?.parent.id !== PUSH_DELIVERIES) return [];
        return [{ kind, eventId: delivery.id, index: Number(doc.id), record }];
      });
      if (docs.length > 0) yield docs;
      if (snapshot.docs.length < PAGE) return;
      after = snapshot.docs[snapshot.docs.length - 1];
    }
  }

  /** Ends a delivery through tasks whose slices are all counted, from their counts (sliceTally.ts). */
  async endCounted(eventId: string): Promise<TasksFinished | undefined> {
    return this.deliveries.finishIfAllCounted(eventId);
  }

  /** Ends a delivery still `sending` past its deadline as `failed`, in a transaction. */
  async sweepDelivery(eventId: string, nowMs: number): Promise<SweepResult> {
    const ref = this.deliveries.ref(eventId).withConverter(null);
    return this.db.runTransaction(async (tx) => {
      const data = (await tx.get(ref)).data();
      const record = data && sweepRecordOf("delivery", data);
      const decision = record ? decideSweep(record, nowMs) : { sweep: false as const };
      if (!data || !decision.sweep) return { swept: false };
      // Through tasks, what is unknown is counted by the sweep of each slice that started; a slice never
      // dispatched sent nothing.
      const unknown = decision.fateUnknown && data.fanOut !== "tasks" ? count(data.tokens) : 0;
      tx.update(ref, {
        status: "failed",
        error: decision.error,
        enqueueing: FieldValue.delete(),
        ...(unknown > 0 ? { unknown: FieldValue.increment(unknown) } : {}),
        sweptAt: FieldValue.serverTimestamp(),
        finishedAt: FieldValue.serverTimestamp(),
      });
      return { swept: true, error: decision.error };
    });
  }

  /**
   * Ends a slice still `sending` past its deadline as `failed` and counts it into its delivery (its planned
   * devices `failed`, or, when its send had started, its tokens `unknown`), unless someone counted it
   * already; then ends the delivery if this was its last slice.
   */
  async sweepSlice(eventId: string, index: number, nowMs: number): Promise<SweepResult> {
    const deliveryRef = this.deliveries.ref(eventId);
    const ref = deliveryRef.collection(SLICES).doc(String(index));
    const result = await this.db.runTransaction(async (tx) => {
      const data = (await tx.get(ref)).data();
      const record = data && data.counted !== true ? sweepRecordOf("slice", data) : undefined;
      const decision = record ? decideSweep(record, nowMs) : { sweep: false as const };
      if (!data || !decision.sweep) return { swept: false as const };
      const started = data.sendStarted !== false;
      const planned = count(data.planned);
      const tokens = started ? count(data.tokens ?? planned) : planned;
      const failed = started ? 0 : planned;
      const unknown = started ? tokens : 0;
      tx.update(ref, {
        status: "failed",
        error: decision.error,
        counted: true,
        failed,
        unknown,
        sweptAt: FieldValue.serverTimestamp(),
        finishedAt: FieldValue.serverTimestamp(),
      });
      return { swept: true as const, error: decision.error };
    });
    if (!result.swept) return result;
    return { ...result, finished: await this.deliveries.finishIfAllCounted(eventId) };
  }
}
