/**
 * Devices written straight into Firestore as `registerDevice` leaves them: the device doc and its entry in
 * the owner's `userDevices` list (userDevices.ts), for the scripts, benchmarks and tests that seed devices
 * in bulk without calling the callable once per token. Not used by any function.
 */
import type { Firestore } from "firebase-admin/firestore";
import { deviceIdOf } from "./deviceId";
import { DEVICES, type DeviceDoc } from "./deviceDoc";
import { LISTED, USER_DEVICES, type ListedDevice } from "./userDevices";

/** A device to seed: what its doc holds (`locale`, `appVersion` default to null). */
export type SeedDevice = Omit<DeviceDoc, "locale" | "appVersion"> & {
  locale?: string | null;
  appVersion?: string | null;
};

/** Writes `devices` and their owners' list entries (merged into what the lists hold) through a BulkWriter. */
export async function seedDevices(db: Firestore, devices: readonly SeedDevice[]): Promise<string[]> {
  const writer = db.bulkWriter({ throttling: false });
  const lists = new Map<string, Record<string, ListedDevice>>();
  const ids: string[] = [];
  for (const device of devices) {
    const deviceId = deviceIdOf(device.token);
    ids.push(deviceId);
    const doc: DeviceDoc = {
      ...device,
      locale: device.locale ?? null,
      appVersion: device.appVersion ?? null,
    };
    void writer.set(db.collection(DEVICES).doc(deviceId), doc);
    const entries = lists.get(device.uid) ?? {};
    entries[deviceId] = listEntryOf(doc);
    lists.set(device.uid, entries);
  }
  for (const [uid, entries] of lists) {
    void writer.set(db.collection(USER_DEVICES).doc(uid), { [LISTED]: entries }, { merge: true });
  }
  await writer.close();
  return ids;
}

/** A device doc's entry in its owner's list. */
export function listEntryOf(device: DeviceDoc): ListedDevice {
  return {
    token: device.token,
    platform: device.platform,
    locale: device.locale,
    lastSeenAt: device.lastSeenAt,
    ...(device.rejected ? { rejected: device.rejected } : {}),
  };
}
