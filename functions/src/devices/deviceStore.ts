import {
  FieldValue,
  type DocumentSnapshot,
  type Firestore,
  type Timestamp,
  type WriteBatch,
} from "firebase-admin/firestore";
import { deviceIdOf } from "./deviceId";
import {
  DEVICES,
  MAX_DEVICES_PER_USER,
  deviceConverter,
  type ActiveDevice,
  type DeviceDoc,
} from "./deviceDoc";
import { devicesToEvict } from "./eviction";
import { DEFAULT_REFRESH_MS, isRegistrationFresh } from "./lastSeen";
import {
  USER_DEVICES,
  entryPath,
  listOf,
  listedEntries,
  updateWithPaths,
  userDevicesConverter,
  type ListedDevice,
  type UserDevicesDoc,
} from "./userDevices";
import { chunk, mapWithConcurrency } from "../shared/batches";
import { errorText } from "../shared/errorText";
import { grpcCodeOf, grpcStatus } from "../shared/grpc";
import { retryRaced, retryTransient } from "../shared/writeRetry";
import { log } from "../log";
import type { MarkRejectedResult, Registration, RegistrationResult, Rejection } from "./deviceTypes";
export type { MarkRejectedResult, Registration, RegistrationResult, Rejection } from "./deviceTypes";

const { FAILED_PRECONDITION, NOT_FOUND } = grpcStatus;

/** User docs one `getAll` reads, and how many such reads run at once. */
const LIST_READ_BATCH = 100;
const LIST_READ_CONCURRENCY = 5;
/** Users whose rejection marks are committed at once (one small batch each). */
const MARK_CONCURRENCY = 8;

/** The one place that reads and writes `devices` and `userDevices` for the callables and the fan-out. */
export class DeviceStore {
  constructor(
    private readonly db: Firestore,
    /** The most devices one user keeps. */
    readonly maxDevicesPerUser = MAX_DEVICES_PER_USER,
  ) {}

  private device(deviceId: string) {
    return this.db.collection(DEVICES).withConverter(deviceConverter).doc(deviceId);
  }

  private list(uid: string) {
    return this.db.collection(USER_DEVICES).withConverter(userDevicesConverter).doc(uid);
  }

  /**
   * Upserts the caller's device: keeps `createdAt`, refreshes `lastSeenAt`, clears any rejection mark and
   * moves a token registered by someone else to the caller, and evicts the caller's least recently seen
   * devices beyond the limit: the device doc, the caller's list and the previous owner's list in one batch
   * (userDevices.ts). The batch is preconditioned on every document as it was read, not run as a
   * transaction: clients call this at every app start, often for the same token at once, and contending
   * transactions wait on each other's locks; a batch built on a stale read fails whole and is built again.
   * `refreshMs`: the skip window of an unchanged device (lastSeen.ts, from `TOKEN_STALE_DAYS`).
   */
  async register(registration: Registration, refreshMs = DEFAULT_REFRESH_MS): Promise<RegistrationResult> {
    const deviceId = deviceIdOf(registration.token);
    const fields = {
      uid: registration.uid,
      token: registration.token,
      platform: registration.platform,
      locale: registration.locale ?? null,
      appVersion: registration.appVersion ?? null,
    };
    return retryRaced(async (attempts) => {
      const [device, mine] = (await this.db.getAll(this.device(deviceId), this.list(fields.uid))) as [
        DocumentSnapshot<DeviceDoc>,
        DocumentSnapshot<UserDevicesDoc>,
      ];
      const stored = device.data();
      const listed = listedEntries(mine.data()).entries;
      const inList = listed.find(([id]) => id === deviceId)?.[1];
      // Seen within the skip window, nothing changed, and listed as such: no write (devices/lastSeen.ts).
      if (
        stored &&
        inList &&
        inList.rejected === undefined &&
        isRegistrationFresh(
          { ...stored, lastSeenMillis: stored.lastSeenAt.toMillis() },
          fields,
          Date.now(),
          refreshMs,
        )
      ) {
        return { deviceId, created: false, evicted: [], attempts };
      }

      const now = FieldValue.serverTimestamp() as Timestamp;
      const batch = this.db.batch();
      if (stored) {
        batch.update(
          this.device(deviceId),
          { ...fields, lastSeenAt: now, rejected: FieldValue.delete() },
          { lastUpdateTime: device.updateTime as Timestamp },
        );
      } else {
        batch.create(this.device(deviceId), { ...fields, lastSeenAt: now, createdAt: now });
      }

      const evicted = devicesToEvict(
        listed
          .filter(([id]) => id !== deviceId)
          .map(([id, entry]) => ({ id, lastSeenMillis: entry.lastSeenAt.toMillis() })),
        this.maxDevicesPerUser,
      );
      // The list's precondition covers the victims: every write to them would have written this list too.
      for (const id of evicted) batch.delete(this.device(id));
      const entry: ListedDevice = {
        token: fields.token,
        platform: fields.platform,
        locale: fields.locale,
        lastSeenAt: now,
      };
      if (mine.exists) {
        const updates: unknown[] = [entryPath(deviceId), entry];
        for (const id of evicted) updates.push(entryPath(id), FieldValue.delete());
        updateWithPaths(batch, this.list(fields.uid), updates, mine.updateTime as Timestamp);
      } else {
        batch.create(this.list(fields.uid), { devices: { [deviceId]: entry } });
      }

      // A token registered by someone else moves to the caller: off the previous owner's list.
      const previousOwner = stored && stored.uid !== fields.uid ? stored.uid : undefined;
      if (previousOwner !== undefined) {
        this.unlist(batch, previousOwner, await this.list(previousOwner).get(), deviceId);
      }
      await batch.commit();
      return { deviceId, created: !stored, evicted, attempts };
    });
  }

