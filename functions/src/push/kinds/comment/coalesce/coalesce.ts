/**
 * The trigger's window step (docs/coalescing.md), before any fan-out: a comment inside an open window of
 * its post is folded into the window's digest (its digest task enqueued, its author subscribed, its own
 * delivery record ended `done`, `coalesced: true`), at O(1) reads and writes whatever the audience. Any
 * other comment goes on to the usual fan-out, which the delivery gate keeps to once.
 */
import { log } from "../../../../log";
import type { CommentCreatedEvent, CommentPushStores } from "../stores";
import { windowTimeOf } from "./window";
import { DIGEST_GRACE_MS, digestIdOf, digestTaskIdOf, type DigestQueue } from "./digestTask";

export type Coalescing = {
  /** The window length in ms; 0 turns coalescing off. */
  windowMs: number;
  digests: DigestQueue;
};

export type CoalescedOutcome = { kind: "coalesced"; windowId?: string; digestId?: string };

/** The digest queue, with firebase-admin's task-queue client loaded at the first enqueue. */
export function lazyDigestQueue(): DigestQueue {
  let queue: Promise<DigestQueue> | undefined;
  return {
    async enqueue(task, taskId, scheduleAt) {
      queue ??= import("./digestQueue").then(({ digestQueue }) => digestQueue());
      return (await queue).enqueue(task, taskId, scheduleAt);
    },
  };
}

/**
 * Folds the comment into its window's digest and says so, or returns `undefined` when it is to be fanned
 * out as usual (coalescing off, no window store, the window's opener, or outside every window).
 */
export async function coalesceComment(
  event: CommentCreatedEvent,
  stores: Pick<CommentPushStores, "posts" | "windows">,
  coalescing: Coalescing,
): Promise<CoalescedOutcome | undefined> {
  const { windows, posts } = stores;
  if (!windows || coalescing.windowMs <= 0) return undefined;
  const comment = posts.parseComment(event.data?.data());
  // Malformed: the fan-out records why nothing is sent.
  if (!comment) return undefined;
  const { postId, commentId } = event.params;
  const decision = await windows.decide(
    postId,
    { commentId, createdAt: windowTimeOf(comment.createdAt) },
    coalescing.windowMs,
  );
  const ids = { eventId: event.id, postId, commentId };
  if (decision.kind === "open") log.pushWindowOpened({ ...ids, closesAt: decision.window.closesAt });
  if (decision.kind !== "coalesced" && decision.kind !== "too-late") return undefined;

  if (decision.kind === "too-late") {
    // At or before the end of a window the post no longer keeps: its digest may have counted it already. A
    // lost push is better than a duplicate one (docs/delivery.md).
    log.commentCoalescedLate(ids);
    await posts.subscribe(postId, comment.authorId);
    await windows.recordCoalesced(event.id, { postId, commentId });
    return { kind: "coalesced" };
  }
  const { window } = decision;
  const digestId = digestIdOf(postId, window.windowId);
  // Every comment of the window enqueues the same task; Cloud Tasks keeps one (ALREADY_EXISTS).
  const enqueued = await coalescing.digests.enqueue(
    { postId, window },
    digestTaskIdOf(postId, window.windowId),
    window.closesAt + DIGEST_GRACE_MS,
  );
  // Create-if-absent, as the fan-out does: the commenter hears about the comments after theirs.
  await posts.subscribe(postId, comment.authorId);
  await windows.recordCoalesced(event.id, { postId, commentId, digestId, windowId: window.windowId });
  log.commentCoalesced({ ...ids, windowId: window.windowId, digestId, enqueued });
  return { kind: "coalesced", windowId: window.windowId, digestId };
}
