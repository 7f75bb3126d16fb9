/**
 * Every param of the project (`firebase-functions/params`), with its description, and the options every
 * function shares. Params are read with `.value()` only inside a handler, through the readers below.
 * Function files import this module first, so `setGlobalOptions` runs before any function is defined.
 */
import { defineInt } from "firebase-functions/params";
import { setGlobalOptions } from "firebase-functions/v2/options";
import { defaultRetryPolicy, type RetryPolicy } from "./commentPush/domain/retryPolicy";

/** The region of every function (docs/api.md). */
export const REGION = "us-central1";

// 512MiB comes with a third of a vCPU; bench/ measured each function well under it (docs/performance.md).
setGlobalOptions({ region: REGION, memory: "512MiB" });

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

// --- Coalescing, cost and retention (issue 14; docs/coalescing.md) ---------------------------------------

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

/** The coalescing window in ms (0: off), clamped to 0..3600 s. */
export function coalesceWindowMs(): number {
  return Math.min(3_600, Math.max(0, PUSH_COALESCE_SECONDS.value())) * 1_000;
}

/** Days a delivery record is kept, at least 1. */
export function deliveryTtlDays(): number {
  return Math.max(1, PUSH_DELIVERY_TTL_DAYS.value());
}
