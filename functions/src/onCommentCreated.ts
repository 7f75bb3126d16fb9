// The comment-push trigger: every new `posts/{postId}/comments/{commentId}` is fanned out to the devices
// of the post's author and subscribers (see deliveries/commentFanOut.ts for the steps and the exactly-once
// rules). Retries are on: a run that fails before sending anything is retried, one that started sending
// never is (its `pushDeliveries/{event.id}` gate refuses the retry).
import { defineInt } from "firebase-functions/params";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import type { CommentCreatedEvent, CommentFanOut, CommentPushOutcome } from "./deliveries/commentFanOut";
import { defaultRetryPolicy, type RetryPolicy } from "./push/retryPolicy";
import { commentPushStores } from "./stores";

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
    "function's timeout (300 s).",
});

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
  });
}

export const onCommentCreated = onDocumentCreated(
  {
    document: "posts/{postId}/comments/{commentId}",
    // Safe with the pushDeliveries gate: only runs that sent nothing are run again.
    retry: true,
    // Sends (≤ 500 per sendEach, 2 in flight) plus the retry budget (40 s by default) and firebase-admin's
    // own 503 retries fit well inside this.
    timeoutSeconds: 300,
    memory: "512MiB",
  },
  async (event) => {
    await handleCommentCreated(event);
  },
);
