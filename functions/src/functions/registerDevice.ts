import { onCall, type CallableRequest } from "firebase-functions/v2/https";
import { tokenStaleDays } from "../params";
import { tokenTail } from "../devices/deviceId";
import { registerDeviceRequest } from "../devices/deviceSchemas";
import { lastSeenRefreshMs } from "../devices/lastSeen";
import { deviceStore } from "../devices/lazyDeviceStore";
import { log } from "../log";
import { answering, parseRequest, requireAppCheck, requireUid } from "../shared/callable";

export type RegisterDeviceResponse = { deviceId: string };

/** Registers (or refreshes) the caller's FCM token (docs/api.md). Clients call it at every start and token refresh. */
export async function handleRegisterDevice(
  request: CallableRequest<unknown>,
): Promise<RegisterDeviceResponse> {
  const uid = requireUid(request);
  requireAppCheck(request);
  const input = parseRequest("registerDevice", registerDeviceRequest, request.data);
  return answering("registerDevice", uid, async () => {
    const refreshMs = lastSeenRefreshMs(tokenStaleDays());
    const result = await (await deviceStore()).register({ uid, ...input }, refreshMs);
    log.deviceRegistered({ uid, tokenTail: tokenTail(input.token), ...result });
    return { deviceId: result.deviceId };
  });
}

// One small write per call: the SDK's default size is plenty (the global options give the others 512MiB).
export const registerDevice = onCall({ memory: "256MiB" }, handleRegisterDevice);
