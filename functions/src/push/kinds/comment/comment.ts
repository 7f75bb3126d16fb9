/**
 * The comment kind (docs/api.md, "Who is notified of a new comment" and "The push message"): a new
 * `posts/{postId}/comments/{commentId}` fanned out to the post's author and subscribers through the engine,
 * unless coalescing folds it into its window's digest (coalesce/). Its delivery: fanOut.ts; its trigger:
 * functions/onCommentCreated.ts.
 */
import { COMMENT_TRIGGER_TIMEOUT_SECONDS } from "../../../params";
import type { PushKind } from "../../kind";
import { composeCommentPush } from "./compose";
import { commentContent, type CommentContent } from "./content";

export const commentKind: PushKind<CommentContent> = {
  name: "comment",
  content: commentContent,
  preference: () => "comments",
  render: (content, device, options) =>
    composeCommentPush({
      device,
      commenterName: content.commenterName,
      relation: device.uid === content.postAuthorId ? "author" : "subscriber",
      postId: content.postId,
      commentId: content.commentId,
      authorId: content.authorId,
      text: content.text,
      ttlSeconds: options.ttlSeconds,
      nowMs: options.nowMs,
    }),
  timeoutSeconds: COMMENT_TRIGGER_TIMEOUT_SECONDS,
};
