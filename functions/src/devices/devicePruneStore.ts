import { Timestamp, type Firestore, type Query, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { DEVICES, LAST_SEEN_AT, REJECTED_AT } from "./deviceDoc";
import { shouldRetryWrite } from "../shared/bulkWrites";
import { senderIdMismatchGraceDays } from "../params";

const REJECTED_CODE = "rejected.code";
/** The code a SENDER_ID_MISMATCH rejection is marked with (firebase-admin's, shared with PERMISSION_DENIED). */
const SENDER_ID_MISMATCH_CODE = "messaging/mismatched-credential";
import { deleteResultOf, type DeleteResult } from "../prune/deleteOutcome";

/**
 * A device as the prune reads it: a projection holding only the field the query orders by (never the
 * token), and the document's update time, on which its delete is preconditioned.
 */
export type PrunableDevice = { id: string; snapshot: QueryDocumentSnapshot };

/** Deletes devices read by the prune, each only if unchanged since; `close` when done. */
export type DeviceDeleter = {
  deleteUnchanged(devices: PrunableDevice[]): Promise<DeleteResult[]>;
  close(): Promise<void>;
};

/** The devices the daily prune reads and deletes: stale and rejected ones, a page at a time. */
export class DevicePruneStore {
  constructor(private readonly db: Firestore) {}

  /**
   * A page of the devices last seen strictly before `cutoffMillis`, oldest first, after `after`. The cutoff
   * is a `Timestamp`, as `lastSeenAt` is (a number would match nothing: Firestore orders numbers before
   * timestamps). Single-field range and order on `lastSeenAt`: Firestore's automatic index serves it.
   */
  async stalePage(
    cutoffMillis: number,
    after: PrunableDevice | undefined,
    limit: number,
  ): Promise<PrunableDevice[]> {
    const query = this.db
      .collection(DEVICES)
      .where(LAST_SEEN_AT, "<", Timestamp.fromMillis(cutoffMillis))
      .orderBy(LAST_SEEN_AT)
      .select(LAST_SEEN_AT)
      .limit(limit);
    return this.prunablePage(after ? query.startAfter(after.snapshot) : query);
  }

  /**
   * A page of the devices marked rejected (any age), in the order they were marked, after `after`. Ordering
   * by `rejected.at` keeps only documents that have it; the automatic single-field index serves it.
   */
  async rejectedPage(after: PrunableDevice | undefined, limit: number): Promise<PrunableDevice[]> {
    // Tokens rejected for SENDER_ID_MISMATCH are kept SENDER_ID_MISMATCH_GRACE_DAYS (issue 13): a deploy with
    // the wrong credentials can be rolled back without losing them. Pages skip them and read on to fill up.
    const graceCutoff = Date.now() - senderIdMismatchGraceDays() * 86_400_000;
    const inGrace = (doc: QueryDocumentSnapshot) =>
      doc.get(REJECTED_CODE) === SENDER_ID_MISMATCH_CODE &&
      (doc.get(REJECTED_AT) as Timestamp | undefined)?.toMillis() !== undefined &&
      (doc.get(REJECTED_AT) as Timestamp).toMillis() > graceCutoff;
    const kept: PrunableDevice[] = [];
    let cursor = after?.snapshot;
    for (;;) {
      const query = this.db
        .collection(DEVICES)
        .orderBy(REJECTED_AT)
        .select(REJECTED_AT, REJECTED_CODE)
        .limit(limit);
      const docs = (await (cursor ? query.startAfter(cursor) : query).get()).docs;
      for (const snapshot of docs)
        if (!inGrace(snapshot) && kept.length < limit) kept.push({ id: snapshot.id, snapshot });
      if (kept.length >= limit || docs.length < limit) return kept;
      cursor = docs[docs.length - 1];
    }
  }

  private async prunablePage(query: Query): Promise<PrunableDevice[]> {
    return (await query.get()).docs.map((snapshot) => ({ id: snapshot.id, snapshot }));
  }

  /**
   * A BulkWriter for the prune's deletes, throttled to at most `maxWritesPerSecond`. Each delete carries
   * the precondition `lastUpdateTime` = the update time it was read with, so a device written in between
   * (re-registered, marked, moved) is left alone: Firestore answers FAILED_PRECONDITION, which is never
   * retried and counts as `changed`.
   */
  deleter(maxWritesPerSecond: number): DeviceDeleter {
    const writer = this.db.bulkWriter({
      throttling: {
        // Both ends: BulkWriter would otherwise start at 500/s and ramp by half every 5 minutes, so a raised
        // rate would only take effect well into a long run.
        initialOpsPerSecond: maxWritesPerSecond,
        maxOpsPerSecond: maxWritesPerSecond,
      },
    });
    writer.onWriteError((error) => shouldRetryWrite(error.code, error.failedAttempts));
    return {
      async deleteUnchanged(devices) {
        const results = devices.map((device) =>
          writer.delete(device.snapshot.ref, { lastUpdateTime: device.snapshot.updateTime }).then(
            (): DeleteResult => ({ outcome: "deleted" }),
            (error: unknown): DeleteResult => deleteResultOf(error),
          ),
        );
        // BulkWriter sends full batches of 20 as they fill; flushing sends this page's last, partial one.
        void writer.flush();
        return Promise.all(results);
      },
      close: () => writer.close(),
    };
  }
}
