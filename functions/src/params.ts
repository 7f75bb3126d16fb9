/**
 * Every param of the project (`firebase-functions/params`), with its description, and the options every
 * function shares. Params are read with `.value()` only inside a handler, through the readers below.
 * Function files import this module first, so `setGlobalOptions` runs before any function is defined.
 */
import { defineBoolean, defineInt, defineString } from "firebase-functions/params";
import { setGlobalOptions } from "firebase-functions/v2/options";
import { defaultRetryPolicy, type RetryPolicy } from "./commentPush/domain/retryPolicy";

/** The region of every function (docs/api.md). */
export const REGION = "us-central1";

// 512MiB comes with a third of a vCPU; bench/ measured each function well under it (docs/performance.md).
setGlobalOptions({ region: REGION, memory: "512MiB" });

// --- Access ------------------------------------------------------------------------------------------

/**
 * When true, `registerDevice` and `unregisterDevice` refuse a request without a valid App Check token with
 * `unauthenticated`, before they read or write anything (shared/callable.ts `requireAppCheck`).
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
 * and grants it exactly what these functions need (docs/deploy.md "IAM").
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

// --- Comment pushes ----------------------------------------------------------------------------------

export const PUSH_RETRY_MAX_ATTEMPTS = defineInt("PUSH_RETRY_MAX_ATTEMPTS", {
  default: defaultRetryPolicy.maxAttempts,
  description:
    "Attempts per push message for 429, 500 and network errors, the first included (1..10). 503s are also " +
    "retried by firebase-admin itself; those get at most one more attempt of ours.",
});

export const PUSH_RETRY_BASE_DELAY_MS = defineInt("PUSH_RETRY_BASE_DELAY_MS", {
  default: defaultRetryPolicy.baseDelayMs,
  description:
    "Backoff cap of the first retry of a push message, in ms; doubled at each further retry (full jitter).",
});

export const PUSH_RETRY_BUDGET_MS = defineInt("PUSH_RETRY_BUDGET_MS", {
  default: defaultRetryPolicy.budgetMs,
  description:
    "No push retry waits past this many ms after a comment's delivery started. Keep it well under the " +
    "function's timeout (540 s).",
});

export const PUSH_TASKS_THRESHOLD = defineInt("PUSH_TASKS_THRESHOLD", {
  default: 2_000,
  description:
    "A comment whose audience has more devices than this is sent through sendCommentPushSlice tasks (slices of " +
    "at most 500 devices, rate-limited under FCM's quota) instead of by the trigger itself (≥ 0).",
});

// FCM allows 600,000 messages a minute per project: 10,000 a second. A slice is at most 500 messages (one
// sendEach batch), so 20 slices a second would be the whole quota; 15 is 75 % of it, leaving room for the
// trigger's direct sends and for retries. 1,000,000 devices take ~2,000 slices: ~135 s of dispatching.
export const PUSH_TASKS_MAX_DISPATCHES_PER_SECOND = defineInt("PUSH_TASKS_MAX_DISPATCHES_PER_SECOND", {
  default: 15,
  description:
    "Slices (of at most 500 messages) Cloud Tasks starts per second. × 500 must stay under the project's FCM " +
    "quota (600,000 messages a minute = 20 slices a second); the default, 15, uses 75 % of it. Set at deploy.",
});

// A slice takes ~1–2 s, so at 15 a second ~15–30 run at once (Little's law). The cap is that and no more:
// when FCM slows down or answers 429, dispatching throttles to 30 slices in flight.
export const PUSH_TASKS_MAX_CONCURRENT_DISPATCHES = defineInt("PUSH_TASKS_MAX_CONCURRENT_DISPATCHES", {
  default: 30,
  description:
    "Slices in flight at most (Cloud Tasks maxConcurrentDispatches). ~ dispatches per second × seconds per " +
    "slice (1–2 s); set at deploy.",
});

// --- Prune -------------------------------------------------------------------------------------------

export const TOKEN_STALE_DAYS = defineInt("TOKEN_STALE_DAYS", {
  default: 30,
  description:
    "Days without a registerDevice call after which a device token is stale and deleted by the daily prune (1..365).",
});

export const PRUNE_MAX_WRITES_PER_SECOND = defineInt("PRUNE_MAX_WRITES_PER_SECOND", {
  default: 500,
  description:
    "Deletes per second the prune may send (BulkWriter throttling, 1..10000). The default, 500, is the starting " +
    "rate of Firestore's 500/50/5 guidance and leaves the devices collection to live traffic; raise it to clear a backlog.",
});

// --- Readers (inside handlers only) ------------------------------------------------------------------

/** The push retry policy from the params. */
export function pushRetryPolicy(): RetryPolicy {
  const budgetMs = PUSH_RETRY_BUDGET_MS.value();
  return {
    ...defaultRetryPolicy,
    maxAttempts: PUSH_RETRY_MAX_ATTEMPTS.value(),
    baseDelayMs: PUSH_RETRY_BASE_DELAY_MS.value(),
    maxDelayMs: Math.min(defaultRetryPolicy.maxDelayMs, budgetMs),
    budgetMs,
  };
}

/** Devices above which a comment goes through tasks. */
export function pushTasksThreshold(): number {
  return Math.max(0, PUSH_TASKS_THRESHOLD.value());
}

/** The prune's settings as the params give them (validated by the prune: prune/settings.ts). */
export function pruneSettingsParams(): { staleDays: number; maxWritesPerSecond: number } {
  return { staleDays: TOKEN_STALE_DAYS.value(), maxWritesPerSecond: PRUNE_MAX_WRITES_PER_SECOND.value() };
}
