/**
 * A post's roster: the uids of its subscribers, folded into a few server-only docs, so a comment reads its
 * audience in a few reads rather than one per subscriber (docs/delivery.md, "The subscriber roster").
 *
 *   posts/{postId}/roster/meta  { shards: [{ size, through: { since, uid } }] }
 *   posts/{postId}/roster/{n}   { uids: string[] }          n = 0 … shards.length - 1
 *
 * The invariant: ordered by (`since`, uid), the post's subscribers up to and including the last shard's
 * `through` are, in that order, the first `size` uids of shard 0, then of shard 1, and so on; the others
 * are read from `subscribers` past that cursor. It holds because a subscriber doc's `since` is the time it
 * was committed (the rules require the request time, and the server writes `serverTimestamp()`), so a doc
 * written after a read sorts after every doc that read saw. Only docs at least `FOLD_MARGIN_MS` older than
 * the read are folded, which leaves room for any clock skew between a commit and its timestamp.
 *
 * Who is notified stays exact: the roster says who subscribed, never who muted. A shard's uids are
 * reduced by the post's muted subscribers, read with one query (`muted == true`) each time. Nothing in the
 * app deletes a subscriber doc (the rules refuse it); one deleted by hand stays in the roster until the
 * roster is deleted too (the next comment rebuilds it).
 *
 * Only the fan-out writes the roster, as it reads past the cursor: one batch per page of subscribers,
 * filling the last shard (of `ROSTER_SHARD_SIZE` uids) before starting another, conditional on the meta
 * doc being the one it read. Two fan-outs folding the same post at once: one wins, the other stops folding.
 * A reader takes only the first `size` uids of each shard, so a fold committed while it reads (which
 * appends past `size`) never shows it a subscriber twice.
 */
import { z } from "zod";
import { Timestamp, type DocumentReference, type Firestore } from "firebase-admin/firestore";
import { converterOf } from "../shared/converter";

export const ROSTER = "roster";
const META = "meta";

/** Uids per shard doc: ~150 KB of a doc's 1 MiB, and a page of the fan-out's reading. */
export const ROSTER_SHARD_SIZE = 5_000;
/** A subscriber doc is folded once it is this much older than the read that sees it. */
export const FOLD_MARGIN_MS = 60_000;

const timestamp = z.instanceof(Timestamp);
const cursor = z.object({ since: timestamp, uid: z.string() });
export type RosterCursor = z.infer<typeof cursor>;

const rosterMeta = z.object({
  shards: z.array(z.object({ size: z.number().int().min(0), through: cursor })),
});
const rosterShard = z.object({ uids: z.array(z.string()) });
type RosterMeta = z.infer<typeof rosterMeta>;

const metaConverter = converterOf(rosterMeta);
const shardConverter = converterOf(rosterShard);

/**
 * The roster as read: its shards, the meta doc's update time (`undefined`: no roster yet), and the last
 * shard's uids once read (a fold rewrites that shard with them and what it appends).
 */
export type RosterState = RosterMeta & { updateTime: Timestamp | undefined; tail?: readonly string[] };

/** A subscriber doc read past the cursor, with what folding it needs. */
export type SubscriberSince = { uid: string; since: unknown };

export class Roster {
  constructor(
    private readonly db: Firestore,
    private readonly postId: string,
    private readonly foldMarginMs = FOLD_MARGIN_MS,
  ) {}

  private meta() {
    return this.db.doc(`posts/${this.postId}/${ROSTER}/${META}`).withConverter(metaConverter);
  }

  private shard(n: number): DocumentReference<z.infer<typeof rosterShard>> {
    return this.db.doc(`posts/${this.postId}/${ROSTER}/${n}`).withConverter(shardConverter);
  }

