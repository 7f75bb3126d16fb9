/**
 * One comment's delivery through the engine (docs/delivery.md): what its push says and who hears it, read
 * from the comment, its post and the post's subscribers.
 */
import { deliverPush, type PushOutcome } from "../../delivery";
import { planOf, type KindPlan } from "../../plan";
import type { TaskFanOut } from "../../deps";
import { readAhead } from "../../audience";
import { commentAudience } from "./audience";
import { commentKind } from "./comment";
import type { CommentContent } from "./content";
import type { CommentCreatedEvent, CommentPushDeps, CommentPushStores } from "./stores";

/** One comment's delivery through the engine, exactly once per event (docs/delivery.md). */
export async function fanOutComment(event: CommentCreatedEvent, deps: CommentPushDeps): Promise<PushOutcome> {
  const { postId, commentId } = event.params;
  return deliverPush(
    { id: event.id, kind: commentKind, subject: { postId, commentId } },
    deps,
    async (tasks) => planOf(await planCommentPush(event, deps.stores, tasks), tasks),
  );
}

/** What the push says and who hears it, read (the engine plans the audience); or why nothing is to be sent. */
export async function planCommentPush(
  event: CommentCreatedEvent,
  stores: CommentPushStores,
  tasks: TaskFanOut | undefined,
): Promise<KindPlan<CommentContent>> {
  const { postId, commentId } = event.params;
  const comment = stores.posts.parseComment(event.data?.data());
  // Only an Admin SDK write can make such a comment (the rules refuse it): retrying would not help.
  if (!comment) return { kind: "skip", skip: "the comment is missing or malformed", status: "failed" };
  const post = await stores.posts.post(postId);
  // Deleted before its comment was handled: nobody to tell, and no subscriber to add.
  if (!post) return { kind: "skip", skip: "the post no longer exists", status: "done" };

  // The audience's first page is read from here on, beside everything else the plan needs: the commenter is
  // never a recipient, so neither the subscription below nor the count depends on it.
  const pages = readAhead(
    commentAudience(stores, { postId, postAuthorId: post.authorId, commentAuthorId: comment.authorId }),
  );
  const [commenterName, subscribers] = await Promise.all([
    stores.users.displayNameOf(comment.authorId),
    // Only when tasks may be needed: the bound decides whether the audience must be measured first.
    tasks ? stores.posts.unmutedSubscriberCount(postId) : Promise.resolve(0),
    // Create-if-absent: idempotent on a retry, and a commenter who muted the post stays muted.
    stores.posts.subscribe(postId, comment.authorId),
  ]);
  const content: CommentContent = {
    postId,
    commentId,
    authorId: comment.authorId,
    postAuthorId: post.authorId,
    ...(commenterName === undefined ? {} : { commenterName }),
    text: comment.text,
  };
  // The post's author, and every subscriber who has not muted it, with at most so many devices each.
  const maxDevices = (subscribers + 1) * stores.devices.maxDevicesPerUser;
  return { content, audience: { pages, maxDevices } };
}
