/**
 * The comment_digest kind (docs/coalescing.md; the message: docs/api.md "Coalescing and digests"): one
 * window's digest, delivered by the engine as `pushDeliveries/{digestId}`, with the same gate, audience
 * planning, slices and send path as any kind. Its audience is the post's, streamed page by page like a
 * comment's (nobody is left out for writing a comment: each recipient's `n` leaves out their own, and the
 * comments written before they subscribed), so its memory is a page's whatever the audience, beside the
 * window's comments and the `n` of those who subscribed during the window. The task function:
 * functions/sendCommentDigest.ts.
 */
import { deliverPush, type PushOutcome } from "../../../delivery";
import { planOf, type KindPlan } from "../../../plan";
import { readAhead, type AudiencePage } from "../../../audience";
import { commentAudience } from "../audience";
import type { CommentPushDeps, CommentPushStores } from "../stores";
import {
  digestCountOf,
  lateCounts,
  tallyWindow,
  type DigestContent,
  type WindowComment,
} from "./digestMessage";
import { windowTimeOf } from "./window";
import { commentDigestKind, type DigestPushContent } from "./digestKind";
import { digestIdOf, type DigestTask } from "./digestTask";

type Windows = NonNullable<CommentPushStores["windows"]>;

/** Sends the digest of `task`'s window once (the gate of `pushDeliveries/{digestId}`), after the window's end. */
export async function sendDigest(
  task: DigestTask,
  deps: CommentPushDeps & { stores: { windows: Windows } },
): Promise<PushOutcome> {
  const id = digestIdOf(task.postId, task.window.windowId);
  // The digest's record names the window by its opener's comment id.
  const subject = { postId: task.postId, commentId: task.window.windowId };
  return deliverPush({ id, kind: commentDigestKind, subject }, deps, async (tasks) =>
    planOf(await planDigest(id, task, deps.stores), tasks),
  );
}

/** The digest's plan: the window's comments, what each recipient is told, and the audience as a stream. */
async function planDigest(
  digestId: string,
  { postId, window }: DigestTask,
  stores: CommentPushStores & { windows: Windows },
): Promise<KindPlan<DigestPushContent>> {
  const { windows } = stores;
  const post = await stores.posts.post(postId);
  if (!post) return { kind: "skip", skip: "the post no longer exists", status: "done" };
  const comments = await windows.windowComments(postId, window);
  const tally = tallyWindow(comments);
  const { latest, otherLatest } = tally;
  if (!latest) return { kind: "skip", skip: "no comment left in the window", status: "done" };

  const [shown, other, subscribers, counts] = await Promise.all([
    shownComment(latest),
    otherLatest && shownComment(otherLatest),
    stores.posts.unmutedSubscriberCount(postId),
    countsOfLate(post.authorId),
  ]);
  if (!shown) return { kind: "skip", skip: "the window's latest comment was deleted", status: "done" };
  const digest: DigestContent = {
    windowId: window.windowId,
    postTitle: post.title,
    latest: shown,
    ...(other ? { otherLatest: other } : {}),
    total: tally.total,
    byAuthor: Object.fromEntries(tally.byAuthor),
    ...(Object.keys(counts).length > 0 ? { counts } : {}),
  };
  await windows.describeDigest(digestId, {
    windowId: window.windowId,
    comments: tally.total,
    lastCommentId: latest.commentId,
  });
  // Nobody is left out for writing a comment; whoever wrote every comment of the window has nothing to hear.
  const everyone = commentAudience(stores, { postId, postAuthorId: post.authorId, commentAuthorId: "" });
  const pages = readAhead(withNews(everyone, (uid) => digestCountOf(digest, uid) > 0));
  const maxDevices = (subscribers + 1) * stores.devices.maxDevicesPerUser;
  return { content: { postId, digest }, audience: { pages, maxDevices } };

  /**
   * `n` of those who subscribed since the window began (digestMessage.ts): one query reading only them, and
   * only those whose `n` differs from the tally's are kept (a page of them read at a time).
   */
  async function countsOfLate(postAuthorId: string) {
    const counts: Record<string, number> = {};
    for await (const page of stores.posts.subscribedAfter(postId, window.after)) {
      const late = page.map(({ uid, since }) => ({ uid, since: windowTimeOf(since) }));
      Object.assign(counts, lateCounts(comments, late, postAuthorId));
    }
    return counts;
  }

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
}

/** The pages of `audience` with only the recipients `keep` says have news, and their devices. */
async function* withNews(
  audience: AsyncIterable<AudiencePage>,
  keep: (uid: string) => boolean,
): AsyncGenerator<AudiencePage> {
  for await (const page of audience) {
    const recipients = page.recipients.filter(keep);
    if (recipients.length === 0) continue;
    yield { ...page, recipients, devices: page.devices.filter((device) => keep(device.uid)) };
  }
}
