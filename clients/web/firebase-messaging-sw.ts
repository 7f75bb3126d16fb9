// The service worker that receives pushes while no page of the app is in front. Bundle it (esbuild, Vite,
// webpack...) to `/firebase-messaging-sw.js` at the root of the site: that is where `WebPush` registers it
// (option `serviceWorkerUrl` to change), and its scope is the whole site.
//
// It needs the app's Firebase config, the same object the page passes to initializeApp. Rather than
// building it in, it reads it from its own URL, so one built file serves every environment:
//   /firebase-messaging-sw.js?firebaseConfig=<URL-encoded JSON>
// (see `serviceWorkerUrl` in README.md). Notification messages (the backend sends `notification` with every
// push) are shown by the SDK itself; this worker starts messaging, makes a push sent during the recipient's
// quiet hours show silently (quietPush.ts), routes a tap by the push's `data.type` (pushRoute.ts), and sets
// the app badge from every push's `data.unread`, a silent badge update (`data.type: "badge"`) included, which
// it never shows (appBadge.ts).
import { initializeApp } from "firebase/app";
import { getMessaging, type MessagePayload, onBackgroundMessage } from "firebase/messaging/sw";
import { type BadgeNavigator, isBadgeUpdate, setAppBadgeFrom } from "./appBadge";
import { pathOf, routeOf } from "./pushRoute";
import { shownQuietly } from "./quietPush";

/** What this worker uses of the service-worker globals (this file is type-checked with the DOM lib). */
type WindowClient = { url: string; focus(): Promise<unknown>; navigate(url: string): Promise<unknown> };
type NotificationClick = Event & {
  action: string;
  notification: { data?: { FCM_MSG?: { data?: Record<string, string> } }; close(): void };
  waitUntil(work: Promise<unknown>): void;
};
type PushData = { FCM_MSG?: { data?: Record<string, string> } };
const worker = self as unknown as {
  location: Location;
  navigator: BadgeNavigator;
  registration: {
    showNotification(
      title: string,
      options?: Omit<NotificationOptions, "data"> & { data?: PushData },
    ): Promise<void>;
  };
  clients: {
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<unknown>;
  };
  addEventListener(type: "notificationclick", listener: (event: NotificationClick) => void): void;
};

// Quiet hours: the SDK shows a background push with its `notification` as the options, so the backend's
// `webpush.notification.silent: true` already reaches the browser; a push marked only by `data.quiet: "true"`
// (and every quiet one, without `vibrate`, which a silent notification may not have) is made silent here, at
// the one call the SDK shows notifications with. A push while a page of the app is in front goes to the
// page instead (`onForegroundPush`), whose `data.quiet` says the same.
const showNotification = worker.registration.showNotification.bind(worker.registration);
worker.registration.showNotification = (title, options = {}) =>
  showNotification(title, shownQuietly(options, options.data?.FCM_MSG?.data));

// Registered before messaging starts, so it runs before the SDK's own listener, which opens only
// `fcmOptions.link` (the backend sets none). The SDK keeps the push in `notification.data.FCM_MSG`.
worker.addEventListener("notificationclick", (event) => {
  const data = event.notification.data?.FCM_MSG?.data;
  if (!data || event.action) return;
  event.stopImmediatePropagation();
  event.notification.close();
  const url = new URL(pathOf(routeOf(data)), worker.location.origin).href;
  event.waitUntil(
    worker.clients.matchAll({ type: "window", includeUncontrolled: true }).then(async (open) => {
      const tab = open.find((client) => new URL(client.url).origin === worker.location.origin);
      if (!tab) return worker.clients.openWindow(url);
      await tab.navigate(url);
      return tab.focus();
    }),
  );
});

const config = new URL(location.href).searchParams.get("firebaseConfig");
if (config) {
  const messaging = getMessaging(initializeApp(JSON.parse(config) as Record<string, string>));
  // Every push while no page of the app is in front lands here too (after the SDK showed its notification):
  // the badge follows its `data.unread`. A badge update (data only: `type: "badge"`, after the user read
  // items on one of their devices) changes the badge and nothing else: it is never shown, so it is never
  // tapped. (Chrome may show its own "site updated in the background" notice when a site's pushes show
  // nothing too often; a badge update comes only after the user read something, so rarely.)
  const inBackground = async (payload: MessagePayload): Promise<void> => {
    await setAppBadgeFrom(payload.data, worker.navigator);
    if (!isBadgeUpdate(payload.data)) console.debug("push received in the background", payload.data);
  };
  // The SDK awaits what the handler returns, inside the push event's waitUntil: the worker lives until the
  // badge is set, though the handler's type says void.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  onBackgroundMessage(messaging, inBackground);
} else {
  console.error(
    "firebase-messaging-sw.js: no ?firebaseConfig= in the service worker's URL: pushes cannot start",
  );
}
