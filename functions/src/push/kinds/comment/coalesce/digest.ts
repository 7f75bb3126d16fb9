/**
 * A window's digest (docs/coalescing.md), through the comment push's own state machine (direct.ts): the
 * digest is an "event" of its own, `pushDeliveries/{digestId}`, with the same gate, the same audience
 * planning and slices, and the same send path; only what it reads and what each device is told differ.
 */
import type { CommentCreatedEvent, CommentPushDeps, CommentPushStores, TaskFanOut } from "../../../deps";
import { fanOutComment, type CommentPushOutcome } from "../../../delivery";
import { digestCounts, tallyWindow, type DigestContent, type WindowComment } from "./digestMessage";
import { recipientsOf } from "../recipients";
import { planAudience, type Plan } from "../../../plan";
import { audienceOf, readAhead } from "../../../audience";
import { digestIdOf, digestTask, type DigestTask } from "./digestTask";

type Windows = NonNullable<CommentPushStores["windows"]>;

/** Sends the digest of `task`'s window once (the gate of `pushDeliveries/{digestId}`), after the window's end. */
export async function sendDigest(
  task: DigestTask,
  deps: CommentPushDeps & { stores: { windows: Windows } },
): Promise<CommentPushOutcome> {
  const event: CommentCreatedEvent = {
    id: digestIdOf(task.postId, task.window.windowId),
    // The digest's record names the window by its opener's comment id.
    params: { postId: task.postId, commentId: task.window.windowId },
    data: { data: () => task },
  };
  return fanOutComment(event, deps, digestPlanner(deps.stores.windows));
}

/** The digest's plan: the window's comments, who hears about how many, and their devices. */
function digestPlanner(windows: Windows) {
  return async (
    event: CommentCreatedEvent,
    stores: CommentPushStores,
    tasks: TaskFanOut | undefined,
  ): Promise<Plan> => {
    const { postId, window } = digestTask.parse(event.data?.data());
    const post = await stores.posts.post(postId);
    if (!post) return { kind: "skip", skip: "the post no longer exists", status: "done" };
    const tally = tallyWindow(await windows.windowComments(postId, window));
    const { latest, otherLatest } = tally;
    if (!latest) return { kind: "skip", skip: "no comment left in the window", status: "done" };

    const candidates = await recipientsOf({
      postAuthorId: post.authorId,
      // Nobody is left out for writing a comment: each recipient's own comments are left out of their n.
      commentAuthorId: "",
      subscribers: await stores.posts.subscribersOf(postId),
      optedOut: (uids) => stores.users.commentOptOutsAmong(uids),
    });
    const counts = digestCounts(tally, candidates);
    const [shown, other] = await Promise.all([
      shownComment(latest),
      otherLatest && shownComment(otherLatest),
    ]);
    if (!shown) return { kind: "skip", skip: "the window's latest comment was deleted", status: "done" };
    const digest: DigestContent = {
      windowId: window.windowId,
      postTitle: post.title,
      latest: shown,
      ...(other ? { otherLatest: other } : {}),
      counts,
    };
    await windows.describeDigest(event.id, {
      windowId: window.windowId,
      comments: tally.total,
      lastCommentId: latest.commentId,
    });
    const content = {
      postId,
      commentId: shown.commentId,
      authorId: shown.authorId,
      postAuthorId: post.authorId,
      ...(shown.name === undefined ? {} : { commenterName: shown.name }),
      text: shown.text,
    };
    const recipients = Object.keys(counts);
    const source = {
      pages: readAhead(audienceOf(stores, recipients)),
      maxDevices: recipients.length * stores.devices.maxDevicesPerUser,
    };
    return { ...(await planAudience(content, source, tasks)), digest };

    async function shownComment(comment: WindowComment) {
      const [text, name] = await Promise.all([
        windows.commentText(postId, comment.commentId),
        stores.users.displayNameOf(comment.authorId),
      ]);
      if (text === undefined) return undefined;
      return {
        commentId: comment.commentId,
        authorId: comment.authorId,
        ...(name === undefined ? {} : { name }),
        text,
      };
    }
  };
}
