import { z } from "zod";
import { FieldValue, Timestamp, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
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

/** Subscribers are read this many at a time, so a post followed by many users never loads in one answer. */
export const SUBSCRIBER_PAGE_SIZE = 1_000;

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

  /**
   * Every subscriber of the post, read a page of `pageSize` at a time in document-id order (no `orderBy`:
   * a query without one is ordered by id, and `startAfter` a snapshot continues it; no index needed).
   */
  async subscribersOf(postId: string, pageSize = SUBSCRIBER_PAGE_SIZE): Promise<Subscriber[]> {
    const all: Subscriber[] = [];
    let after: QueryDocumentSnapshot<SubscriberDoc> | undefined;
    for (;;) {
      const query = this.subscribers(postId).limit(pageSize);
      const page = await (after ? query.startAfter(after) : query).get();
      for (const doc of page.docs) all.push({ uid: doc.id, muted: doc.data().muted });
      if (page.docs.length < pageSize) return all;
      after = page.docs[page.docs.length - 1];
    }
  }
}
