/**
 * The digest of a coalescing window (docs/coalescing.md; the message: docs/api.md "Digests"): who hears
 * about how many of the window's comments, and the one push each of their devices gets.
 *
 * `n` for a recipient is the window's comments not written by them and written after they subscribed; the
 * body is the latest of those. So only two comments are ever needed to build every body: the window's
 * latest comment, and the latest one by a different author (for the recipient who wrote the latest).
 *
 * Who subscribed when: the post's author and every subscriber older than the window are told of all of its
 * comments (the tally: `total` less their own). A subscriber whose `since` falls after the window's start
 * (read with one query: `lateCounts`) is told only of those written at or after it, or after their own first
 * comment of the window if earlier (a comment subscribes its author a moment after it is written); their
 * `n` is carried in `counts`, ahead of the tally. So nothing is read or held per older subscriber.
 */
import { z } from "zod";
import {
  BODY_MAX_CODE_POINTS,
  displayNameOf,
  languageOf,
  postPlatformBlocks,
  truncateCodePoints,
  type CommentPush,
  type Language,
  type PushDevice,
} from "../compose";

const id = z.string().min(1).max(1_500);

/** A comment a digest may show. */
export const digestComment = z.object({
  commentId: id,
  authorId: id,
  /** `users/{authorId}.displayName` when the digest was planned. */
  name: z.string().max(1_000).optional(),
  text: z.string().min(1).max(8_000),
});
export type DigestComment = z.infer<typeof digestComment>;

/** Everything a digest's messages say, but the per-recipient counts. */
export const digestContent = z.object({
  windowId: id,
  postTitle: z.string().max(1_000),
  latest: digestComment,
  /** The latest comment by someone other than `latest.authorId`, if any. */
  otherLatest: digestComment.optional(),
  /**
   * The window's comments in all and by author, from which each recipient's `n` is worked out as they are
   * sent to (a streamed audience: nothing held per recipient).
   */
  total: z.number().int().min(1).optional(),
  byAuthor: z.record(id, z.number().int().min(1)).optional(),
  /**
   * `n` of given recipients, ahead of the tally for them: those who subscribed during the window (0: none to
   * tell), or a slice's recipients (`digestOfSlice`).
   */
  counts: z.record(id, z.number().int().min(0)).optional(),
});
export type DigestContent = z.infer<typeof digestContent>;

/** A window comment as the digest counts it; its opener (pushed at once) is never counted. */
export type WindowComment = { commentId: string; authorId: string; createdAt: number; opener?: boolean };

/** What the counting needs of a window's comments: how many, by whom, and the two latest that matter. */
export type WindowTally = {
  total: number;
  byAuthor: ReadonlyMap<string, number>;
  latest?: WindowComment | undefined;
  otherLatest?: WindowComment | undefined;
};

/** Tallies the window's comments (any order; ties in `createdAt` broken by comment id). */
export function tallyWindow(comments: readonly WindowComment[]): WindowTally {
  const sorted = counted(comments);
  const byAuthor = new Map<string, number>();
  for (const comment of sorted) byAuthor.set(comment.authorId, (byAuthor.get(comment.authorId) ?? 0) + 1);
  const latest = sorted[sorted.length - 1];
  let otherLatest: WindowComment | undefined;
  for (let i = sorted.length - 1; i >= 0 && latest && !otherLatest; i--) {
    if (sorted[i]?.authorId !== latest.authorId) otherLatest = sorted[i];
  }
  return { total: sorted.length, byAuthor, latest, otherLatest };
}

/** `n` of each candidate: the window's comments not written by them; candidates with none are left out. */
export function digestCounts(tally: WindowTally, candidates: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const uid of candidates) {
    const n = tally.total - (tally.byAuthor.get(uid) ?? 0);
    if (n > 0) counts[uid] = n;
  }
  return counts;
}

