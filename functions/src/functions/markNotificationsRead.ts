import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import "../params";
import { deviceStore } from "../devices/lazyDeviceStore";
import { notificationStore } from "../notifications/lazyNotificationStore";
import { markReadRequest, type MarkReadRequest } from "../notifications/markRead";
import { log } from "../log";
import { answering, parseRequest, requireAppCheck, requireUid } from "../shared/callable";

export type MarkNotificationsReadResponse = { unread: number };

/**
 * Marks the caller's feed items read (`{ ids }` of 1..500, or `{ all: true }`) and answers their unread
 * count; when it changed, each of their devices gets a silent badge update (docs/api.md, "The notification
 * feed"). Idempotent; unknown ids are ignored, and another user's items cannot be named.
 */
export async function handleMarkNotificationsRead(
  request: CallableRequest<unknown>,
): Promise<MarkNotificationsReadResponse> {
  const uid = requireUid(request);
  requireAppCheck(request);
  const input = parseRequest("markNotificationsRead", markReadRequest, request.data) as MarkReadRequest;
  return answering("markNotificationsRead", uid, async () => {
    const { changed, unread } = await (await notificationStore()).markRead(uid, input);
    log.notificationsRead({ uid, changed, unread, all: input.all === true });
    if (changed > 0) {
      const [{ sendBadgeUpdates }, { getMessagingClient }, devices] = await Promise.all([
        import("../notifications/sendBadgeUpdates"),
        import("../shared/messaging"),
        deviceStore(),
      ]);
      await sendBadgeUpdates(uid, unread, { devices, sender: getMessagingClient() });
    }
    return { unread };
  });
}

// Small transactions and a handful of messages per call: the SDK's default size is plenty.
export const markNotificationsRead = onCall({ memory: "256MiB" }, handleMarkNotificationsRead);
