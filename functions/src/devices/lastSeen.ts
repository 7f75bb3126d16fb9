/**
 * When `registerDevice` may leave a device doc alone (docs/api.md, "registerDevice"): clients call it at
 * every app start, and every `lastSeenAt` write is an index write on a monotonically increasing field,
 * which Firestore caps at about 500 writes a second per collection. A doc that already says everything
 * the call would write, seen less than the skip window ago, is not written again.
 *
 * The rule: the skip window is a thirtieth of `TOKEN_STALE_DAYS`, at most a day (`lastSeenRefreshMs`): a
 * day at the default 30 days, 48 minutes at 1. A skipped call leaves `lastSeenAt` at most that far behind
 * the app's last start, so the prune (which deletes `lastSeenAt` older than `TOKEN_STALE_DAYS`) never
 * deletes a device whose app started within the last 29/30 of the stale period: at most a thirtieth early.
 */
import type { DeviceDoc } from "./deviceDoc";
import { DAY_MS } from "../prune/cutoff";

/** The share of the stale period a skipped registration may leave `lastSeenAt` behind. */
export const LAST_SEEN_SKIP_FRACTION = 1 / 30;

/** The skip window, in ms, for a prune that deletes devices unseen for `staleDays` days. */
export function lastSeenRefreshMs(staleDays: number): number {
  return Math.min(DAY_MS, staleDays * DAY_MS * LAST_SEEN_SKIP_FRACTION);
}

/** The skip window at `TOKEN_STALE_DAYS`' default, 30 (params.ts): a day. */
export const DEFAULT_REFRESH_MS = lastSeenRefreshMs(30);

/** What a registration writes, but `lastSeenAt`. */
export type RegisteredFields = Pick<DeviceDoc, "uid" | "token" | "platform" | "locale" | "appVersion">;

/**
 * True when `stored` holds `incoming` exactly, is not marked rejected, and was seen less than `refreshMs`
 * (`lastSeenRefreshMs`) before `nowMs` (a `lastSeenAt` in the future counts as fresh).
 */
export function isRegistrationFresh(
  stored: Pick<DeviceDoc, keyof RegisteredFields | "rejected"> & { lastSeenMillis: number },
  incoming: RegisteredFields,
  nowMs: number,
  refreshMs: number,
): boolean {
  return (
    stored.rejected === undefined &&
    stored.uid === incoming.uid &&
    stored.token === incoming.token &&
    stored.platform === incoming.platform &&
    stored.locale === incoming.locale &&
    stored.appVersion === incoming.appVersion &&
    nowMs - stored.lastSeenMillis < refreshMs
  );
}
