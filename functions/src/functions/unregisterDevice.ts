import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import "../params";
import { deviceIdOf } from "../devices/deviceId";
import { unregisterDeviceRequest } from "../devices/deviceSchemas";
import { deviceStore } from "../devices/lazyDeviceStore";
import { log } from "../log";
import { answering, parseRequest, requireAppCheck, requireUid } from "../shared/callable";

export type UnregisterDeviceResponse = { removed: boolean };

/** Forgets the caller's FCM token (sign-out; docs/api.md). Idempotent; never touches another user's device. */
export async function handleUnregisterDevice(
  request: CallableRequest<unknown>,
): Promise<UnregisterDeviceResponse> {
  const uid = requireUid(request);
  requireAppCheck(request);
  const input = parseRequest("unregisterDevice", unregisterDeviceRequest, request.data);
  return answering("unregisterDevice", uid, async () => {
    const removed = await (await deviceStore()).unregister(uid, input.token);
    log.deviceUnregistered({ uid, deviceId: deviceIdOf(input.token), removed });
    return { removed };
  });
}

// One small write per call: the SDK's default size is plenty (the global options give the others 512MiB).
export const unregisterDevice = onCall({ memory: "256MiB" }, handleUnregisterDevice);
