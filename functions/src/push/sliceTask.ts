/**
 * The payload of one `sendCommentPushSlice` task: one slice of a large comment's audience, and everything
 * the push says, so that every slice composes the same message without reading the comment, the post or
 * the commenter's name again (and a rename during the fan-out cannot split it).
 */
import { z } from "zod";
import { defaultSliceLimits } from "./domain/slices";
import { digestContent } from "./kinds/comment/coalesce/digestMessage";

const id = z.string().min(1).max(1_500);

export const commentContent = z.object({
  postId: id,
  commentId: id,
  /** The commenter. */
  authorId: id,
  /** The post's author: told "on your post" rather than "on a post you follow". */
  postAuthorId: id,
  /** `users/{authorId}.displayName` when the fan-out was planned; absent when the commenter has none. */
  commenterName: z.string().max(1_000).optional(),
  // The rules hold a comment to 2,000 characters; this bound only keeps a task's payload in check, with
  // room for any way of counting them (UTF-16 units, code points).
  text: z.string().min(1).max(8_000),
});
export type CommentContent = z.infer<typeof commentContent>;

export const sliceTask = z.strictObject({
  /** The comment-created event: the delivery `pushDeliveries/{eventId}` this slice belongs to. */
  eventId: id,
  slice: z.strictObject({
    index: z.number().int().min(0),
    /** Recipients whose devices this slice sends to. */
    uids: z.array(id).min(1).max(defaultSliceLimits.maxUids),
    /** Their devices when the fan-out was planned (an upper bound: rejected ones were counted). */
    devices: z.number().int().min(0),
  }),
  content: commentContent,
  /** A window's digest (docs/coalescing.md), its counts those of this slice's recipients. */
  digest: digestContent.optional(),
});
export type SliceTask = z.infer<typeof sliceTask>;

/** Where slices are enqueued: resolves `"duplicate"` when a task of that id exists already. */
export type SliceQueue = {
  enqueue(task: SliceTask, taskId: string): Promise<"enqueued" | "duplicate">;
};
