/** What DeviceStore takes and answers (deviceStore.ts). */
import type { Timestamp } from "firebase-admin/firestore";
import type { DeviceDoc } from "./deviceDoc";

export type Registration = {
  uid: string;
  token: string;
  platform: DeviceDoc["platform"];
  locale?: string | undefined;
  appVersion?: string | undefined;
};

/**
 * A token FCM refused for good, as the fan-out reports it: the device, its owner as the fan-out read it,
 * and `updateTime`, the owner's `userDevices` doc's update time at that read (absent: mark regardless).
 */
export type Rejection = { deviceId: string; uid: string; code: string; updateTime?: Timestamp | undefined };

export type MarkRejectedResult = {
  marked: number;
  /** Re-registered, moved or deleted since the fan-out read them: left alone. */
  skipped: number;
  failed: number;
  /** The first few failures, for an error log (device ids only). */
  failures: { deviceId: string; error: string }[];
};

export type RegistrationResult = {
  deviceId: string;
  created: boolean;
  evicted: string[];
  /** Reads and batches it took: more than 1 when concurrent calls on the same docs overtook it. */
  attempts: number;
};
