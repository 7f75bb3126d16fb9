// What the tests of the follow kind and the push outbox share: devices seeded as registerDevice leaves
// them (functions/src/devices/seed.ts), the delivery records of a kind found by the ids it records, and
// clearing all of it afterwards.
import { Timestamp, type DocumentData, type Firestore } from "firebase-admin/firestore";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { seedDevices, type SeedDevice } from "../../functions/src/devices/seed";
import { USER_DEVICES } from "../../functions/src/devices/userDevices";
import { adminDb, eventually, uniqueToken } from "./emulators";

export type SeededDevice = { uid: string; token: string; locale: string | null };

/**
 * One device per entry, for `uid` with that locale (android and ios in turn); returns them in order. A
 * token `prefix` picks the FCM emulator's answer (e.g. "unregistered": 404 UNREGISTERED).
 */
export async function seedDevicesOf(
  uid: string,
  locales: readonly (string | null)[],
  { db = adminDb(), prefix = "kind" }: { db?: Firestore; prefix?: string } = {},
): Promise<SeededDevice[]> {
  const now = Timestamp.now();
  const devices: SeedDevice[] = locales.map((locale, index) => ({
    uid,
    token: uniqueToken(prefix),
    platform: index % 2 === 0 ? "android" : "ios",
    locale,
    appVersion: "1.0.0",
    createdAt: now,
    lastSeenAt: now,
  }));
  await seedDevices(db, devices);
  return devices.map(({ token, locale }) => ({ uid, token, locale: locale ?? null }));
}

/** Deletes seeded devices and their owners' device lists. */
export async function deleteDevices(devices: readonly SeededDevice[], db: Firestore = adminDb()) {
  const writer = db.bulkWriter({ throttling: false });
  for (const device of devices) void writer.delete(db.collection("devices").doc(deviceIdOf(device.token)));
  for (const uid of new Set(devices.map((device) => device.uid)))
    void writer.delete(db.collection(USER_DEVICES).doc(uid));
  await writer.close();
}

export type DeliveryRecord = DocumentData & { id: string };

/** The `pushDeliveries` docs whose `field` is `value` (the kind's subject, e.g. `requestId`). */
export async function deliveriesWhere(field: string, value: string): Promise<DeliveryRecord[]> {
  const found = await adminDb().collection("pushDeliveries").where(field, "==", value).get();
  return found.docs.map((snapshot) => ({ id: snapshot.id, ...snapshot.data() }));
}

/** Waits until there are `count` such deliveries and none is `sending`; returns them (oldest first). */
export async function endedDeliveriesWhere(
  field: string,
  value: string,
  count = 1,
  timeoutMs = 60_000,
): Promise<DeliveryRecord[]> {
  const found = await eventually(
    () => deliveriesWhere(field, value),
    (deliveries) =>
      deliveries.length >= count && deliveries.every((delivery) => delivery.status !== "sending"),
    timeoutMs,
    200,
  );
  if (found.length < count || found.some((delivery) => delivery.status === "sending"))
    throw new Error(`pushDeliveries where ${field} == ${value}: ${JSON.stringify(found)}`);
  return found.sort((a, b) => (a.createdAt as Timestamp).toMillis() - (b.createdAt as Timestamp).toMillis());
}

/** Deletes the deliveries whose `field` is `value`, with their slices and plans. */
export async function deleteDeliveriesWhere(field: string, value: string): Promise<void> {
  const db = adminDb();
  const found = await db.collection("pushDeliveries").where(field, "==", value).get();
  await Promise.all(found.docs.map((snapshot) => db.recursiveDelete(snapshot.ref)));
}