/** The comments a digest counts (all but the opener), oldest first; ties in `createdAt` by comment id. */
function counted(comments: readonly WindowComment[]): WindowComment[] {
  return comments
    .filter((comment) => comment.opener !== true)
    .sort(
      (a, b) =>
        a.createdAt - b.createdAt || (a.commentId < b.commentId ? -1 : a.commentId > b.commentId ? 1 : 0),
    );
}

/**
 * `n` of each subscriber who subscribed during the window (`since`, in window time: ms rounded up) where it
 * differs from the tally's: the comments not theirs written at or after the earlier of their `since` and
 * their own first comment of the window (its opener included). The post's author is always told of all.
 */
export function lateCounts(
  comments: readonly WindowComment[],
  late: readonly { uid: string; since: number }[],
  postAuthorId: string,
): Record<string, number> {
  const sorted = counted(comments);
  const firstOwn = new Map<string, number>();
  for (const comment of [...comments].sort((a, b) => a.createdAt - b.createdAt)) {
    if (!firstOwn.has(comment.authorId)) firstOwn.set(comment.authorId, comment.createdAt);
  }
  const counts: Record<string, number> = {};
  for (const { uid, since } of late) {
    if (uid === postAuthorId) continue;
    const from = Math.min(since, firstOwn.get(uid) ?? Infinity);
    const first = sorted[0];
    // Subscribed before every counted comment: the tally says it.
    if (first === undefined || from <= first.createdAt) continue;
    counts[uid] = sorted.filter((c) => c.createdAt >= from && c.authorId !== uid).length;
  }
  return counts;
}

/** `n` of `uid`: its count when the digest carries one, else worked out from the window's tally. */
export function digestCountOf(digest: DigestContent, uid: string): number {
  return digest.counts?.[uid] ?? (digest.total ?? 0) - (digest.byAuthor?.[uid] ?? 0);
}

export type DigestPushData = { type: "comment_digest"; postId: string; count: string; lastCommentId: string };
export type DigestPush = Omit<CommentPush, "data"> & { data: DigestPushData };

export function digestTitle(language: Language, n: number, postTitle: string): string {
  return language === "ko" ? `“${postTitle}”에 새 댓글 ${n}개` : `${n} new comments on “${postTitle}”`;
}

/**
 * The digest push for one device of recipient `device.uid`, who is one of `digest.counts` (the plan sends
 * to no one else).
 */
export function composeDigestPush(
  postId: string,
  digest: DigestContent,
  device: PushDevice & { uid: string },
  ttlSeconds?: number,
  nowMs?: number,
): DigestPush {
  const n = Math.max(0, digestCountOf(digest, device.uid));
  const shown = digest.latest.authorId !== device.uid ? digest.latest : (digest.otherLatest ?? digest.latest);
  const language = languageOf(device.locale);
  const name = displayNameOf(shown.name) ?? (language === "ko" ? "누군가" : "Someone");
  return {
    token: device.token,
    notification: {
      title: digestTitle(language, n, digest.postTitle),
      body: truncateCodePoints(`${name}: ${shown.text}`, BODY_MAX_CODE_POINTS),
    },
    data: { type: "comment_digest", postId, count: String(n), lastCommentId: shown.commentId },
    // A digest collapses under its window: a second copy of it replaces the first.
    ...postPlatformBlocks(postId, digest.windowId, ttlSeconds, nowMs),
  };
}

/** The digest as one slice carries it: the counts of its recipients only (no tally); nothing without one. */
export function digestOfSlice(
  digest: DigestContent | undefined,
  uids: readonly string[],
): { digest?: DigestContent } {
  if (!digest) return {};
  const counts: Record<string, number> = {};
  for (const uid of uids) {
    const n = digestCountOf(digest, uid);
    if (n > 0) counts[uid] = n;
  }
  const sliced: DigestContent = { ...digest, counts };
  delete sliced.total;
  delete sliced.byAuthor;
  return { digest: sliced };
}
