import { z } from "zod";
import { FieldPath, FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { Subscriber } from "../commentPush/domain/recipients";
import { converterOf } from "../shared/converter";
import { grpcStatus, hasGrpcCode } from "../shared/grpc";

const timestamp = z.instanceof(Timestamp);

/** `posts/{postId}` as stored (docs/api.md, "Firestore data model"). */
export const postDoc = z.object({
  authorId: z.string().min(1),
  title: z.string(),
  createdAt: timestamp,
});
export type PostDoc = z.infer<typeof postDoc>;

/** `posts/{postId}/comments/{commentId}` as stored. */
export const commentDoc = z.object({
  authorId: z.string().min(1),
  text: z.string().min(1),
  createdAt: timestamp,
});
export type CommentDoc = z.infer<typeof commentDoc>;

/** `posts/{postId}/subscribers/{uid}` as stored. */
export const subscriberDoc = z.object({
  muted: z.boolean(),
  since: timestamp,
});
export type SubscriberDoc = z.infer<typeof subscriberDoc>;

export const postConverter = converterOf(postDoc);
export const commentConverter = converterOf(commentDoc);
export const subscriberConverter = converterOf(subscriberDoc);

export const POSTS = "posts";
export const COMMENTS = "comments";
export const SUBSCRIBERS = "subscribers";
const MUTED = "muted" satisfies keyof SubscriberDoc;

/**
 * Subscribers are read this many at a time (after a first, smaller page: the first pushes need only that),
 * so a post followed by many users never loads in one answer. Only uids and mutes are kept: 5,000 of them are
 * a few hundred KB, and fewer, larger queries cost fewer round trips (and the Firestore emulator, which
 * scans a collection for every page, far less).
 */
export const SUBSCRIBER_PAGE_SIZE = 5_000;
export const FIRST_SUBSCRIBER_PAGE_SIZE = 100;

/** The one place that reads and writes `posts` and their `comments` and `subscribers`. */
export class PostStore {
  constructor(private readonly db: Firestore) {}

  private posts() {
    return this.db.collection(POSTS).withConverter(postConverter);
  }

  private subscribers(postId: string) {
    return this.posts().doc(postId).collection(SUBSCRIBERS).withConverter(subscriberConverter);
  }

  /** The post, or `undefined` when it does not exist (deleted before its comment was handled). */
  async post(postId: string): Promise<PostDoc | undefined> {
    return (await this.posts().doc(postId).get()).data();
  }

  /**
   * A comment as a trigger received it (the event's snapshot data), parsed; `undefined` when it does not
   * have the stored shape (only an Admin SDK write can make one: the rules refuse such a comment).
   */
  parseComment(data: unknown): CommentDoc | undefined {
    const parsed = commentDoc.safeParse(data);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Subscribes `uid` to the post (`muted: false`) unless a subscriber doc exists already: a create, so a
   * user who muted the post stays muted. Reports whether it created the doc.
   */
  async subscribe(postId: string, uid: string): Promise<boolean> {
    try {
      await this.subscribers(postId)
        .doc(uid)
        .create({ muted: false, since: FieldValue.serverTimestamp() as Timestamp });
      return true;
    } catch (error) {
      if (hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)) return false;
      throw error;
    }
  }

  /** The subscriber doc of `uid` on the post, reduced to what the fan-out needs; `undefined` when absent. */
  async subscriber(postId: string, uid: string): Promise<Subscriber | undefined> {
    const doc = await this.subscribers(postId).doc(uid).get();
    const data = doc.data();
    return data ? { uid, muted: data.muted } : undefined;
  }

  /**
   * How many subscribers have not muted the post: one `count()` aggregation on the single-field index of
   * `muted` (billed one read per 1,000 index entries), an upper bound on a comment's recipients before any
   * of them is read.
   */
  async unmutedSubscriberCount(postId: string): Promise<number> {
    const counted = await this.subscribers(postId).where(MUTED, "==", false).count().get();
    return counted.data().count;
  }

  /**
   * Every subscriber of the post, a page of `pageSize` at a time (the first of `firstPageSize`) in document-id order (`startAfter` the last
   * id continues it; the single-field order needs no composite index). Only `muted`
   * is read (a projection), and only each page's uids and mutes are kept: the snapshots are let go.
   */
  async *subscriberPages(
    postId: string,
    pageSize = SUBSCRIBER_PAGE_SIZE,
    firstPageSize = Math.min(pageSize, FIRST_SUBSCRIBER_PAGE_SIZE),
  ): AsyncGenerator<Subscriber[]> {
    let after: string | undefined;
    for (let limit = firstPageSize; ; limit = pageSize) {
      const query = this.subscribers(postId)
        .withConverter(null)
        .orderBy(FieldPath.documentId())
        .select(MUTED)
        .limit(limit);
      const page = await (after === undefined ? query : query.startAfter(after)).get();
      const subscribers = page.docs.map((doc) => ({ uid: doc.id, muted: doc.get(MUTED) === true }));
      if (subscribers.length > 0) yield subscribers;
      if (page.docs.length < limit) return;
      after = page.docs[page.docs.length - 1]?.id;
    }
  }

  /** Every subscriber of the post, in document-id order (a window's digest counts them all at once). */
  async subscribersOf(postId: string, pageSize = SUBSCRIBER_PAGE_SIZE): Promise<Subscriber[]> {
    const all: Subscriber[] = [];
    for await (const page of this.subscriberPages(postId, pageSize)) all.push(...page);
    return all;
  }
}
