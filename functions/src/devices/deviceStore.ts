import { z } from "zod";
import {
  FieldValue,
  Timestamp,
  type Firestore,
  type FirestoreDataConverter,
  type Query,
  type QueryDocumentSnapshot,
} from "firebase-admin/firestore";
import { platforms } from "./deviceSchemas";
import { deviceIdOf } from "./deviceId";
import { devicesToEvict } from "./eviction";
import { ALREADY_EXISTS, FAILED_PRECONDITION, NOT_FOUND, hasGrpcCode } from "../firestoreErrors";
import { deleteResultOf, shouldRetryDelete, type DeleteResult } from "../prune/deleteOutcome";
import { chunk, mapWithConcurrency } from "../push/chunk";
import type { AudienceGroup } from "../push/slices";

const timestamp = z.instanceof(Timestamp);

/** `devices/{deviceId}` as stored (CONTRACT "Firestore data model"). */
export const deviceDoc = z.object({
  uid: z.string(),
  token: z.string(),
  platform: z.enum(platforms),
  locale: z.string().nullable(),
  appVersion: z.string().nullable(),
  createdAt: timestamp,
  lastSeenAt: timestamp,
  lastSentAt: timestamp.optional(),
  rejected: z.object({ code: z.string(), at: timestamp }).optional(),
});
export type DeviceDoc = z.infer<typeof deviceDoc>;

/** Reads parse and check the stored shape; writes pass through (sentinels such as serverTimestamp included). */
export const deviceConverter: FirestoreDataConverter<DeviceDoc> = {
  toFirestore: (device) => device,
  fromFirestore: (snapshot: QueryDocumentSnapshot) => deviceDoc.parse(snapshot.data()),
};

export const DEVICES = "devices";

export type Registration = {
  uid: string;
  token: string;
  platform: DeviceDoc["platform"];
  locale?: string | undefined;
  appVersion?: string | undefined;
};

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

const LAST_SEEN_AT = "lastSeenAt" satisfies keyof DeviceDoc;
const UID = "uid" satisfies keyof DeviceDoc;
const REJECTED_AT = "rejected.at"; // a map field path: `rejected` of DeviceDoc, then `at`

/** The gRPC status and message of a failed BulkWriter operation (a BulkWriterError), or -1 for anything else. */
function statusOf(error: unknown): { code: number; message: string } {
  const message =
    error instanceof Error ? error.message : typeof error === "string" ? error : "unknown error";
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return { code: typeof code === "number" ? code : -1, message };
}

/** A device the fan-out may send to: not marked rejected. `updateTime` is when it was read as such. */
export type ActiveDevice = {
  deviceId: string;
  uid: string;
  token: string;
  platform: DeviceDoc["platform"];
  locale: string | null;
  updateTime: Timestamp;
};

/** A token FCM refused for good, as the fan-out reports it. */
export type Rejection = { deviceId: string; code: string; updateTime?: Timestamp | undefined };

export type MarkRejectedResult = {
  marked: number;
  /** Re-registered or deleted since the fan-out read them: left alone. */
  skipped: number;
  failed: number;
  /** The first few failures, for an error log (device ids only). */
  failures: { deviceId: string; error: string }[];
};

/** Firestore's limit on the values of one `in` filter. */
export const MAX_IN_VALUES = 30;
/** How many `uid in [...]` queries the fan-out runs at once. */
const DEVICE_QUERY_CONCURRENCY = 6;
/** How many `count()` aggregations over `uid in [...]` run at once (each answers one small number). */
const DEVICE_COUNT_CONCURRENCY = 12;
/** The most devices one user keeps (CONTRACT: registering an 11th removes the least recently seen). */
export const MAX_DEVICES_PER_USER = 10;

export type RegistrationResult = {
  deviceId: string;
  created: boolean;
  evicted: string[];
};

/** The one place that reads and writes `devices`. */
export class DeviceStore {
  constructor(
    private readonly db: Firestore,
    /** The most devices one user keeps; the fan-out also uses it as an upper bound on an audience. */
    readonly maxDevicesPerUser = MAX_DEVICES_PER_USER,
  ) {}

  collection() {
    return this.db.collection(DEVICES).withConverter(deviceConverter);
  }

