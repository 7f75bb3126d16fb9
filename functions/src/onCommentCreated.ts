// The comment-push trigger: every new `posts/{postId}/comments/{commentId}` is fanned out to the devices
// of the post's author and subscribers (see deliveries/commentFanOut.ts for the steps and the exactly-once
// rules). Retries are on: a run that fails before sending anything is retried, one that started sending
// never is (its `pushDeliveries/{event.id}` gate refuses the retry). Audiences of more than
// PUSH_TASKS_THRESHOLD devices are not sent from here but through `sendCommentPushSlice` tasks.
import { defineInt } from "firebase-functions/params";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import type { CommentCreatedEvent, CommentFanOut, CommentPushOutcome } from "./deliveries/commentFanOut";
import { defaultRetryPolicy, type RetryPolicy } from "./push/retryPolicy";
import { commentPushStores, commentSliceQueue } from "./stores";
import { PUSH_SERVICE_ACCOUNT } from "./access";

const PUSH_RETRY_MAX_ATTEMPTS = defineInt("PUSH_RETRY_MAX_ATTEMPTS", {
  default: defaultRetryPolicy.maxAttempts,
  description:
    "Attempts per push message for 429, 500 and network errors, the first included (1..10). 503s are also " +
    "retried by firebase-admin itself; those get at most one more attempt of ours.",
});

const PUSH_RETRY_BASE_DELAY_MS = defineInt("PUSH_RETRY_BASE_DELAY_MS", {
  default: defaultRetryPolicy.baseDelayMs,
  description:
    "Backoff cap of the first retry of a push message, in ms; doubled at each further retry (full jitter).",
});

const PUSH_RETRY_BUDGET_MS = defineInt("PUSH_RETRY_BUDGET_MS", {
  default: defaultRetryPolicy.budgetMs,
  description:
    "No push retry waits past this many ms after a comment's delivery started. Keep it well under the " +
    "function's timeout (540 s).",
});

const TASKS_THRESHOLD_DEFAULT = 2_000;

const PUSH_TASKS_THRESHOLD = defineInt("PUSH_TASKS_THRESHOLD", {
  default: TASKS_THRESHOLD_DEFAULT,
  description:
    "A comment whose audience has more devices than this is sent through sendCommentPushSlice tasks (slices of " +
    "at most 500 devices, rate-limited under FCM's quota) instead of by the trigger itself (≥ 0).",
});

/**
 * The threshold from its param (read inside a handler only). Deployed functions and the emulator always
 * have the variable set; a handler called in another process (a test, a script) does not, and an unset
 * int param reads 0, which would send every comment through tasks: there the default applies.
 */
function tasksThresholdFromParams(): number {
  if (process.env.PUSH_TASKS_THRESHOLD === undefined) return TASKS_THRESHOLD_DEFAULT;
  return Math.max(0, PUSH_TASKS_THRESHOLD.value());
}

/** The retry policy from the params (read inside a handler only). */
export function retryPolicyFromParams(): RetryPolicy {
  const budgetMs = PUSH_RETRY_BUDGET_MS.value();
  return {
    ...defaultRetryPolicy,
    maxAttempts: PUSH_RETRY_MAX_ATTEMPTS.value(),
    baseDelayMs: PUSH_RETRY_BASE_DELAY_MS.value(),
    maxDelayMs: Math.min(defaultRetryPolicy.maxDelayMs, budgetMs),
    budgetMs,
  };
}

/**
 * Handles one comment-created event. `deps` replaces any collaborator (tests pass stores on another
 * Firestore, a sender, a fast policy); the rest are the real ones, loaded on first use.
 */
export async function handleCommentCreated(
  event: CommentCreatedEvent,
  deps: Partial<CommentFanOut> = {},
): Promise<CommentPushOutcome> {
  const [{ fanOutComment }, stores, sender] = await Promise.all([
    import("./deliveries/commentFanOut"),
    deps.stores ?? commentPushStores(),
    deps.sender ?? import("./messaging").then(({ getMessagingClient }) => getMessagingClient()),
  ]);
  return fanOutComment(event, {
    stores,
    sender,
    policy: deps.policy ?? retryPolicyFromParams(),
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: deps.random ?? Math.random,
    now: deps.now ?? (() => performance.now()),
    tasks: deps.tasks ?? { threshold: tasksThresholdFromParams(), queue: commentSliceQueue() },
  });
}

export const onCommentCreated = onDocumentCreated(
  {
    document: "posts/{postId}/comments/{commentId}",
    // Safe with the pushDeliveries gate: only runs that sent nothing are run again.
    retry: true,
    // Sends (≤ 500 per sendEach, 2 in flight) plus the retry budget (40 s by default) and firebase-admin's
    // own 503 retries fit well inside 300 s. The most an event function may run, 540 s, is for the largest
    // audiences, which this run only reads and plans (subscribers, opt-outs, device counts: about a minute
    // for 500,000 recipients in production, several in the Firestore emulator, which scans the devices
    // collection for every uid of every `in` query).
    timeoutSeconds: 540,
    memory: "512MiB",
    // It enqueues sendCommentPushSlice tasks: see access.ts and docs/deploy.md "IAM".
    serviceAccount: PUSH_SERVICE_ACCOUNT,
  },
  async (event) => {
    await handleCommentCreated(event);
  },
);
