// The Web (modular SDK) client side of this backend: registering this browser for pushes, and letting go of
// it at sign-out. Type-checked against the callables' own request and response types (clients/web/
// tsconfig.json, in `npm run typecheck`), so it cannot drift from them. How an app uses it: README.md here.
//
// The rules it keeps (issue 11, Firebase's web guide):
//  - the notification permission is asked only from a user gesture: `enable()` belongs in a click handler;
//    `refresh()`, for every app start, never prompts;
//  - nothing happens where the browser cannot do web push (`isSupported()`);
//  - the service worker `firebase-messaging-sw.js` (built from firebase-messaging-sw.ts) receives pushes
//    while no page of the app is in front;
//  - sign-out never waits on messaging: the registered token is remembered locally when it is registered,
//    and `disable()` unregisters exactly that token, without calling getToken (which could prompt, mint a
//    new token only to delete it, or throw), bounded in time, and never throws;
//  - under the emulators (`fcmEmulatorUrl`) there is no push service to ask: the token is a simulated one
//    from the FCM emulator (`POST /emulator/v1/tokens`), and pushes to it are read from the emulator.
import type { FirebaseApp } from "firebase/app";
import { type Functions, getFunctions, httpsCallable } from "firebase/functions";
import { deleteToken, getMessaging, getToken, isSupported, onMessage } from "firebase/messaging";
import type {
  RegisterDeviceRequest,
  UnregisterDeviceRequest,
} from "../../functions/src/devices/deviceSchemas";
import type { RegisterDeviceResponse } from "../../functions/src/functions/registerDevice";
import type { UnregisterDeviceResponse } from "../../functions/src/functions/unregisterDevice";

export interface WebPushOptions {
  app: FirebaseApp;
  /**
   * The project's Web Push certificate public key (the "VAPID key"): Firebase console → Project settings →
   * Cloud Messaging → Web configuration → Web Push certificates → "Generate key pair"; copy the public key.
   * It is public (it ships in the page); not needed under the emulators.
   */
  vapidKey?: string;
  /** Where the app serves the service worker; the default is the path Firebase expects. */
  serviceWorkerUrl?: string;
  /** Functions to call the callables with (defaults to the app's, us-central1). */
  functions?: Functions;
  /** Where the registered token is remembered (default: localStorage, i.e. this browser profile). */
  storage?: Storage;
  /** Under the emulators only: the FCM emulator's base URL, e.g. "http://127.0.0.1:9599". */
  fcmEmulatorUrl?: string;
  /** How long sign-out waits for the server at most before going on anyway (ms). */
  signOutTimeoutMs?: number;
}

export type EnableResult =
  | { status: "registered"; token: string; deviceId: string }
  | { status: "unsupported" }
  | { status: "denied" };

/** A push as the page sees it: FCM's notification and data. */
export interface ForegroundPush {
  title?: string;
  body?: string;
  data: Record<string, string>;
  /** When it was sent, as far as the page can tell (ISO 8601). */
  at: string;
}

const TOKEN_KEY = "firebase-push.registeredToken";
const DEFAULT_SERVICE_WORKER = "/firebase-messaging-sw.js";

export class WebPush {
  private readonly functions: Functions;
  private readonly storage: Storage;

  constructor(private readonly options: WebPushOptions) {
    this.functions = options.functions ?? getFunctions(options.app, "us-central1");
    this.storage = options.storage ?? localStorage;
  }

  /** Whether this browser can receive pushes at all (Safari before 16.4, some in-app browsers cannot). */
  async supported(): Promise<boolean> {
    if (this.options.fcmEmulatorUrl) return true;
    return typeof Notification !== "undefined" && "serviceWorker" in navigator && (await isSupported());
  }

  /** The token this browser registered for the signed-in user, if any. */
  registeredToken(): string | null {
    return this.storage.getItem(TOKEN_KEY);
  }

  /**
   * Turns pushes on for the signed-in user. Call it from a user gesture (a click on "Turn on
   * notifications"): browsers ignore or penalise permission prompts that come without one.
   */
  async enable(): Promise<EnableResult> {
    if (!(await this.supported())) return { status: "unsupported" };
    let token: string;
    if (this.options.fcmEmulatorUrl) {
      token = await this.simulatedToken();
    } else {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return { status: "denied" };
      token = await this.pushServiceToken();
    }
    const deviceId = await this.register(token);
    return { status: "registered", token, deviceId };
  }

  /**
   * At every app start, once signed in: registers again when pushes were turned on here before (the
   * server keeps `lastSeenAt` fresh, and a token the browser replaced gets registered). Never prompts.
   * Returns the token, or null when pushes are not on in this browser.
   */
  async refresh(): Promise<string | null> {
    const known = this.registeredToken();
    if (!known || !(await this.supported())) return null;
    if (this.options.fcmEmulatorUrl) {
      await this.register(known);
      return known;
    }
    if (Notification.permission !== "granted") {
      // The user took the permission back in the browser's settings: the token is dead anyway.
      this.storage.removeItem(TOKEN_KEY);
      return null;
    }
    const token = await this.pushServiceToken(); // permission is granted: no prompt
    await this.register(token);
    return token;
  }

