/**
 * The one place that reads and writes `pushWindows/{postId}` (the post's coalescing windows, newest first;
 * docs/coalescing.md), a coalesced comment's delivery record, and the comments of a window.
 *
 * A comment inside an open window costs one read of the window doc and one write of its own delivery
 * record: nothing funnels a hot post's comments through one document. The window doc is written once per
 * window, by the comment that opens it, in a transaction that opens it only if no window covers that
 * comment yet (two "first" comments at once open one window; the other is folded into it).
 */
import { z } from "zod";
import { FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import { converterOf } from "../../../../shared/converter";
import { COMMENTS, POSTS, commentConverter } from "../../../../posts/postStore";
import { PUSH_DELIVERIES, expireAtAfter } from "../../../store/deliveryDocs";
import { grpcStatus, hasGrpcCode } from "../../../../shared/grpc";
import {
  decideWindow,
  forgottenThroughAfter,
  opened,
  windowTimeOf,
  withWindow,
  type PushWindow,
  type WindowDecision,
} from "./window";
import type { WindowComment } from "./digestMessage";

export const PUSH_WINDOWS = "pushWindows";

const pushWindow = z.object({
  windowId: z.string().min(1),
  after: z.number(),
  opensAt: z.number(),
  closesAt: z.number(),
});

/** `pushWindows/{postId}`: the kept windows, newest first (times in ms since the epoch). */
export const windowsDoc = z.object({
  windows: z.array(pushWindow),
  /** The latest end of a window no longer kept (window.ts); absent while none was dropped. */
  forgottenThrough: z.number().optional(),
  updatedAt: z.instanceof(Timestamp).optional(),
});
export type WindowsDoc = z.infer<typeof windowsDoc>;
const windowsConverter = converterOf(windowsDoc);

export type CoalescedRecord = {
  postId: string;
  commentId: string;
  /** The digest it was folded into; absent when its window is no longer known (docs/coalescing.md). */
  digestId?: string | undefined;
  windowId?: string | undefined;
};

export class WindowStore {
  constructor(
    private readonly db: Firestore,
    /** Days a coalesced comment's delivery record is kept (its `expireAt`). */
    readonly ttlDays = 30,
  ) {}

  private ref(postId: string) {
    return this.db.collection(PUSH_WINDOWS).withConverter(windowsConverter).doc(postId);
  }

  /**
   * What the comment does (domain/window.ts). One read; a comment that opens a window re-decides in a
   * transaction and writes the window doc only if the decision holds.
   */
  async decide(
    postId: string,
    comment: { commentId: string; createdAt: number },
    windowMs: number,
  ): Promise<WindowDecision> {
    if (windowMs <= 0) return { kind: "off" };
    const stored = (await this.ref(postId).get()).data();
    const first = decideWindow(stored?.windows ?? [], comment, windowMs, stored?.forgottenThrough);
    if (first.kind !== "open") return first;
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(this.ref(postId))).data();
      const windows = doc?.windows ?? [];
      const decision = decideWindow(windows, comment, windowMs, doc?.forgottenThrough);
      if (decision.kind === "open") {
        const forgottenThrough = forgottenThroughAfter(windows, decision.window, doc?.forgottenThrough);
        tx.set(this.ref(postId), {
          windows: withWindow(windows, decision.window),
          ...(Number.isFinite(forgottenThrough) ? { forgottenThrough } : {}),
          updatedAt: FieldValue.serverTimestamp() as Timestamp,
        });
      }
      return decision;
    });
  }

  /**
   * The coalesced comment's delivery record, ended at once. Created only if the event has no record yet: a
   * retry finds its own (the same) and leaves it, and a record a run of the event made before (sending,
   * done or failed) is never overwritten.
   */
  async recordCoalesced(eventId: string, record: CoalescedRecord): Promise<void> {
    await this.db
      .collection(PUSH_DELIVERIES)
      .doc(eventId)
      .create({
        kind: "comment",
        postId: record.postId,
        commentId: record.commentId,
        status: "done",
        coalesced: true,
        ...(record.digestId === undefined ? {} : { digestId: record.digestId, windowId: record.windowId }),
        recipients: 0,
        tokens: 0,
        sent: 0,
        failed: 0,
        rejected: 0,
        retries: 0,
        createdAt: FieldValue.serverTimestamp(),
        finishedAt: FieldValue.serverTimestamp(),
        expireAt: expireAtAfter(this.ttlDays),
      })
      .catch((error: unknown) => {
        if (!hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)) throw error;
      });
  }

  /** Adds what a digest's delivery record says beyond a comment's (its window and what it counted). */
  async describeDigest(
    digestId: string,
    fields: { windowId: string; comments: number; lastCommentId: string },
  ): Promise<void> {
    await this.db.collection(PUSH_DELIVERIES).doc(digestId).update(fields);
  }

  private comments(postId: string) {
    return this.db.collection(POSTS).doc(postId).collection(COMMENTS);
  }

  /**
   * The comments of the window, by a range on `createdAt` (a single-field index): who wrote them and when,
   * whether or not their triggers have run. Its opener is flagged (`opener`): never counted, it only says
   * when its author subscribed.
   */
  async windowComments(postId: string, window: PushWindow): Promise<WindowComment[]> {
    const snapshot = await this.comments(postId)
      .where("createdAt", ">", Timestamp.fromMillis(window.after))
      .where("createdAt", "<=", Timestamp.fromMillis(window.closesAt))
      .select("authorId", "createdAt")
      .get();
    return snapshot.docs.flatMap((doc) => {
      const authorId: unknown = doc.get("authorId");
      const createdAt: unknown = doc.get("createdAt");
      if (typeof authorId !== "string" || !(createdAt instanceof Timestamp)) return [];
      const comment = { commentId: doc.id, authorId, createdAt: windowTimeOf(createdAt) };
      // The opener was pushed on its own; a comment re-created under its id was not.
      return [opened(window, comment) ? { ...comment, opener: true } : comment];
    });
  }

  /** A comment's text, or `undefined` if it was deleted since. */
  async commentText(postId: string, commentId: string): Promise<string | undefined> {
    return (await this.comments(postId).withConverter(commentConverter).doc(commentId).get()).data()?.text;
  }
}
