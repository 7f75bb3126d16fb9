import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import "../params";
import { notificationStore } from "../notifications/lazyNotificationStore";
import { setPreferencesRequest, type Preferences } from "../notifications/preferences";
import { log } from "../log";
import { answering, parseRequest, requireAppCheck, requireUid } from "../shared/callable";

export type SetNotificationPreferencesResponse = { preferences: Preferences };

/**
 * Merges the caller's change into their notification preferences and answers with all of them (docs/api.md,
 * "Notification preferences"). Every fan-out that starts after it returned honours them.
 */
export async function handleSetNotificationPreferences(
  request: CallableRequest<unknown>,
): Promise<SetNotificationPreferencesResponse> {
  const uid = requireUid(request);
  requireAppCheck(request);
  const change = parseRequest("setNotificationPreferences", setPreferencesRequest, request.data);
  return answering("setNotificationPreferences", uid, async () => {
    const preferences = await (await notificationStore()).setPreferences(uid, change);
    log.preferencesSet({
      uid,
      changed: [
        ...Object.keys(change.kinds ?? {}),
        ...(change.quietHours === undefined ? [] : ["quietHours"]),
      ],
    });
    return { preferences };
  });
}

// One small transaction per call: the SDK's default size is plenty.
export const setNotificationPreferences = onCall({ memory: "256MiB" }, handleSetNotificationPreferences);
