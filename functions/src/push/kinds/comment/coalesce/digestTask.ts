/**
 * The payload and the ids of one `sendCommentDigest` task: the digest of one post's window. The ids are
 * derived from the post and the window, so every comment folded into the window enqueues the same task
 * (Cloud Tasks refuses the copies: ALREADY_EXISTS) and the digest has one delivery record.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const digestTask = z.strictObject({
  postId: z.string().min(1).max(1_500),
  window: z.strictObject({
    windowId: z.string().min(1).max(1_500),
    after: z.number(),
    opensAt: z.number(),
    closesAt: z.number(),
  }),
});
export type DigestTask = z.infer<typeof digestTask>;

/** Where digests are enqueued, to be dispatched at `scheduleAt` (ms); `"duplicate"` when the task exists. */
export type DigestQueue = {
  enqueue(task: DigestTask, taskId: string, scheduleAt: number): Promise<"enqueued" | "duplicate">;
};

function windowHash(postId: string, windowId: string): string {
  return createHash("sha256").update(`${postId}/${windowId}`, "utf8").digest("hex").slice(0, 32);
}

/** The digest's delivery record: `pushDeliveries/{digestId}`. */
export function digestIdOf(postId: string, windowId: string): string {
  return `digest-${windowHash(postId, windowId)}`;
}

/** The Cloud Tasks task id (`[A-Za-z0-9_-]`, hashed so ids do not share a prefix). */
export function digestTaskIdOf(postId: string, windowId: string): string {
  return `cd-${windowHash(postId, windowId)}`;
}

/** Seconds after a window's end before its digest reads the window: writes committed by then are counted. */
export const DIGEST_GRACE_MS = 3_000;
