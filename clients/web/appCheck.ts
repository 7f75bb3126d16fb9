// App Check for the Web client: the callables refuse callers without a valid App Check token when the
// backend's ENFORCE_APP_CHECK param is true (production). Start it right after initializeApp, before any
// callable is used; the SDK then attaches a token to every call and refreshes it.
//
// The provider is reCAPTCHA Enterprise: create a key for your site's domains (Google Cloud console →
// Security → reCAPTCHA, type "Website"), register it in Firebase console → App Check → your web app, and pass
// its site key here. Under the emulators App Check is skipped: the emulator's functions/.env.local sets
// ENFORCE_APP_CHECK=false, and reCAPTCHA would need Google's servers. For a local page talking to a real
// project, set `self.FIREBASE_APPCHECK_DEBUG_TOKEN = true` before this runs and register the debug token
// the console prints (Firebase console → App Check → Manage debug tokens).
import type { FirebaseApp } from "firebase/app";
import { type AppCheck, initializeAppCheck, ReCaptchaEnterpriseProvider } from "firebase/app-check";

export function startAppCheck(
  app: FirebaseApp,
  options: { recaptchaEnterpriseSiteKey: string; underEmulators: boolean },
): AppCheck | undefined {
  if (options.underEmulators) return undefined;
  return initializeAppCheck(app, {
    provider: new ReCaptchaEnterpriseProvider(options.recaptchaEnterpriseSiteKey),
    isTokenAutoRefreshEnabled: true,
  });
}
