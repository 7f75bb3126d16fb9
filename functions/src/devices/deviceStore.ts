import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import { deviceIdOf } from "./deviceId";
import {
  DEVICES,
  MAX_DEVICES_PER_USER,
  UID,
  deviceConverter,
  deviceDoc,
  type ActiveDevice,
  type DeviceDoc,
} from "./deviceDoc";
import { devicesToEvict } from "./eviction";
import { isRegistrationFresh } from "./lastSeen";
import { chunk, mapWithConcurrency } from "../shared/batches";
import { errorText } from "../shared/errorText";
import { grpcCodeOf, grpcStatus, hasGrpcCode } from "../shared/grpc";
import { shouldRetryWrite } from "../shared/bulkWrites";
import { log } from "../log";
import type { AudienceGroup } from "../commentPush/domain/slices";

const { ALREADY_EXISTS, FAILED_PRECONDITION, NOT_FOUND } = grpcStatus;

export type Registration = {
  uid: string;
  token: string;
  platform: DeviceDoc["platform"];
  locale?: string | undefined;
  appVersion?: string | undefined;
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
    // Seen less than a day ago, nothing changed: no write (devices/lastSeen.ts).
    const stored = (await ref.get()).data();
    if (
      stored &&
      isRegistrationFresh({ ...stored, lastSeenMillis: stored.lastSeenAt.toMillis() }, fields, Date.now())
    ) {
      return { deviceId, created: false, evicted: [] };
    }

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
      async (group) => (await this.collection().withConverter(null).where(UID, "in", group).get()).docs,
    );
    return pages.flat().flatMap((doc) => {
      // A doc that does not parse is skipped and logged: the rest of the delivery goes on (issue 13).
      const parsed = deviceDoc.safeParse(doc.data());
      if (!parsed.success) {
        log.deviceDocSkipped({ deviceId: doc.id, problems: parsed.error.message.slice(0, 500) });
        return [];
      }
      const device = parsed.data;
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
    writer.onWriteError((error) => shouldRetryWrite(error.code, error.failedAttempts));
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
            const status = grpcCodeOf(error);
            if (status === FAILED_PRECONDITION || status === NOT_FOUND) {
              result.skipped++;
              return;
            }
            result.failed++;
            if (result.failures.length < 10) result.failures.push({ deviceId, error: errorText(error) });
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
}
