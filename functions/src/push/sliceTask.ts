/**
 * The payload of one `sendPushSlice` task: one slice of a large audience, of any kind, and the kind's
 * content every message of the delivery is rendered from (validated by the kind's own schema when the task
 * runs: push/slice.ts).
 */
import { z } from "zod";
import { defaultSliceLimits } from "./domain/slices";

const id = z.string().min(1).max(1_500);

export const sliceTask = z.strictObject({
  /** The push kind (push/kinds/registry.ts): how the content is read and rendered. */
  kind: z.string().min(1).max(100),
  /** The delivery `pushDeliveries/{eventId}` this slice belongs to (its triggering event's id). */
  eventId: id,
  slice: z.strictObject({
    index: z.number().int().min(0),
    /** Recipients whose devices this slice sends to. */
    uids: z.array(id).min(1).max(defaultSliceLimits.maxUids),
    /** Their devices when the fan-out was planned (an upper bound: rejected ones were counted). */
    devices: z.number().int().min(0),
  }),
  /** The kind's content: checked against the kind's schema before anything is sent. */
  content: z.unknown(),
  /**
   * Devices are sent to only if listed before this (ms; push/domain/heldDevices.ts): the delivery's first
   * read of a device list. Absent in tasks enqueued before the rule: no check.
   */
  listedBefore: z.number().optional(),
});
export type SliceTask = z.infer<typeof sliceTask>;

/** Where slices are enqueued: resolves `"duplicate"` when a task of that id exists already. */
export type SliceQueue = {
  enqueue(task: SliceTask, taskId: string): Promise<"enqueued" | "duplicate">;
};