  /**
   * The roster; empty when there is none. A meta doc that does not parse (only a hand-made one can't)
   * reads as empty, so every subscriber is read from `subscribers`; folding then stops at its first write.
   */
  async read(): Promise<RosterState> {
    const snapshot = await this.meta().withConverter(null).get();
    const parsed = rosterMeta.safeParse(snapshot.data());
    if (!snapshot.exists || !parsed.success) return { shards: [], updateTime: undefined };
    return { shards: parsed.data.shards, updateTime: snapshot.updateTime };
  }

  /**
   * Shard `n`'s first `size` uids, or `undefined` when it has fewer (only a hand-edited roster can): the
   * roster is then trusted up to shard `n - 1` and the rest is read from `subscribers`.
   */
  async uids(n: number, size: number): Promise<string[] | undefined> {
    const uids = (await this.shard(n).get()).data()?.uids;
    return uids && uids.length >= size ? uids.slice(0, size) : undefined;
  }

  /**
   * Folds the leading docs of `page` (read past the roster's cursor, in (`since`, uid) order, at
   * `readTime`) that are old enough, in one batch conditional on the roster being `state`. Returns the
   * roster after it; `undefined` when folding must stop: a doc too recent (the rest must stay in order
   * behind it), or the roster changed since it was read (another fan-out folds it).
   */
  async fold(
    state: RosterState,
    page: readonly SubscriberSince[],
    readTime: Timestamp,
  ): Promise<RosterState | undefined> {
    const cutoff = readTime.toMillis() - this.foldMarginMs;
    let end = 0;
    for (const doc of page) {
      if (!(doc.since instanceof Timestamp) || doc.since.toMillis() > cutoff) break;
      end++;
    }
    const folded = page.slice(0, end) as { uid: string; since: Timestamp }[];
    if (folded.length === 0) return undefined;

    const batch = this.db.batch();
    const shards = state.shards.map((shard) => ({ ...shard }));
    const cursorAt = (doc: { uid: string; since: Timestamp }) => ({ since: doc.since, uid: doc.uid });
    const uidsOf = (docs: readonly { uid: string }[]) => docs.map((doc) => doc.uid);
    let rest = folded;
    let tail = state.tail ?? [];
    const last = shards[shards.length - 1];
    if (last && last.size < ROSTER_SHARD_SIZE && tail.length === last.size) {
      const appended = rest.slice(0, ROSTER_SHARD_SIZE - last.size);
      rest = rest.slice(appended.length);
      tail = [...tail, ...uidsOf(appended)];
      // Past the first `size` uids, the appended ones are invisible to readers until the meta doc counts them.
      batch.set(this.shard(shards.length - 1), { uids: tail });
      shards[shards.length - 1] = { size: tail.length, through: cursorAt(appended[appended.length - 1]!) };
    }
    for (let start = 0; start < rest.length; start += ROSTER_SHARD_SIZE) {
      const docs = rest.slice(start, start + ROSTER_SHARD_SIZE);
      tail = uidsOf(docs);
      // A set, not a create: a shard doc past the meta doc's count (left by a roster cut back) is nobody's.
      batch.set(this.shard(shards.length), { uids: tail });
      shards.push({ size: docs.length, through: cursorAt(docs[docs.length - 1]!) });
    }
    const meta: RosterMeta = { shards };
    if (state.updateTime) batch.update(this.meta(), meta, { lastUpdateTime: state.updateTime });
    else batch.create(this.meta(), meta);
    const results = await batch.commit();
    if (end < page.length) return undefined;
    return { shards, updateTime: results[results.length - 1]?.writeTime, tail };
  }

  /**
   * The roster cut back to its first `n` shards (shard `n` was found short; `tail` is shard `n - 1`'s
   * uids), in one write conditional on it being `state`.
   */
  async truncate(state: RosterState, n: number, tail: readonly string[]): Promise<RosterState> {
    const shards = state.shards.slice(0, n);
    const result = await this.meta().update({ shards }, { lastUpdateTime: state.updateTime });
    return { shards, updateTime: result.writeTime, tail };
  }
}
