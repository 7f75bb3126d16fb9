// Who may call the callables and who the comment-push functions run as (docs/deploy.md "IAM" and "App Check").
// Both are params, so a project sets them in functions/.env (the emulator overrides in functions/.env.local).
import { defineBoolean, defineString } from "firebase-functions/params";

/**
 * When true, `registerDevice` and `unregisterDevice` refuse a request without a valid App Check token with
 * `unauthenticated`, before the handler runs (so nothing is written). firebase-functions takes the param
 * itself as `enforceAppCheck` and reads it when the function is loaded, inside the function's instance.
 */
export const ENFORCE_APP_CHECK = defineBoolean("ENFORCE_APP_CHECK", {
  default: true,
  description:
    "Callables require a valid App Check token (Play Integrity, App Attest / DeviceCheck, reCAPTCHA Enterprise). " +
    "Turn off only while your apps do not send App Check tokens yet.",
});

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
