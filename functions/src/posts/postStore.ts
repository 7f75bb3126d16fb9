import { z } from "zod";
import { FieldPath, FieldValue, Timestamp, type Firestore } from "firebase-admin/firestore";
import type { Subscriber } from "../push/kinds/comment/recipients";
import { converterOf } from "../shared/converter";
import { grpcStatus, hasGrpcCode } from "../shared/grpc";
import { log } from "../log";
import { FOLD_MARGIN_MS, Roster, type RosterCursor, type RosterState, type SubscriberSince } from "./roster";

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
const SINCE = "since" satisfies keyof SubscriberDoc;

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
  /** `foldMarginMs`: how much older than a read a subscriber doc must be to be folded (roster.ts). */
  constructor(
    private readonly db: Firestore,
    private readonly foldMarginMs = FOLD_MARGIN_MS,
  ) {}

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
   * Every subscriber of the post, a page at a time: first those folded into its roster (a shard doc of up
   * to 5,000 uids each, read one by one), then, `pageSize` at a time (the first of `firstPageSize`), the
   * subscriber docs past the roster's cursor in (`since`, uid) order, folding them into the roster as they
   * are read (roster.ts). `muted` is exact either way: a shard's uid is muted when the query of the post's
   * muted subscribers in that shard's range of (`since`, uid) says so (read beside the shard, so at most a
   * shard's worth of them is ever held, and each is billed once); a doc read past the cursor says it
   * itself. Only each page's uids and mutes are kept: the snapshots are let go.
   */
  async *subscriberPages(
    postId: string,
    pageSize = SUBSCRIBER_PAGE_SIZE,
    firstPageSize = Math.min(pageSize, FIRST_SUBSCRIBER_PAGE_SIZE),
  ): AsyncGenerator<Subscriber[]> {
    const roster = new Roster(this.db, postId, this.foldMarginMs);
    const read = await roster.read();
    // `state` is the roster as this read knows it, while it may still fold; `undefined` once it may not.
    let state: RosterState | undefined = read;
    let after: RosterCursor | undefined;
    for (const [n, shard] of read.shards.entries()) {
      const [uids, muted] = await Promise.all([
        roster.uids(n, shard.size),
        this.mutedBetween(postId, after, shard.through),
      ]);
      if (!uids) {
        // Shorter than the meta doc says: only a hand-edited roster is. Trusted up to the shard before.
        log.rosterShardShort({ postId, shard: n, size: shard.size });
        state = await roster.truncate(read, n, n > 0 ? (state?.tail ?? []) : []).catch(() => undefined);
        break;
      }
      after = shard.through;
      if (state) state = { ...state, tail: uids };
      yield uids.map((uid) => ({ uid, muted: muted.has(uid) }));
    }

    for (let limit = firstPageSize; ; limit = pageSize) {
      const query = this.subscribers(postId)
        .withConverter(null)
        .orderBy(SINCE)
        .orderBy(FieldPath.documentId())
        .select(MUTED, SINCE)
        .limit(limit);
      const page = await (after === undefined ? query : query.startAfter(after.since, after.uid)).get();
      const docs = page.docs.map((doc) => ({
        uid: doc.id,
        muted: doc.get(MUTED) === true,
        since: doc.get(SINCE) as unknown,
      }));
      if (docs.length > 0) yield docs.map(({ uid, muted }) => ({ uid, muted }));
      // Folded while the consumer handles the page just handed over (it asks for the next one at once).
      if (state) state = await this.fold(postId, roster, state, docs, page.readTime);
      if (page.docs.length < limit) return;
      const last = docs[docs.length - 1]!;
      after = { since: last.since as Timestamp, uid: last.uid };
    }
  }

  /** The roster after folding `docs` into it, or `undefined` when this read stops folding (roster.ts). */
  private async fold(
    postId: string,
    roster: Roster,
    state: RosterState,
    docs: readonly SubscriberSince[],
    readTime: Timestamp,
  ): Promise<RosterState | undefined> {
    try {
      return await roster.fold(state, docs, readTime);
    } catch (error) {
      // Another fan-out folded the roster first: it carries on from there, and this read needs no roster.
      if (
        !hasGrpcCode(error, grpcStatus.FAILED_PRECONDITION) &&
        !hasGrpcCode(error, grpcStatus.ALREADY_EXISTS)
      )
        log.rosterFoldFailed({ postId, error });
      return undefined;
    }
  }

  /**
   * The uids of the post's muted subscribers after `after` and up to `through` in (`since`, uid) order (one
   * roster shard's range): one query on the index (`muted`, `since`, `__name__`), billed one read per muted
   * subscriber in the range (one when there is none).
   */
  private async mutedBetween(
    postId: string,
    after: RosterCursor | undefined,
    through: RosterCursor,
  ): Promise<Set<string>> {
    const query = this.subscribers(postId)
      .withConverter(null)
      .where(MUTED, "==", true)
      .orderBy(SINCE)
      .orderBy(FieldPath.documentId())
      .select();
    const page = await (after ? query.startAfter(after.since, after.uid) : query)
      .endAt(through.since, through.uid)
      .get();
    return new Set(page.docs.map((doc) => doc.id));
  }

  /**
   * The post's subscribers whose `since` is later than `afterMs`, a page at a time in `since` order: one
   * query reading only them (a digest's subscribers who subscribed during its window).
   */
  async *subscribedAfter(
    postId: string,
    afterMs: number,
    pageSize = SUBSCRIBER_PAGE_SIZE,
  ): AsyncGenerator<{ uid: string; since: Timestamp }[]> {
    const query = this.subscribers(postId)
      .withConverter(null)
      .where(SINCE, ">", Timestamp.fromMillis(afterMs))
      .orderBy(SINCE)
      .orderBy(FieldPath.documentId())
      .select(SINCE)
      .limit(pageSize);
    for (let cursor: { since: Timestamp; uid: string } | undefined; ;) {
      const page = await (cursor ? query.startAfter(cursor.since, cursor.uid) : query).get();
      const docs = page.docs.flatMap((doc) => {
        const since: unknown = doc.get(SINCE);
        return since instanceof Timestamp ? [{ uid: doc.id, since }] : [];
      });
      if (docs.length > 0) yield docs;
      const last = page.docs[page.docs.length - 1];
      if (page.docs.length < pageSize || !last) return;
      cursor = { since: last.get(SINCE) as Timestamp, uid: last.id };
    }
  }
}
