import { z } from "zod";
import { Timestamp } from "firebase-admin/firestore";
import { converterOf } from "../shared/converter";
import { platforms, type Platform } from "./platform";

const timestamp = z.instanceof(Timestamp);

/** `devices/{deviceId}` as stored (docs/api.md, "Firestore data model"). */
export const deviceDoc = z.object({
  uid: z.string(),
  token: z.string(),
  platform: z.enum(platforms),
  locale: z.string().nullable(),
  appVersion: z.string().nullable(),
  createdAt: timestamp,
  lastSeenAt: timestamp,
  rejected: z.object({ code: z.string(), at: timestamp }).optional(),
});
export type DeviceDoc = z.infer<typeof deviceDoc>;

export const deviceConverter = converterOf(deviceDoc);

export const DEVICES = "devices";
export const UID = "uid" satisfies keyof DeviceDoc;
export const LAST_SEEN_AT = "lastSeenAt" satisfies keyof DeviceDoc;
export const REJECTED_AT = "rejected.at"; // a map field path: `rejected` of DeviceDoc, then `at`

/** The most devices one user keeps (docs/api.md: registering an 11th removes the least recently seen). */
export const MAX_DEVICES_PER_USER = 10;

/**
 * A device the fan-out may send to: not marked rejected. `updateTime` is its list's update time as read;
 * `seenAtMs` its entry's `lastSeenAt` and `readAtMs` when the list was read (ms, rounded down), for
 * push/domain/heldDevices.ts.
 */
export type ActiveDevice = {
  deviceId: string;
  uid: string;
  token: string;
  platform: Platform;
  locale: string | null;
  updateTime: Timestamp;
  seenAtMs: number;
  readAtMs: number;
};