  /**
   * Upserts the caller's device: keeps `createdAt`, refreshes `lastSeenAt`, clears any rejection mark and
   * moves a token registered by someone else to the caller, then evicts the caller's least recently seen
   * devices beyond the limit.
   *
   * Each step is one atomic single-document write (create, else update of every mutable field), not a
   * read-then-write transaction: clients call this at every app start, often for the same token at once
   * (retries, two accounts on one device), and contending transactions wait on each other's locks. With
   * plain writes the last call wins whole, so the document is always consistent, and nothing blocks.
   */
  async register(registration: Registration): Promise<RegistrationResult> {
    const deviceId = deviceIdOf(registration.token);
    const ref = this.collection().doc(deviceId);
    const fields = {
      uid: registration.uid,
      token: registration.token,
      platform: registration.platform,
      locale: registration.locale ?? null,
      appVersion: registration.appVersion ?? null,
      lastSeenAt: FieldValue.serverTimestamp() as Timestamp,
    };

    let created = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ref.create({ ...fields, createdAt: FieldValue.serverTimestamp() as Timestamp });
        created = true;
        break;
      } catch (error) {
        if (!hasGrpcCode(error, ALREADY_EXISTS)) throw error;
      }
      try {
        await ref.update({ ...fields, rejected: FieldValue.delete() });
        break;
      } catch (error) {
        // Deleted between our create and update (sign-out, prune): create it again.
        if (!hasGrpcCode(error, NOT_FOUND) || attempt >= 3) throw error;
      }
    }

    const evicted = await this.evictBeyondLimit(registration.uid, deviceId);
    return { deviceId, created, evicted };
  }

  /**
   * Deletes the user's least recently seen devices beyond the limit (`keep` counts as one of them). Each
   * delete is conditional on the document being unchanged since it was read, so a device that is
   * re-registered meanwhile survives; concurrent registrations choose the same victims.
   */
  private async evictBeyondLimit(uid: string, keep: string): Promise<string[]> {
    const mine = await this.collection().where("uid", "==", uid).get();
    const others = mine.docs.filter((doc) => doc.id !== keep);
    const victims = new Set(
      devicesToEvict(
        others.map((doc) => ({ id: doc.id, lastSeenMillis: doc.data().lastSeenAt.toMillis() })),
        this.maxDevicesPerUser,
      ),
    );
    const evicted: string[] = [];
    await Promise.all(
      others
        .filter((doc) => victims.has(doc.id))
        .map(async (doc) => {
          try {
            await doc.ref.delete({ lastUpdateTime: doc.updateTime });
            evicted.push(doc.id);
          } catch (error) {
            if (!hasGrpcCode(error, FAILED_PRECONDITION) && !hasGrpcCode(error, NOT_FOUND)) throw error;
          }
        }),
    );
    return evicted;
  }

  /**
   * The devices of `uids` that are not marked rejected: one `uid in [...]` query per 30 uids (Firestore's
   * limit for `in`), at most 6 of them at once, so a comment costs ⌈recipients / 30⌉ reads in total rather
   * than one per recipient. The filter is a single field (the automatic index serves it); rejected devices
   * are dropped here rather than by a second filter that would need a composite index.
   */
  async activeDevicesOf(uids: readonly string[]): Promise<ActiveDevice[]> {
    const groups = chunk([...new Set(uids)], MAX_IN_VALUES);
    const pages = await mapWithConcurrency(
      groups,
      DEVICE_QUERY_CONCURRENCY,
      async (group) => (await this.collection().where(UID, "in", group).get()).docs,
    );
    return pages.flat().flatMap((doc) => {
      const device = doc.data();
      if (device.rejected) return [];
      return [
        {
          deviceId: doc.id,
          uid: device.uid,
          token: device.token,
          platform: device.platform,
          locale: device.locale,
          updateTime: doc.updateTime,
        },
      ];
    });
  }

  /**
   * How many devices `uids` have, per group of 30 (one `count()` aggregation over `uid in [...]` each,
   * billed one read per 1,000 index entries, so at least one per group): the sizes a large comment's
   * fan-out is planned with before any device is read. Rejected devices are counted too (the automatic
   * single-field index cannot leave them out), so the counts are an upper bound until the next prune.
   */
  async deviceCountsOf(uids: readonly string[]): Promise<AudienceGroup[]> {
    const groups = chunk([...new Set(uids)], MAX_IN_VALUES);
    return mapWithConcurrency(groups, DEVICE_COUNT_CONCURRENCY, async (group) => ({
      uids: group,
      devices: (await this.collection().where(UID, "in", group).count().get()).data().count,
    }));
  }

  /**
   * Marks each device `rejected: { code, at }` so that it is never sent to again (and the next prune
   * deletes it). When the rejection carries the `updateTime` the device was read with, the mark is
   * conditional on it: a device re-registered since (which clears the mark and may hold a fresh token)
   * is left alone, as is one deleted since. Runs through a BulkWriter (batched, retried on transient errors).
   */
  async markRejected(rejections: readonly Rejection[]): Promise<MarkRejectedResult> {
    const result: MarkRejectedResult = { marked: 0, skipped: 0, failed: 0, failures: [] };
    if (rejections.length === 0) return result;
    const writer = this.db.bulkWriter();
    writer.onWriteError((error) => shouldRetryDelete(error.code, error.failedAttempts));
    const at = FieldValue.serverTimestamp() as Timestamp;
    const writes = rejections.map(({ deviceId, code, updateTime }) =>
      writer
        .update(
          this.collection().doc(deviceId),
          { rejected: { code, at } },
          updateTime ? { lastUpdateTime: updateTime } : { exists: true },
        )
        .then(
          () => {
            result.marked++;
          },
          (error: unknown) => {
            const { code: status, message } = statusOf(error);
            if (status === FAILED_PRECONDITION || status === NOT_FOUND) {
              result.skipped++;
              return;
            }
            result.failed++;
            if (result.failures.length < 10)
              result.failures.push({ deviceId, error: `${status}: ${message}` });
          },
        ),
    );
    await writer.close();
    await Promise.all(writes);
    return result;
  }

  /** Deletes the device of `token` when `uid` owns it; reports whether it did. */
  async unregister(uid: string, token: string): Promise<boolean> {
    const ref = this.collection().doc(deviceIdOf(token));
    return this.db.runTransaction(async (tx) => {
      const current = await tx.get(ref);
      if (!current.exists || current.data()?.uid !== uid) return false;
      tx.delete(ref);
      return true;
    });
  }

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
    const query = this.db.collection(DEVICES).orderBy(REJECTED_AT).select(REJECTED_AT).limit(limit);
    return this.prunablePage(after ? query.startAfter(after.snapshot) : query);
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
    writer.onWriteError((error) => shouldRetryDelete(error.code, error.failedAttempts));
    return {
      async deleteUnchanged(devices) {
        const results = devices.map((device) =>
          writer.delete(device.snapshot.ref, { lastUpdateTime: device.snapshot.updateTime }).then(
            (): DeleteResult => ({ outcome: "deleted" }),
            (error: unknown): DeleteResult => {
              const { code, message } = statusOf(error);
              return deleteResultOf(code, message);
            },
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
