import {
  FieldValue,
  Timestamp,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from "firebase-admin/firestore";
import { DEVICES, LAST_SEEN_AT, REJECTED_AT, UID } from "./deviceDoc";
import { LISTED, USER_DEVICES } from "./userDevices";
import { mapWithConcurrency } from "../shared/batches";
import { retryTransient, sleep } from "../shared/writeRetry";
import { senderIdMismatchGraceDays } from "../params";

const REJECTED_CODE = "rejected.code";
/** The code a SENDER_ID_MISMATCH rejection is marked with (firebase-admin's, shared with PERMISSION_DENIED). */
const SENDER_ID_MISMATCH_CODE = "messaging/mismatched-credential";
import { deleteResultOf, type DeleteResult } from "../prune/deleteOutcome";

/**
 * A device as the prune reads it: a projection holding only the field the query orders by and the owner
 * (never the token), and the document's update time, on which its delete is preconditioned.
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
      .select(LAST_SEEN_AT, UID)
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
        .select(REJECTED_AT, REJECTED_CODE, UID)
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
   * The prune's deletes, at most `maxWritesPerSecond` devices a second. Each device doc is deleted with the
   * precondition `lastUpdateTime` = the update time it was read with, in the same batch as its entry in its
   * owner's `userDevices` list (userDevices.ts), so a device written in between (re-registered, marked,
   * moved) is left alone, list entry included: Firestore answers FAILED_PRECONDITION, never retried, and the
   * device counts as `changed`. A page goes out in batches of up to 250 devices; a batch that fails a
   * precondition is sent again one device at a time, so one changed device does not hold back the others.
   */
  deleter(maxWritesPerSecond: number): DeviceDeleter {
    const pace = pacer(maxWritesPerSecond);
    const commit = async (devices: readonly PrunableDevice[]) => {
      const batch = this.db.batch();
      const byOwner = new Map<string, Record<string, FieldValue>>();
      for (const device of devices) {
        batch.delete(device.snapshot.ref, { lastUpdateTime: device.snapshot.updateTime });
        const uid = device.snapshot.get(UID) as unknown;
        if (typeof uid !== "string" || uid === "") continue;
        const entries = byOwner.get(uid) ?? {};
        entries[device.id] = FieldValue.delete();
        byOwner.set(uid, entries);
      }
      for (const [uid, entries] of byOwner) {
        batch.set(this.db.collection(USER_DEVICES).doc(uid), { [LISTED]: entries }, { merge: true });
      }
      await pace(devices.length);
      await retryTransient(() => batch.commit());
    };
    return {
      async deleteUnchanged(devices) {
        const results: DeleteResult[] = [];
        for (let start = 0; start < devices.length; start += PRUNE_BATCH) {
          const part = devices.slice(start, start + PRUNE_BATCH);
          try {
            await commit(part);
            results.push(...part.map((): DeleteResult => ({ outcome: "deleted" })));
          } catch (error) {
            if (deleteResultOf(error).outcome !== "changed") {
              results.push(...part.map(() => deleteResultOf(error)));
              continue;
            }
            results.push(
              ...(await mapWithConcurrency(part, ONE_BY_ONE_CONCURRENCY, (device) =>
                commit([device]).then(
                  (): DeleteResult => ({ outcome: "deleted" }),
                  (one: unknown): DeleteResult => deleteResultOf(one),
                ),
              )),
            );
          }
        }
        return results;
      },
      close: () => Promise.resolve(),
    };
  }
}

/** Devices per batch: each is a delete and a list update, within Firestore's 500 writes a commit. */
const PRUNE_BATCH = 250;
const ONE_BY_ONE_CONCURRENCY = 10;

/** Waits as long as it takes to keep at most `perSecond` writes a second since the first call. */
function pacer(perSecond: number): (writes: number) => Promise<void> {
  let started: number | undefined;
  let sent = 0;
  return async (writes) => {
    started ??= performance.now();
    const due = started + (sent / perSecond) * 1000;
    sent += writes;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  };
}
