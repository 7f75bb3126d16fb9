import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { BeginResult } from "../domain/gate";
import {
  PLAN,
  PUSH_DELIVERIES,
  abandonedFields,
  deliveryConverter,
  expireAtAfter,
  finishedFields,
  plannedSliceConverter,
  type DeliveryCounts,
  type Finished,
  type PlannedSlice,
  type RecordedPlan,
  type TasksFinished,
} from "./deliveryDocs";
import { passGate } from "./gateTransaction";
import { finishIfAllCounted } from "./sliceTally";

/** Runs of one event (or slice) that may get past the gate (a failure before any send lets the next retry in). */
export const MAX_GATE_ATTEMPTS = 5;

/** A run's write found its record no longer `sending` under its attempt: swept, or taken over. */
export class LeaseLostError extends Error {
  constructor(eventId: string, attempt: number, status: string) {
    super(
      `pushDeliveries/${eventId} is no longer held by attempt ${attempt} (status ${status}); nothing written`,
    );
    this.name = "LeaseLostError";
  }
}

/** Plan docs written or read at a time. */
const PLAN_PAGE = 100;

/** How a store's gate is set: attempts, and the lease a run takes (its function's timeout plus a margin). */
export type GateSettings = {
  maxAttempts: number;
  leaseMs: number;
  clock?: () => number;
  /** Days a delivery record is kept (its `expireAt`, for a TTL policy: docs/coalescing.md). */
  ttlDays?: number;
  /** `leaseMs` holds for every run, whatever lease `begin` is asked for (the crash drills' short one). */
  leaseFixed?: boolean;
};

/** The one place that reads and writes `pushDeliveries/{eventId}` (its slices: SliceStore). */
export class DeliveryStore {
  readonly maxAttempts: number;
  readonly leaseMs: number;
  readonly ttlDays: number;
  private readonly clock: () => number;
  private readonly leaseFixed: boolean;

  constructor(
    private readonly db: Firestore,
    settings: GateSettings,
  ) {
    this.maxAttempts = settings.maxAttempts;
    this.leaseMs = settings.leaseMs;
    this.clock = settings.clock ?? Date.now;
    this.ttlDays = settings.ttlDays ?? 30;
    this.leaseFixed = settings.leaseFixed ?? false;
  }

  /** The delivery doc of an event (SliceStore writes a slice's counts to it in the slice's own batch). */
  ref(eventId: string) {
    return this.db.collection(PUSH_DELIVERIES).withConverter(deliveryConverter).doc(eventId);
  }

  private planRef(eventId: string) {
    return this.ref(eventId).collection(PLAN).withConverter(plannedSliceConverter);
  }

  /**
   * The gate of the event's delivery (docs/delivery.md): whether this run owns it, and for what. A new
   * record gets `subject` (its `kind` and the kind's ids); `leaseMs` is the run's (its kind's timeout and a
   * margin: lease.ts), the store's own when absent.
   */
  async begin(
    eventId: string,
    subject: { kind: string } & Record<string, string>,
    leaseMs: number = this.leaseMs,
  ): Promise<BeginResult> {
    return passGate(
      this.db,
      this.ref(eventId),
      {
        ...subject,
        status: "sending",
        attempts: 1,
        sendStarted: false,
        createdAt: FieldValue.serverTimestamp() as Timestamp,
        expireAt: expireAtAfter(this.ttlDays),
      },
      { maxAttempts: this.maxAttempts, leaseMs: this.leaseFixed ? this.leaseMs : leaseMs },
      this.clock,
    );
  }

  /**
   * A write of the run that holds the delivery: with `attempt` (the run's, from `begin`), only while the
   * record is still `sending` under that attempt, in a transaction, so a run whose record was swept or taken
   * over never writes over what happened since (`LeaseLostError`); without it, a plain update.
   */
  private async ownedUpdate(eventId: string, attempt: number | undefined, fields: object): Promise<void> {
    if (attempt === undefined) {
      await this.ref(eventId).update(fields);
      return;
    }
    const raw = this.ref(eventId).withConverter(null);
    await this.db.runTransaction(async (tx) => {
      const record = (await tx.get(raw)).data();
      if (record?.status !== "sending" || record.attempts !== attempt) {
        throw new LeaseLostError(eventId, attempt, String(record?.status));
      }
      tx.update(raw, fields);
    });
  }

  /** Records that messages are about to go out: from now on this event is never sent again. */
  async sendStarting(
    eventId: string,
    /** When known before sending (an audience read whole); a streamed one is counted at `finish`. */
    counts?: Pick<DeliveryCounts, "recipients" | "tokens">,
    attempt?: number,
  ): Promise<void> {
    await this.ownedUpdate(eventId, attempt, { ...counts, fanOut: "direct", sendStarted: true });
  }

