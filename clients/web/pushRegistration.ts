// The Web (modular SDK) client side of this backend, as the README shows it. It is type-checked with the
// project (npm test), so it cannot drift from the callables' request and response shapes.
import type { FirebaseApp } from "firebase/app";
import { getFunctions, httpsCallable } from "firebase/functions";
import { getMessaging, getToken, deleteToken } from "firebase/messaging";
import type {
  RegisterDeviceRequest,
  UnregisterDeviceRequest,
} from "../../functions/src/devices/deviceSchemas";
import type { RegisterDeviceResponse } from "../../functions/src/functions/registerDevice";
import type { UnregisterDeviceResponse } from "../../functions/src/functions/unregisterDevice";

/** Call at every app start (after sign-in) and whenever the token may have changed. */
export async function registerThisDevice(app: FirebaseApp, vapidKey: string): Promise<string> {
  const token = await getToken(getMessaging(app), { vapidKey });
  const registerDevice = httpsCallable<RegisterDeviceRequest, RegisterDeviceResponse>(
    getFunctions(app, "us-central1"),
    "registerDevice",
  );
  const { data } = await registerDevice({ token, platform: "web", locale: navigatorLanguage() });
  return data.deviceId;
}

/** Call at sign-out, before signing out: the token stops receiving this user's pushes. */
export async function unregisterThisDevice(app: FirebaseApp, vapidKey: string): Promise<boolean> {
  const messaging = getMessaging(app);
  const token = await getToken(messaging, { vapidKey });
  const unregisterDevice = httpsCallable<UnregisterDeviceRequest, UnregisterDeviceResponse>(
    getFunctions(app, "us-central1"),
    "unregisterDevice",
  );
  const { data } = await unregisterDevice({ token });
  await deleteToken(messaging);
  return data.removed;
}

/** The browser's language as a BCP 47 tag ("ko-KR"), or undefined outside a browser. */
function navigatorLanguage(): string | undefined {
  const language = (globalThis as { navigator?: { language?: string } }).navigator?.language;
  return language || undefined;
}
