// The task-queue function that sends one slice of a large comment's audience (see
// deliveries/sliceFanOut.ts for the steps and deliveries/commentFanOut.ts for when a comment goes through
// tasks). The trigger enqueues the tasks; Cloud Tasks dispatches them at the rates below and delivers each
// at least once, which the slice's own gate turns into exactly once.
import { defineInt } from "firebase-functions/params";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { sliceTask } from "./deliveries/sliceTask";
import type { SliceFanOut, SliceOutcome } from "./deliveries/sliceFanOut";
import { log } from "./log";
import { retryPolicyFromParams } from "./onCommentCreated";
import { commentPushStores } from "./stores";
import { PUSH_SERVICE_ACCOUNT } from "./access";

/**
 * Handles one task's payload. `deps` replaces any collaborator (tests pass stores on another Firestore, a
 * sender, a fast policy); the rest are the real ones, loaded on first use. A payload that is not a slice
 * task is logged and acknowledged: running it again could not make it one.
 */
export async function handleCommentPushSlice(
  data: unknown,
  deps: Partial<SliceFanOut> = {},
): Promise<SliceOutcome | { kind: "invalid"; problems: string[] }> {
  const parsed = sliceTask.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(task)"}: ${issue.message}`,
    );
    log.commentPushSliceInvalid({ problems });
    return { kind: "invalid", problems };
  }
  const [{ sendSlice }, stores, sender] = await Promise.all([
    import("./deliveries/sliceFanOut"),
    deps.stores ?? commentPushStores(),
    deps.sender ?? import("./messaging").then(({ getMessagingClient }) => getMessagingClient()),
  ]);
  return sendSlice(parsed.data, {
    stores,
    sender,
    policy: deps.policy ?? retryPolicyFromParams(),
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: deps.random ?? Math.random,
    now: deps.now ?? (() => performance.now()),
  });
}

// FCM allows 600,000 messages a minute per project: 10,000 a second. A slice is at most 500 messages (one
// sendEach batch), so 20 slices a second would be the whole quota. 15 a second is 7,500 messages a second,
// 450,000 a minute: 75 % of it, leaving room for the trigger's direct sends of small comments and for
// message retries (each at most PUSH_RETRY_MAX_ATTEMPTS, backing off on 429). 1,000,000 devices take ~2,000
// slices: ~135 s of dispatching.
const PUSH_TASKS_MAX_DISPATCHES_PER_SECOND = defineInt("PUSH_TASKS_MAX_DISPATCHES_PER_SECOND", {
  default: 15,
  description:
    "Slices (of at most 500 messages) Cloud Tasks starts per second. × 500 must stay under the project's FCM " +
    "quota (600,000 messages a minute = 20 slices a second); the default, 15, uses 75 % of it. Set at deploy.",
});

// A slice takes ~1–2 s (its device queries, one FCM round trip for 500 messages, a few writes), so at 15 a
// second ~15–30 run at once (Little's law). The cap is that and no more: when FCM slows down or answers 429
// (slices then wait out their retries, up to PUSH_RETRY_BUDGET_MS), it throttles dispatching to 30 slices in
// flight instead of letting Cloud Tasks pile more on.
const PUSH_TASKS_MAX_CONCURRENT_DISPATCHES = defineInt("PUSH_TASKS_MAX_CONCURRENT_DISPATCHES", {
  default: 30,
  description:
    "Slices in flight at most (Cloud Tasks maxConcurrentDispatches). ~ dispatches per second × seconds per " +
    "slice (1–2 s); set at deploy.",
});

export const sendCommentPushSlice = onTaskDispatched(
  {
    rateLimits: {
      maxDispatchesPerSecond: PUSH_TASKS_MAX_DISPATCHES_PER_SECOND,
      maxConcurrentDispatches: PUSH_TASKS_MAX_CONCURRENT_DISPATCHES,
    },
    // A task is retried only when its slice failed before sending anything (its devices could not be
    // read): the slice gate lets 5 runs past it (DeliveryStore.maxAttempts) and the 5th ends the slice as
    // failed, so 8 attempts leave room for dispatches that fail before reaching the code (cold-start
    // errors, 5xx from the platform). Backoff from 5 s doubling to 80 s: long enough for a Firestore
    // hiccup to pass, short enough that the comment's push is still news.
    retryConfig: { maxAttempts: 8, minBackoffSeconds: 5, maxBackoffSeconds: 80, maxDoublings: 4 },
    // One sendEach of 500 plus the retry budget (40 s by default) and firebase-admin's own 503 retries.
    timeoutSeconds: 300,
    memory: "512MiB",
    // The identity the enqueuing trigger puts in each task's OIDC token must be allowed to invoke this
    // function: see access.ts and docs/deploy.md "IAM".
    serviceAccount: PUSH_SERVICE_ACCOUNT,
  },
  async (request) => {
    await handleCommentPushSlice(request.data);
  },
);