  /**
   * A page of a streamed audience is about to be sent: its recipients and devices are added to the
   * delivery's counts first, so a run that dies mid-send leaves the sweeper an upper bound on the messages
   * whose fate is unknown (`tokens`). `finish` then writes the counts whole.
   */
  async audienceRead(eventId: string, page: Pick<DeliveryCounts, "recipients" | "tokens">): Promise<void> {
    await this.ref(eventId).update({
      recipients: FieldValue.increment(page.recipients),
      tokens: FieldValue.increment(page.tokens),
    });
  }

  /** Ends the delivery with its status and counts. */
  async finish(eventId: string, outcome: Finished<DeliveryCounts>, attempt?: number): Promise<void> {
    await this.ownedUpdate(eventId, attempt, finishedFields(outcome));
  }

  /** Ends a run that failed before sending anything; the next run's `begin` decides whether to try again. */
  async abandon(eventId: string, error: string, attempt?: number): Promise<void> {
    await this.ownedUpdate(eventId, attempt, abandonedFields(error));
  }

  /**
   * Records the plan of a delivery through tasks before anything is enqueued: each slice in `plan/{index}`,
   * then the delivery's `fanOut: "tasks"`, `content`, `enqueueing: true`, zeroed counts and `sendStarted`
   * (tasks may run from the first enqueue on). From then on the event is never planned again; a run whose
   * lease ran out while enqueueing is resumed from this record (`plannedSlices`).
   */
  async tasksPlanned(
    eventId: string,
    plan: Omit<RecordedPlan, "slices"> & { slices: readonly PlannedSlice[] },
    attempt?: number,
  ): Promise<void> {
    for (let start = 0; start < plan.slices.length; start += PLAN_PAGE) {
      const batch = this.db.batch();
      for (const slice of plan.slices.slice(start, start + PLAN_PAGE)) {
        batch.set(this.planRef(eventId).doc(String(slice.index)), {
          index: slice.index,
          uids: [...slice.uids],
          devices: slice.devices,
          ...(slice.content === undefined ? {} : { content: slice.content }),
        });
      }
      await batch.commit();
    }
    await this.ownedUpdate(eventId, attempt, {
      recipients: plan.recipients,
      audience: plan.audience,
      slices: plan.slices.length,
      content: plan.content,
      ...(plan.listedBefore === undefined ? {} : { listedBefore: plan.listedBefore }),
      fanOut: "tasks",
      enqueueing: true,
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

  /** The recorded plan of a delivery through tasks, for a run that resumes its enqueueing. */
  async recordedPlan(eventId: string): Promise<RecordedPlan | undefined> {
    const delivery = (await this.ref(eventId).get()).data();
    if (delivery?.content === undefined) return undefined;
    return {
      ...(delivery.listedBefore === undefined ? {} : { listedBefore: delivery.listedBefore }),
      content: delivery.content,
      recipients: delivery.recipients ?? 0,
      audience: delivery.audience ?? 0,
      slices: delivery.slices ?? 0,
    };
  }

  /**
   * The recorded slices, a page at a time (memory stays flat however many there are). Only the first
   * `count` (the plan the delivery recorded): an earlier attempt that failed before recording its plan may
   * have left more docs, planned differently.
   */
  async *plannedSlices(eventId: string, count: number): AsyncGenerator<PlannedSlice[]> {
    let after: number | undefined;
    for (;;) {
      let query = this.planRef(eventId).where("index", "<", count).orderBy("index").limit(PLAN_PAGE);
      if (after !== undefined) query = query.startAfter(after);
      const page = (await query.get()).docs.map((doc) => doc.data());
      if (page.length === 0) return;
      yield page;
      after = page[page.length - 1]?.index;
      if (page.length < PLAN_PAGE) return;
    }
  }

  /** Every planned slice is enqueued (or given up and counted): the enqueueing is over for good. */
  async enqueued(eventId: string): Promise<void> {
    await this.ref(eventId).update({ enqueueing: false });
  }

  /** Extends the lease of the run that holds the delivery (a long enqueueing). */
  async renewLease(eventId: string): Promise<void> {
    await this.ref(eventId).update({ leaseExpiresAt: Timestamp.fromMillis(this.clock() + this.leaseMs) });
  }

  /**
   * Ends a delivery through tasks once every slice is counted, from the slices' own counts (sliceTally.ts).
   * Safe to call from anywhere, any number of times: it acts once.
   */
  async finishIfAllCounted(eventId: string): Promise<TasksFinished | undefined> {
    return finishIfAllCounted(this.db, this.ref(eventId), eventId);
  }
}
