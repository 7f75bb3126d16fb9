import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import { deviceStore } from "./stores";
import { log } from "./log";
import { tokenTail } from "./devices/deviceId";
import { answering, parseRequest, requireUid } from "./callable";
import { requireAppCheck } from "./access";
import { registerDeviceRequest } from "./devices/deviceSchemas";

export type RegisterDeviceResponse = { deviceId: string };

/** Registers (or refreshes) the caller's FCM token. Clients call it at every start and token refresh. */
export async function handleRegisterDevice(
  request: CallableRequest<unknown>,
): Promise<RegisterDeviceResponse> {
  const uid = requireUid(request);
  requireAppCheck(request);
  const input = parseRequest("registerDevice", registerDeviceRequest, request.data);
  return answering("registerDevice", uid, async () => {
    const result = await (await deviceStore()).register({ uid, ...input });
    log.deviceRegistered({ uid, tokenTail: tokenTail(input.token), ...result });
    return { deviceId: result.deviceId };
  });
}

export const registerDevice = onCall(handleRegisterDevice);