  /**
   * Call before signing out. Unregisters the token registered here, if any, and never throws or blocks
   * sign-out: the server call is bounded by `signOutTimeoutMs`, and a failure leaves a token that the
   * server's prune removes later. Returns whether the server removed the device.
   */
  async disable(): Promise<boolean> {
    const token = this.registeredToken();
    if (!token) return false;
    this.storage.removeItem(TOKEN_KEY);
    const unregisterDevice = httpsCallable<UnregisterDeviceRequest, UnregisterDeviceResponse>(
      this.functions,
      "unregisterDevice",
    );
    const removed = await withinTime(
      unregisterDevice({ token }).then(({ data }) => data.removed),
      this.options.signOutTimeoutMs ?? 5_000,
    ).catch(() => false);
    if (!this.options.fcmEmulatorUrl) {
      // Also drop the push subscription, best effort: deleteToken reads the stored token, it mints none.
      const unsubscribe = Promise.resolve().then(() => deleteToken(getMessaging(this.options.app)));
      await withinTime(unsubscribe, 3_000).catch(() => false);
    }
    return removed ?? false;
  }

  /**
   * Pushes that arrive while the page is in front (the service worker shows the others). Under the
   * emulators they are read from the FCM emulator's stream of what was sent to this browser's token.
   * Returns a function that stops listening.
   */
  onForegroundPush(listener: (push: ForegroundPush) => void): () => void {
    const emulator = this.options.fcmEmulatorUrl;
    if (!emulator) {
      return onMessage(getMessaging(this.options.app), (payload) =>
        listener({
          ...(payload.notification?.title === undefined ? {} : { title: payload.notification.title }),
          ...(payload.notification?.body === undefined ? {} : { body: payload.notification.body }),
          data: payload.data ?? {},
          at: new Date().toISOString(),
        }),
      );
    }
    const token = this.registeredToken();
    if (!token) return () => undefined;
    const query = new URLSearchParams({ token, status: "accepted" });
    const events = new EventSource(`${emulator}/emulator/v1/events?${query.toString()}`);
    events.addEventListener("attempt", (event) => {
      const attempt = JSON.parse((event as MessageEvent<string>).data) as EmulatorAttempt;
      if (!attempt.dryRun) listener(pushOf(attempt));
    });
    return () => events.close();
  }

  /** What was already sent to this browser's token (emulators only; newest first). */
  async pushesSoFar(): Promise<ForegroundPush[]> {
    const emulator = this.options.fcmEmulatorUrl;
    const token = this.registeredToken();
    if (!emulator || !token) return [];
    const query = new URLSearchParams({ token, status: "accepted", limit: "50" });
    const response = await fetch(`${emulator}/emulator/v1/attempts?${query.toString()}`);
    if (!response.ok) return [];
    const page = (await response.json()) as { attempts: EmulatorAttempt[] };
    return page.attempts.filter((attempt) => !attempt.dryRun).map(pushOf);
  }

  private async register(token: string): Promise<string> {
    const registerDevice = httpsCallable<RegisterDeviceRequest, RegisterDeviceResponse>(
      this.functions,
      "registerDevice",
    );
    const locale = navigator.language || undefined;
    const { data } = await registerDevice({ token, platform: "web", ...(locale ? { locale } : {}) });
    // Remembered only once the server has it: sign-out unregisters exactly this one.
    this.storage.setItem(TOKEN_KEY, token);
    return data.deviceId;
  }

  private async pushServiceToken(): Promise<string> {
    const { vapidKey } = this.options;
    if (!vapidKey) throw new Error("WebPush: vapidKey is required outside the emulators");
    const serviceWorkerRegistration = await navigator.serviceWorker.register(
      this.options.serviceWorkerUrl ?? DEFAULT_SERVICE_WORKER,
    );
    return getToken(getMessaging(this.options.app), { vapidKey, serviceWorkerRegistration });
  }

  private async simulatedToken(): Promise<string> {
    const known = this.registeredToken();
    if (known) return known;
    const response = await fetch(`${this.options.fcmEmulatorUrl}/emulator/v1/tokens`, { method: "POST" });
    if (!response.ok) throw new Error(`FCM emulator: HTTP ${response.status} minting a token`);
    return ((await response.json()) as { token: string }).token;
  }
}

/** An attempt as the FCM emulator's inbox API gives it (fcm-emulator/src/attemptLog.ts). */
interface EmulatorAttempt {
  at: string;
  dryRun?: boolean;
  message?: {
    notification?: { title?: string; body?: string };
    data?: Record<string, string>;
  };
}

function pushOf(attempt: EmulatorAttempt): ForegroundPush {
  const notification = attempt.message?.notification;
  return {
    ...(notification?.title === undefined ? {} : { title: notification.title }),
    ...(notification?.body === undefined ? {} : { body: notification.body }),
    data: attempt.message?.data ?? {},
    at: attempt.at,
  };
}

/** `promise`'s value, or undefined once `ms` have passed first. */
function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
