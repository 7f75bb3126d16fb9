/**
 * Every param of the project (`firebase-functions/params`), with its description, and the options every
 * function shares. Params are read with `.value()` only inside a handler, through the readers below.
 * Function files import this module first, so `setGlobalOptions` runs before any function is defined.
 */
import { defineBoolean, defineInt, defineString } from "firebase-functions/params";
import { setGlobalOptions } from "firebase-functions/v2/options";
import { defaultRetryPolicy, type RetryPolicy } from "./push/domain/retryPolicy";

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
 * puts in each task's OIDC token) and `sendPushSlice` (which those tasks invoke). `name@` is
 * expanded by firebase-tools to `name@<project>.iam.gserviceaccount.com`. `npm run deploy:iam` creates it
 * and grants it exactly what these functions need (docs/deploy.md "IAM").
 */
export const PUSH_SERVICE_ACCOUNT = defineString("PUSH_SERVICE_ACCOUNT", {
  default: "push-sender@",
  description:
    "Service account of onCommentCreated and sendPushSlice: `name@` (this project) or a full email. " +
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
    "A comment whose audience has more devices than this is sent through sendPushSlice tasks (slices of " +
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

/** TOKEN_STALE_DAYS, for registerDevice's skip window (devices/lastSeen.ts). */
export function tokenStaleDays(): number {
  return TOKEN_STALE_DAYS.value();
}

// --- Leases, the sweeper, the credential breaker, messages (docs/delivery.md) ----------------

/** The comment trigger's timeout: the most an event function may run. Its lease derives from it. */
export const COMMENT_TRIGGER_TIMEOUT_SECONDS = 540;
/** sendPushSlice's timeout: one sendEach of 500 plus the retry budget and firebase-admin's 503 retries. */
export const SLICE_TASK_TIMEOUT_SECONDS = 300;
/** Beyond a function's timeout, before its lease runs out: clock skew between instances, and the platform's kill. */
export const LEASE_MARGIN_SECONDS = 60;

export const PUSH_MESSAGE_TTL_SECONDS = defineInt("PUSH_MESSAGE_TTL_SECONDS", {
  default: 86_400,
  description:
    "How long FCM keeps trying to reach an offline device with a comment push, in seconds (Android ttl, APNs " +
    "apns-expiration, Web Push TTL). Past it the push is dropped rather than shown late (0..2419200).",
});

export const SENDER_ID_MISMATCH_GRACE_DAYS = defineInt("SENDER_ID_MISMATCH_GRACE_DAYS", {
  default: 7,
  description:
    "Days a token marked rejected for SENDER_ID_MISMATCH is kept before the prune deletes it, so that a deploy " +
    "with the wrong credentials can be rolled back without losing anybody's tokens (0..365).",
});

export const PUSH_BREAKER_WINDOW_SECONDS = defineInt("PUSH_BREAKER_WINDOW_SECONDS", {
  default: 600,
  description:
    "Length of the credential breaker's window, in seconds: mismatched-credential answers are counted per " +
    "window across every delivery of the project (60..86400).",
});

export const PUSH_BREAKER_MIN_ANSWERS = defineInt("PUSH_BREAKER_MIN_ANSWERS", {
  default: 20,
  description:
    "FCM answers a breaker window must have counted before mismatches can open it (≥ 1): below it, a few " +
    "foreign tokens cannot be told from a broken configuration, so they count but do not decide.",
});

export const PUSH_BREAKER_MISMATCH_PERCENT = defineInt("PUSH_BREAKER_MISMATCH_PERCENT", {
  default: 50,
  description:
    "The breaker opens when more than this percentage of a window's answers were mismatched-credential (1..100).",
});

/** The lease of a comment trigger's run (docs/delivery.md, "Leases"), in ms. */
export function deliveryLeaseMs(): number {
  return (COMMENT_TRIGGER_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS) * 1000;
}

/** The lease of a slice task's run, in ms. */
export function sliceLeaseMs(): number {
  return (SLICE_TASK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS) * 1000;
}

/** The TTL of every push message, in seconds. */
export function pushMessageTtlSeconds(): number {
  return Math.min(2_419_200, Math.max(0, PUSH_MESSAGE_TTL_SECONDS.value()));
}

/** The grace before the prune deletes a token rejected for a sender-id mismatch, in days. */
export function senderIdMismatchGraceDays(): number {
  return Math.min(365, Math.max(0, SENDER_ID_MISMATCH_GRACE_DAYS.value()));
}

/** The credential breaker's settings from the params. */
export function credentialBreakerParams(): { windowMs: number; minAnswers: number; share: number } {
  return {
    windowMs: Math.min(86_400, Math.max(60, PUSH_BREAKER_WINDOW_SECONDS.value())) * 1000,
    minAnswers: Math.max(1, PUSH_BREAKER_MIN_ANSWERS.value()),
    share: Math.min(100, Math.max(1, PUSH_BREAKER_MISMATCH_PERCENT.value())) / 100,
  };
}

// --- Coalescing, cost and retention (docs/coalescing.md) ---------------------------------------

export const PUSH_COALESCE_SECONDS = defineInt("PUSH_COALESCE_SECONDS", {
  default: 60,
  description:
    "A post notifies each recipient at most once per this many seconds: the first comment is pushed at once " +
    "and opens a window; the comments inside it become one digest per recipient when it closes. 0 turns " +
    "coalescing off (every comment pushed at once). 0..3600.",
});

export const COMMENT_TRIGGER_MAX_INSTANCES = defineInt("COMMENT_TRIGGER_MAX_INSTANCES", {
  default: 100,
  description:
    "Instances of onCommentCreated at most (maxInstances), so a flood of comments cannot scale the trigger " +
    "past what FCM's quota can take. Set at deploy.",
});

export const PUSH_DELIVERY_TTL_DAYS = defineInt("PUSH_DELIVERY_TTL_DAYS", {
  default: 30,
  description:
    "pushDeliveries docs carry expireAt = creation + this many days; a Firestore TTL policy on expireAt " +
    "deletes them after that (docs/coalescing.md). 1..3650.",
});

export const FEED_ITEM_TTL_DAYS = defineInt("FEED_ITEM_TTL_DAYS", {
  default: 90,
  description:
    "Feed items (notifications/{uid}/items) carry expireAt = creation + this many days; a Firestore TTL " +
    "policy on expireAt deletes them after that (docs/api.md). 1..3650.",
});

export const PUSH_FEED = defineBoolean("PUSH_FEED", {
  default: true,
  description:
    "Every push also writes a feed item (notifications/{uid}/items) and raises the recipient's unread count, " +
    "and carries it as its badge. false: no feed, no badges (an app without a notification list).",
});

/** Days a feed item is kept, 1..3650; 90 when the param is unset (it reads 0 outside a deploy or the emulator). */
export function feedItemTtlDays(): number {
  const days = FEED_ITEM_TTL_DAYS.value();
  return days > 0 ? Math.min(3_650, days) : 90;
}

/**
 * Whether pushes write feed items and carry badges: unless PUSH_FEED is set to false. An unset boolean param
 * reads false outside a deploy or the emulator (a script, a drill's child process), where the feed stays on.
 */
export function feedEnabled(): boolean {
  return process.env.PUSH_FEED === undefined || PUSH_FEED.value();
}

/** The coalescing window in ms (0: off), clamped to 0..3600 s. */
export function coalesceWindowMs(): number {
  return Math.min(3_600, Math.max(0, PUSH_COALESCE_SECONDS.value())) * 1_000;
}

/** Days a delivery record is kept, at least 1. */
export function deliveryTtlDays(): number {
  return Math.max(1, PUSH_DELIVERY_TTL_DAYS.value());
}
