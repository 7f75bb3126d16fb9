/**
 * When `registerDevice` may leave a device doc alone (docs/api.md, "registerDevice"): clients call it at
 * every app start, and every `lastSeenAt` write is an index write on a monotonically increasing field,
 * which Firestore caps at about 500 writes a second per collection. A doc that already says everything
 * the call would write, seen less than a day ago, is not written again (the prune's staleness is counted
 * in days, so a day-old `lastSeenAt` loses nothing).
 */
import type { DeviceDoc } from "./deviceDoc";

export const LAST_SEEN_REFRESH_MS = 24 * 60 * 60 * 1_000;

/** What a registration writes, but `lastSeenAt`. */
export type RegisteredFields = Pick<DeviceDoc, "uid" | "token" | "platform" | "locale" | "appVersion">;

/**
 * True when `stored` holds `incoming` exactly, is not marked rejected, and was seen less than
 * `LAST_SEEN_REFRESH_MS` before `nowMs` (a `lastSeenAt` in the future counts as fresh).
 */
export function isRegistrationFresh(
  stored: Pick<DeviceDoc, keyof RegisteredFields | "rejected"> & { lastSeenMillis: number },
  incoming: RegisteredFields,
  nowMs: number,
): boolean {
  return (
    stored.rejected === undefined &&
    stored.uid === incoming.uid &&
    stored.token === incoming.token &&
    stored.platform === incoming.platform &&
    stored.locale === incoming.locale &&
    stored.appVersion === incoming.appVersion &&
    nowMs - stored.lastSeenMillis < LAST_SEEN_REFRESH_MS
  );
}
