/**
 * Badges (docs/api.md, "The notification feed"): every push carries its recipient's unread count, its own
 * feed item included, on every platform. Pure.
 */
import type { PushMessage } from "./message";

/** `message` with the badge `unread`: APNs `aps.badge`, Android `notificationCount`, `data.unread`. */
export function withBadge(message: PushMessage, unread: number): PushMessage {
  return {
    ...message,
    data: { ...message.data, unread: String(unread) },
    android: {
      ...message.android,
      notification: { ...message.android.notification, notificationCount: unread },
    },
    apns: {
      ...message.apns,
      payload: { ...message.apns.payload, aps: { ...message.apns.payload.aps, badge: unread } },
    },
  };
}
