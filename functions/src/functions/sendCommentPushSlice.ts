// The task-queue function that sends one slice of a large comment's audience (docs/delivery.md). The
// trigger enqueues the tasks; Cloud Tasks dispatches them at the params' rates and delivers each at least
// once, which the slice's own gate turns into exactly once.
import {
  PUSH_TASKS_MAX_CONCURRENT_DISPATCHES,
  PUSH_TASKS_MAX_DISPATCHES_PER_SECOND,
  PUSH_SERVICE_ACCOUNT,
  pushRetryPolicy,
} from "../params";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { commentPushDeps } from "../commentPush/defaults";
import type { SliceFanOut, SliceOutcome } from "../commentPush/slice";
import { sliceTask } from "../commentPush/sliceTask";
import { log } from "../log";
import { inputProblems, type InputProblem } from "../shared/zodIssues";

/**
 * Handles one task's payload; `deps` replaces any collaborator (tests). A payload that is not a slice task
 * is logged and acknowledged: running it again could not make it one.
 */
export async function handleCommentPushSlice(
  data: unknown,
  deps: Partial<SliceFanOut> = {},
): Promise<SliceOutcome | { kind: "invalid"; problems: InputProblem[] }> {
  const parsed = sliceTask.safeParse(data);
  if (!parsed.success) {
    const problems = inputProblems(parsed.error);
    log.commentPushSliceInvalid({ problems });
    return { kind: "invalid", problems };
  }
  const [{ sendSlice }, full] = await Promise.all([
    import("../commentPush/slice"),
    commentPushDeps({ ...deps, policy: deps.policy ?? pushRetryPolicy() }),
  ]);
  return sendSlice(parsed.data, full);
}

export const sendCommentPushSlice = onTaskDispatched(
  {
    rateLimits: {
      maxDispatchesPerSecond: PUSH_TASKS_MAX_DISPATCHES_PER_SECOND,
      maxConcurrentDispatches: PUSH_TASKS_MAX_CONCURRENT_DISPATCHES,
    },
    // Retried only when the slice failed before sending anything: its gate lets 5 runs past it and the
    // 5th ends the slice as failed; 8 attempts leave room for dispatches that fail before the code runs.
    // Backoff 5 s doubling to 80 s: long enough for a Firestore hiccup, short enough to still be news.
    retryConfig: { maxAttempts: 8, minBackoffSeconds: 5, maxBackoffSeconds: 80, maxDoublings: 4 },
    // One sendEach of 500 plus the retry budget (40 s by default) and firebase-admin's own 503 retries.
    timeoutSeconds: 300,
    // The identity the enqueuing trigger puts in each task's OIDC token must be allowed to invoke this
    // function: see params.ts PUSH_SERVICE_ACCOUNT and docs/deploy.md "IAM".
    serviceAccount: PUSH_SERVICE_ACCOUNT,
  },
  async (request) => {
    await handleCommentPushSlice(request.data);
  },
);
