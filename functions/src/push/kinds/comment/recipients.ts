/**
 * Who is notified of a new comment (docs/api.md, "Who is notified of a new comment"):
 * the post's author and every subscriber of the post, minus the comment's author, minus anyone whose
 * own subscriber doc says `muted: true` (even the post's author), minus anyone who opted out of
 * comment notifications (`notifications/{uid}.preferences.kinds.comments === false`).
 */

/** A `posts/{postId}/subscribers/{uid}` doc, reduced to what the decision needs. */
export type Subscriber = { uid: string; muted: boolean };

/**
 * Of the given uids, the ones whose `notifications/{uid}.preferences.kinds.comments` is `false`.
 * Called once per comment with every candidate (deduplicated), so the store can read them in as few
 * round trips as it likes (`getAll`, or `in` queries of 30 in parallel). A missing user doc is not an
 * opt-out.
 */
export type OptOutLookup = (uids: readonly string[]) => Promise<ReadonlySet<string>>;

export type RecipientQuery = {
  postAuthorId: string;
  commentAuthorId: string;
  subscribers: readonly Subscriber[];
};

/**
 * The candidates before opt-outs are known: post author first, then subscribers in the given order,
 * each uid once, without the commenter and without muted subscribers. Pure and synchronous.
 */
export function recipientCandidates({
  postAuthorId,
  commentAuthorId,
  subscribers,
}: RecipientQuery): string[] {
  const muted = new Set(subscribers.filter((s) => s.muted).map((s) => s.uid));
  const ordered = [postAuthorId, ...subscribers.map((s) => s.uid)];
  const seen = new Set<string>();
  const result: string[] = [];
  for (const uid of ordered) {
    if (uid === "" || uid === commentAuthorId || muted.has(uid) || seen.has(uid)) continue;
    seen.add(uid);
    result.push(uid);
  }
  return result;
}

/** The uids to notify, in `recipientCandidates` order. The opt-out lookup is not called when nobody is left. */
export async function recipientsOf(query: RecipientQuery & { optedOut: OptOutLookup }): Promise<string[]> {
  const candidates = recipientCandidates(query);
  if (candidates.length === 0) return [];
  const optedOut = await query.optedOut(candidates);
  return candidates.filter((uid) => !optedOut.has(uid));
}

/**
 * The candidates of one page of subscribers, for a fan-out that reads them a page at a time: `author` (the
 * post's author, or "" once handled or when they muted the post) first, then the page's subscribers, without
 * the commenter, the muted and the post's author (who is only ever counted through `author`). Pure.
 */
export function pageCandidates({
  postAuthorId,
  author,
  commentAuthorId,
  subscribers,
}: {
  postAuthorId: string;
  author: string;
  commentAuthorId: string;
  subscribers: readonly Subscriber[];
}): string[] {
  return recipientCandidates({
    postAuthorId: author,
    commentAuthorId,
    subscribers: subscribers.filter((s) => s.uid !== postAuthorId),
  });
}