  /** Deletes the device of `token` when `uid` owns it, and its entry in `uid`'s list; reports whether it did. */
  async unregister(uid: string, token: string): Promise<boolean> {
    const deviceId = deviceIdOf(token);
    return retryRaced(async () => {
      const [device, mine] = await this.db.getAll(this.device(deviceId), this.list(uid));
      if (!device?.exists || device.get("uid") !== uid) return false;
      const batch = this.db.batch();
      batch.delete(this.device(deviceId), { lastUpdateTime: device.updateTime as Timestamp });
      if (mine) this.unlist(batch, uid, mine, deviceId);
      await batch.commit();
      return true;
    });
  }

  /** Adds to `batch` the removal of `deviceId` from `uid`'s list, conditional on the list as `read`. */
  private unlist(batch: WriteBatch, uid: string, read: DocumentSnapshot, deviceId: string): void {
    if (!read.exists) return;
    updateWithPaths(
      batch,
      this.list(uid),
      [entryPath(deviceId), FieldValue.delete()],
      read.updateTime as Timestamp,
    );
  }

  /**
   * The devices of `uids` that are not marked rejected, read by key: one `userDevices` doc per recipient
   * (`getAll`, 100 per round trip, 5 at once), whatever the size of the `devices` table. Each device carries
   * its list's update time, on which a rejection mark is conditional. An entry that does not parse is
   * skipped and logged: the rest of the delivery goes on.
   */
  async activeDevicesOf(uids: readonly string[]): Promise<ActiveDevice[]> {
    const batches = chunk([...new Set(uids)], LIST_READ_BATCH);
    const snapshots = await mapWithConcurrency(batches, LIST_READ_CONCURRENCY, (batch) =>
      this.db.getAll(...batch.map((uid) => this.list(uid).withConverter(null))),
    );
    const active: ActiveDevice[] = [];
    for (const snapshot of snapshots.flat()) {
      if (!snapshot.exists) continue;
      const parsed = listOf(snapshot.data());
      const { entries, malformed } = listedEntries(parsed);
      for (const deviceId of malformed) {
        log.deviceDocSkipped({ deviceId, problems: `userDevices/${snapshot.id}: malformed entry` });
      }
      for (const [deviceId, entry] of entries) {
        if (entry.rejected) continue;
        active.push({
          deviceId,
          uid: snapshot.id,
          token: entry.token,
          platform: entry.platform,
          locale: entry.locale,
          updateTime: snapshot.updateTime as Timestamp,
          seenAtMs: entry.lastSeenAt.toMillis(),
          readAtMs: snapshot.readTime.toMillis(),
        });
      }
    }
    return active;
  }

  /**
   * Marks each device `rejected: { code, at }`, on the device doc and in its owner's list, so that it is
   * never sent to again (and the next prune deletes it). One batch per owner, conditional on the list being
   * unchanged since the fan-out read it: a device re-registered since (which clears the mark), moved to
   * another user or deleted is left alone (`skipped`).
   */
  async markRejected(rejections: readonly Rejection[]): Promise<MarkRejectedResult> {
    const result: MarkRejectedResult = { marked: 0, skipped: 0, failed: 0, failures: [] };
    const byOwner = new Map<string, Rejection[]>();
    for (const rejection of rejections) {
      const mine = byOwner.get(rejection.uid);
      if (mine) mine.push(rejection);
      else byOwner.set(rejection.uid, [rejection]);
    }
    await mapWithConcurrency([...byOwner], MARK_CONCURRENCY, async ([uid, mine]) => {
      const at = FieldValue.serverTimestamp() as Timestamp;
      const commit = async () => {
        const readAt = mine[0]?.updateTime ?? (await this.list(uid).get()).updateTime;
        const batch = this.db.batch();
        const listUpdates: unknown[] = [];
        for (const { deviceId, code } of mine) {
          batch.update(this.device(deviceId), { rejected: { code, at } }, { exists: true });
          listUpdates.push(entryPath(deviceId, "rejected"), { code, at });
        }
        if (readAt) updateWithPaths(batch, this.list(uid), listUpdates, readAt);
        await batch.commit();
      };
      try {
        await retryTransient(commit);
        result.marked += mine.length;
      } catch (error) {
        const status = grpcCodeOf(error);
        if (status === FAILED_PRECONDITION || status === NOT_FOUND) {
          result.skipped += mine.length;
          return;
        }
        result.failed += mine.length;
        for (const { deviceId } of mine) {
          if (result.failures.length < 10) result.failures.push({ deviceId, error: errorText(error) });
        }
      }
    });
    return result;
  }
}
