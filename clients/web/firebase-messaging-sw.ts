// The service worker that receives pushes while no page of the app is in front. Bundle it (esbuild, Vite,
// webpack...) to `/firebase-messaging-sw.js` at the root of the site: that is where `WebPush` registers it
// (option `serviceWorkerUrl` to change), and its scope is the whole site.
//
// It needs the app's Firebase config, the same object the page passes to initializeApp. Rather than
// building it in, it reads it from its own URL, so one built file serves every environment:
//   /firebase-messaging-sw.js?firebaseConfig=<URL-encoded JSON>
// (see `serviceWorkerUrl` in README.md). Notification messages (the backend sends `notification` with every
// comment push) are shown by the SDK itself; this worker only has to start messaging.
import { initializeApp } from "firebase/app";
import { getMessaging, onBackgroundMessage } from "firebase/messaging/sw";

const config = new URL(location.href).searchParams.get("firebaseConfig");
if (config) {
  const messaging = getMessaging(initializeApp(JSON.parse(config) as Record<string, string>));
  onBackgroundMessage(messaging, (payload) => {
    // Data-only messages land here; this backend sends none, so there is nothing to show by hand.
    console.debug("push received in the background", payload.data);
  });
} else {
  console.error(
    "firebase-messaging-sw.js: no ?firebaseConfig= in the service worker's URL: pushes cannot start",
  );
}
