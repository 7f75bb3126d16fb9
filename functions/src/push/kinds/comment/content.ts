/**
 * What every message of one comment's push is made from: carried by each of its slice tasks, so that every
 * slice composes the same message without reading the comment, the post or the commenter's name again (and
 * a rename during the fan-out cannot split it).
 */
import { z } from "zod";

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
