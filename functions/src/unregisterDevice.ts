import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import { deviceStore } from "./stores";
import { log } from "./log";
import { deviceIdOf } from "./devices/deviceId";
import { answering, parseRequest, requireUid } from "./callable";
import { requireAppCheck } from "./access";
import { unregisterDeviceRequest } from "./devices/deviceSchemas";

export type UnregisterDeviceResponse = { removed: boolean };

/** Forgets the caller's FCM token (sign-out). Idempotent; never touches another user's device. */
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

export const unregisterDevice = onCall(handleUnregisterDevice);
