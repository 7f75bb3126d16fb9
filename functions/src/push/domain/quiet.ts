/**
 * A push sent during its recipient's quiet hours (docs/api.md, "Notification preferences"): delivered, never
 * held back, but silent on every platform. Pure: the message a kind rendered, made quiet.
 */
import type { PushMessage } from "./message";

/** The Android channel of quiet pushes: the clients create it with low importance (no sound, no heads-up). */
export const QUIET_CHANNEL = "quiet";

/**
 * `message` made silent: APNs passive and without sound, Android on the `quiet` channel at low priority
 * (firebase-admin's `priority: "low"`, on the wire `notification_priority: "PRIORITY_LOW"`),
 * Web `silent`, and `data.quiet: "true"` for the app. Everything else (title, body, data, tag, thread,
 * collapse keys, TTL) is kept.
 */
export function silenced(message: PushMessage): PushMessage {
  const aps = { ...message.apns.payload.aps };
  delete aps.sound;
  return {
    ...message,
    data: { ...message.data, quiet: "true" },
    android: {
      ...message.android,
      notification: {
        ...message.android.notification,
        channelId: QUIET_CHANNEL,
        priority: "low",
      },
    },
    apns: {
      ...message.apns,
      payload: { ...message.apns.payload, aps: { ...aps, "interruption-level": "passive" } },
    },
    webpush: { ...message.webpush, notification: { ...message.webpush.notification, silent: true } },
  };
}
