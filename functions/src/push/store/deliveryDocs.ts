/**
 * The documents of the push engine (docs/api.md `pushDeliveries`; the gate rules in
 * docs/delivery.md): `pushDeliveries/{eventId}` and its `slices/{index}`, their schemas and converters.
 */
import { z } from "zod";
import { FieldValue, Timestamp } from "firebase-admin/firestore";
import { converterOf } from "../../shared/converter";
import { ABANDONED, gateStatuses } from "../domain/gate";

const timestamp = z.instanceof(Timestamp);
const count = z.number().int().min(0);

/** What a delivery counted. */
export const deliveryCounts = z.object({
  recipients: count,
  tokens: count,
  sent: count,
  failed: count,
  rejected: count,
  retries: count,
});
export type DeliveryCounts = z.infer<typeof deliveryCounts>;

/** What one slice counted: the delivery's counts but `recipients` (the delivery knows those). */
export const sliceCounts = deliveryCounts.omit({ recipients: true });
export type SliceCounts = z.infer<typeof sliceCounts>;

/** The fields every gate doc has (docs/delivery.md). */
const gateFields = {
  status: z.enum(gateStatuses),
  error: z.string().optional(),
  createdAt: timestamp,
  finishedAt: timestamp.optional(),
  /** The lease of the run that holds the doc (docs/delivery.md, "Leases"). */
  leaseExpiresAt: timestamp.optional(),
  /** When a TTL policy may delete the doc (docs/coalescing.md, "Keeping delivery records"). */
  expireAt: timestamp.optional(),
};

/** `expireAt` of a record made now and kept `days` days. */
export function expireAtAfter(days: number, nowMs = Date.now()): Timestamp {
  return Timestamp.fromMillis(nowMs + days * 86_400_000);
}

/**
 * `pushDeliveries/{eventId}`: beyond the public fields, `attempts` (runs past the gate), `sendStarted`
 * (whether any message may have gone out) and `error`. Through tasks (`fanOut: "tasks"`) also `audience`
 * (devices counted when planned), `slices`, `slicesDone` and `slicesFailed`; its counts are its slices' sums;
 * `content` (what every slice says) and `enqueueing` (true until every planned slice is enqueued or given up),
 * so a retry of the trigger can resume the enqueueing of the plan recorded in `plan/{index}`.
 */
export const deliveryDoc = deliveryCounts.partial().extend({
  ...gateFields,
  /** The push kind (push/kinds/registry.ts); the kind's subject ids (e.g. `postId`, `commentId`) beside it. */
  kind: z.string().optional(),
  attempts: count.optional(),
  sendStarted: z.boolean().optional(),
  fanOut: z.enum(["direct", "tasks"]).optional(),
  audience: count.optional(),
  slices: count.optional(),
  slicesDone: count.optional(),
  slicesFailed: count.optional(),
  /** What every message is rendered from, as the kind's schema reads it (checked where it is used). */
  content: z.unknown().optional(),
  enqueueing: z.boolean().optional(),
  /** Through tasks: the plan's device cut-off (domain/heldDevices.ts), for a resumed enqueueing. */
  listedBefore: z.number().optional(),
  /** Messages whose fate nobody knows: their run died while sending (set by the sweeper). */
  unknown: count.optional(),
});
export type DeliveryDoc = z.infer<typeof deliveryDoc>;

/**
 * `pushDeliveries/{eventId}/slices/{index}`: one slice's gate and what it counted. `planned` is the devices
 * the slice was planned with (an upper bound), `uids` how many recipients it carries.
 */
export const sliceDoc = sliceCounts.partial().extend({
  ...gateFields,
  index: count,
  attempts: count,
  sendStarted: z.boolean(),
  planned: count,
  uids: count,
  /** Counted into its delivery (by whoever ended it first: its task, the trigger, or the sweeper): final. */
  counted: z.boolean().optional(),
  unknown: count.optional(),
});
export type SliceDoc = z.infer<typeof sliceDoc>;

export const deliveryConverter = converterOf(deliveryDoc);
export const sliceConverter = converterOf(sliceDoc);

export const PUSH_DELIVERIES = "pushDeliveries";
export const SLICES = "slices";
/** `pushDeliveries/{eventId}/plan/{index}`: the slices as planned, recorded before the first enqueue. */
export const PLAN = "plan";

/** One recorded slice of a plan. */
export const plannedSliceDoc = z.object({
  index: count,
  uids: z.array(z.string()).min(1),
  devices: count,
  /** The slice's own content, when its kind narrows the delivery's per slice (`PushKind.forSlice`). */
  content: z.unknown().optional(),
});
export const plannedSliceConverter = converterOf(plannedSliceDoc);

/** A delivery's plan as recorded (its slices: `plannedSlices`); `listedBefore`: domain/heldDevices.ts. */
export type RecordedPlan = {
  content: unknown;
  recipients: number;
  audience: number;
  slices: number;
  listedBefore?: number | undefined;
};

/** A slice as the trigger planned it. */
export type PlannedSlice = {
  index: number;
  uids: readonly string[];
  devices: number;
  content?: unknown;
};

/** How a delivery through tasks ended, when the slice that finished it was the last one. */
export type TasksFinished = {
  status: "done" | "failed";
  counts: DeliveryCounts;
  slices: number;
  slicesFailed: number;
};

/** What a finished run writes: its status, counts and why it failed. */
export type Finished<Counts> = { status: "done" | "failed"; counts: Counts; error?: string | undefined };

/** The fields that end a gate doc. */
export function finishedFields<Counts extends object>(outcome: Finished<Counts>) {
  return {
    ...outcome.counts,
    status: outcome.status,
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    finishedAt: FieldValue.serverTimestamp(),
  };
}

/** The fields that end a run which failed before sending anything (domain/gate.ts `ABANDONED`). */
export function abandonedFields(error: string) {
  return { ...ABANDONED, error, finishedAt: FieldValue.serverTimestamp() };
}
