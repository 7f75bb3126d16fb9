/**
 * After `markNotificationsRead` changed a user's count: a silent badge update to each of their devices, so
 * reading on one clears the badge on all (docs/api.md, "The notification feed"). FCM's answers are handled
 * as any push's (retries, rejected tokens marked); a failure is logged, never the caller's: the items are
 * read either way, and the next push carries the right badge.
 */
import type { DeviceStore } from "../devices/deviceStore";
import type { ActiveDevice } from "../devices/deviceDoc";
import { deliverMessages, type PushSender } from "../push/domain/deliver";
import { defaultRetryPolicy } from "../push/domain/retryPolicy";
import { log } from "../log";
import { badgeUpdate } from "./markRead";

export type BadgeDeps = {
  devices: Pick<DeviceStore, "activeDevicesOf" | "markRejected">;
  sender: PushSender<ReturnType<typeof badgeUpdate>>;
};

/** Sends `unread` to every active device of `uid`; returns how many took it. */
export async function sendBadgeUpdates(uid: string, unread: number, deps: BadgeDeps): Promise<number> {
  try {
    const devices = await deps.devices.activeDevicesOf([uid]);
    if (devices.length === 0) return 0;
    const report = await deliverMessages({
      messages: devices.map((device) => ({
        deviceId: device.deviceId,
        ref: device,
        message: badgeUpdate(device.token, unread),
      })),
      sender: deps.sender,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      now: () => performance.now(),
      policy: defaultRetryPolicy,
      // Collapsed under "badge": a second copy only repeats the count.
      collapseSafe: true,
    });
    if (report.rejected.length > 0) {
      await deps.devices.markRejected(
        report.rejected.map(({ deviceId, code, ref }) => ({
          deviceId,
          uid,
          code,
          updateTime: (ref as ActiveDevice).updateTime,
        })),
      );
    }
    log.badgeUpdatesSent({
      uid,
      unread,
      devices: devices.length,
      sent: report.sent,
      failed: report.failed,
      rejected: report.rejected.length,
    });
    return report.sent;
  } catch (error) {
    log.badgeUpdatesFailed({ uid, error });
    return 0;
  }
}
