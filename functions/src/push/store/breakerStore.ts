import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { windowStartOf, windowsRead, type BreakerCounts } from "../domain/breaker";

/** `pushBreaker/{windowStartMs}/shards/{n}`: a sharded counter per window (a doc takes ~1 write a second). */
export const PUSH_BREAKER = "pushBreaker";
/** The shards' collection group (firestore.indexes.json: a TTL policy on `expireAt`, counters unindexed). */
export const BREAKER_SHARDS = "shards";
/**
 * Shards per window: one write a second each at the peak send rate, each send counting once: slices
 * (PUSH_TASKS_MAX_DISPATCHES_PER_SECOND, 15) plus direct sends (COMMENT_TRIGGER_MAX_INSTANCES, 100, ~1 s
 * each). 20 took ~6 writes a second each and contended. Reading a window reads only the shards written.
 */
export const BREAKER_SHARD_COUNT = 128;
const SHARDS = BREAKER_SHARD_COUNT;

/** The credential breaker's counters: one increment per send, a read of two windows only when it must decide. */
export class BreakerStore {
  constructor(
    private readonly db: Firestore,
    private readonly windowMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  private shards(windowStartMs: number) {
    return this.db.collection(PUSH_BREAKER).doc(String(windowStartMs)).collection(BREAKER_SHARDS);
  }

  /** Adds one send's answers to the current window (one write, to a random shard). */
  async count(nowMs: number, counts: BreakerCounts): Promise<void> {
    if (counts.answers === 0) return;
    const shard = Math.floor(this.random() * SHARDS) % SHARDS;
    await this.shards(windowStartOf(nowMs, this.windowMs))
      .doc(String(shard))
      .set(
        {
          answers: FieldValue.increment(counts.answers),
          mismatches: FieldValue.increment(counts.mismatches),
          // For a TTL policy on the collection group (docs/delivery.md): windows are useless after two.
          expireAt: new Date(windowStartOf(nowMs, this.windowMs) + 3 * this.windowMs),
        },
        { merge: true },
      );
  }

  /** The current and previous windows' counts, summed. */
  async read(nowMs: number): Promise<BreakerCounts> {
    const snapshots = await Promise.all(windowsRead(nowMs, this.windowMs).map((w) => this.shards(w).get()));
    const sum: BreakerCounts = { answers: 0, mismatches: 0 };
    for (const doc of snapshots.flatMap((s) => s.docs)) {
      const { answers, mismatches } = doc.data();
      sum.answers += typeof answers === "number" ? answers : 0;
      sum.mismatches += typeof mismatches === "number" ? mismatches : 0;
    }
    return sum;
  }
}
