/**
 * `userDevices/{uid}`: each user's devices on one document, what the fan-out reads per recipient (by key,
 * `getAll`), instead of querying `devices` for `uid in [...]`.
 *
 * Why a per-user document rather than `users/{uid}/devices/{id}`: a comment's fan-out then costs one read
 * per recipient (not one per device, plus a query per 30 recipients), reads by key need no index and scale
 * with the audience rather than the table (the Firestore emulator scans the whole collection for every `in`
 * query: 1.26 s a query at 10,000 devices, against ~0.1 s to `getAll` the same 1,500 by key), and eviction
 * reads the user's devices from the same document. `devices/{sha256(token)}` stays the one place that says
 * who owns a token; this document is its per-owner view.
 *
 * Kept in step by one rule (DeviceStore, DevicePruneStore): every write to a `devices` doc is committed in
 * the same batch as a write to its owner's `userDevices` doc, and that batch is preconditioned on the
 * `userDevices` doc's update time as it was read (or on the device docs it deletes). So the list doc's
 * update time versions all of its user's devices, and a batch built on a stale read fails whole and is
 * read again.
 */
import { z } from "zod";
import { FieldPath, Timestamp, type DocumentReference, type WriteBatch } from "firebase-admin/firestore";
import { converterOf } from "../shared/converter";
import { platforms } from "./platform";

const timestamp = z.instanceof(Timestamp);

/** One device as its owner's list holds it: what a push needs, and what eviction orders by. */
export const listedDevice = z.object({
  token: z.string().min(1),
  platform: z.enum(platforms),
  locale: z.string().nullable(),
  lastSeenAt: timestamp,
  /** Set with the device doc's own mark (FCM refused the token for good): never sent to again. */
  rejected: z.object({ code: z.string(), at: timestamp }).optional(),
});
export type ListedDevice = z.infer<typeof listedDevice>;

/** `userDevices/{uid}` as stored: the user's devices by device id. Server only (firestore.rules). */
export const userDevicesDoc = z.object({
  devices: z.record(z.string(), z.unknown()).default({}),
});
export type UserDevicesDoc = z.infer<typeof userDevicesDoc>;

export const userDevicesConverter = converterOf(userDevicesDoc);

export const USER_DEVICES = "userDevices";
export const LISTED = "devices" satisfies keyof UserDevicesDoc;

/** The field path of one device's entry (device ids are hex, so a path segment of its own). */
export function entryPath(deviceId: string, ...rest: string[]): FieldPath {
  return new FieldPath(LISTED, deviceId, ...rest);
}

/** The entries of a list doc that parse; the others are reported by id (a bad entry never stops a fan-out). */
export function listedEntries(doc: UserDevicesDoc | undefined): {
  entries: [string, ListedDevice][];
  malformed: string[];
} {
  const entries: [string, ListedDevice][] = [];
  const malformed: string[] = [];
  for (const [id, value] of Object.entries(doc?.devices ?? {})) {
    const parsed = listedDevice.safeParse(value);
    if (parsed.success) entries.push([id, parsed.data]);
    else malformed.push(id);
  }
  return { entries, malformed };
}

/** A list doc's data as the fan-out reads it (no converter: one bad doc must not throw for the page). */
export function listOf(data: unknown): UserDevicesDoc | undefined {
  const devices = (data as { devices?: unknown } | undefined)?.devices;
  return devices && typeof devices === "object" ? { devices: devices as Record<string, unknown> } : undefined;
}

/** `batch.update(ref, path1, value1, path2, value2, …, { lastUpdateTime })`, from a flat list of pairs. */
export function updateWithPaths(
  batch: WriteBatch,
  ref: DocumentReference,
  pairs: unknown[],
  lastUpdateTime: Timestamp,
): void {
  const [first, value, ...rest] = pairs;
  (batch.update as (...args: unknown[]) => WriteBatch).call(batch, ref, first, value, ...rest, {
    lastUpdateTime,
  });
}
