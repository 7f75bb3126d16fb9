// Who may call the callables and who the comment-push functions run as (docs/deploy.md "IAM" and "App Check").
// Both are params, so a project sets them in functions/.env (the emulator overrides in functions/.env.local).
import { defineBoolean, defineString } from "firebase-functions/params";
import { HttpsError, type CallableRequest } from "firebase-functions/v2/https";

/**
 * When true, `registerDevice` and `unregisterDevice` refuse a request without a valid App Check token with
 * `unauthenticated`, before they read or write anything (requireAppCheck).
 */
export const ENFORCE_APP_CHECK = defineBoolean("ENFORCE_APP_CHECK", {
  default: true,
  description:
    "Callables require a valid App Check token (Play Integrity, App Attest / DeviceCheck, reCAPTCHA Enterprise). " +
    "Turn off only while your apps do not send App Check tokens yet.",
});

/**
 * `unauthenticated` unless the request carries a valid App Check token, while ENFORCE_APP_CHECK is true.
 * firebase-functions verifies the `X-Firebase-AppCheck` header and sets `request.app` only for a valid token
 * (a missing or invalid one leaves it undefined, since the SDK's own `enforceAppCheck` stays off). The check is
 * here rather than in that option because the option, given a param, reads it when the code is loaded, which
 * firebase-tools' deploy-time discovery reports as a mistake; here the param is read inside the handler.
 */
export function requireAppCheck(request: CallableRequest<unknown>): void {
  if (ENFORCE_APP_CHECK.value() && !request.app) {
    throw new HttpsError(
      "unauthenticated",
      "This app could not be verified (App Check): update the app, or try again on a device that passes App Check.",
    );
  }
}

/**
 * The service account that runs the trigger (which enqueues slice tasks, and whose identity firebase-admin
 * puts in each task's OIDC token) and `sendCommentPushSlice` (which those tasks invoke). `name@` is
 * expanded by firebase-tools to `name@<project>.iam.gserviceaccount.com`. `npm run deploy:iam` creates it
 * and grants it exactly what these functions need.
 */
export const PUSH_SERVICE_ACCOUNT = defineString("PUSH_SERVICE_ACCOUNT", {
  default: "push-sender@",
  description:
    "Service account of onCommentCreated and sendCommentPushSlice: `name@` (this project) or a full email. " +
    "Grant it its roles with `npm run deploy:iam` (docs/deploy.md).",
  input: {
    text: {
      validationRegex: "^[a-z][a-z0-9-]{4,28}[a-z0-9]@([a-z][a-z0-9-]*\\.iam\\.gserviceaccount\\.com)?$",
      validationErrorMessage:
        "A service account id (6-30 lowercase letters, digits, hyphens) followed by @ or @<project>.iam.gserviceaccount.com",
    },
  },
});
