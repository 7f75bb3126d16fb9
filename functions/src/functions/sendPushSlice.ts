// The task-queue function that sends one slice of a large audience, of any push kind (docs/delivery.md).
// A kind's delivery enqueues the tasks; Cloud Tasks dispatches them at the params' rates and delivers each at least
// once, which the slice's own gate turns into exactly once.
import {
  PUSH_TASKS_MAX_CONCURRENT_DISPATCHES,
  PUSH_TASKS_MAX_DISPATCHES_PER_SECOND,
  PUSH_SERVICE_ACCOUNT,
  SLICE_TASK_TIMEOUT_SECONDS,
  pushRetryPolicy,
} from "../params";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { pushDeps, type GivenDeps } from "../push/defaults";
import { kindNamed } from "../push/kinds/registry";
import type { SliceOutcome } from "../push/slice";
import { sliceTask } from "../push/sliceTask";
import { log } from "../log";
import { inputProblems, type InputProblem } from "../shared/zodIssues";

/**
 * Handles one task's payload; `deps` replaces any collaborator (tests). A payload that is not a slice task
 * of a known kind, with content that kind reads, is logged and acknowledged: running it again could not
 * make it one.
 */
export async function handlePushSlice(
  data: unknown,
  deps: Partial<GivenDeps<unknown>> = {},
): Promise<SliceOutcome | { kind: "invalid"; problems: InputProblem[] }> {
  const parsed = sliceTask.safeParse(data);
  const kind = parsed.success ? kindNamed(parsed.data.kind) : undefined;
  const content = parsed.success && kind ? kind.content.safeParse(parsed.data.content) : undefined;
  if (!parsed.success || !kind || !content?.success) {
    const problems = !parsed.success
      ? inputProblems(parsed.error)
      : !kind
        ? [{ path: "kind", message: `no push kind named "${parsed.data.kind}"` }]
        : inputProblems(content?.error, "content");
    log.pushSliceInvalid({ problems });
    return { kind: "invalid", problems };
  }
  const [{ sendSlice }, full] = await Promise.all([
    import("../push/slice"),
    pushDeps({ ...deps, policy: deps.policy ?? pushRetryPolicy() }),
  ]);
  return sendSlice({ ...parsed.data, content: content.data }, kind, full);
}

export const sendPushSlice = onTaskDispatched(
  {
    rateLimits: {
      maxDispatchesPerSecond: PUSH_TASKS_MAX_DISPATCHES_PER_SECOND,
      maxConcurrentDispatches: PUSH_TASKS_MAX_CONCURRENT_DISPATCHES,
    },
    // Retried only when the slice failed before sending anything, or another run holds its lease: its gate
    // lets 5 runs past it and the 5th ends the slice as failed. Backoff 5 s doubling to 80 s: 12 attempts
    // span ~10 minutes, past a dead run's lease (timeout + margin, 360 s), so a retry can take the slice over.
    retryConfig: { maxAttempts: 12, minBackoffSeconds: 5, maxBackoffSeconds: 80, maxDoublings: 4 },
    // One sendEach of 500 plus the retry budget (40 s by default) and firebase-admin's own 503 retries.
    timeoutSeconds: SLICE_TASK_TIMEOUT_SECONDS,
    // The identity the enqueuing trigger puts in each task's OIDC token must be allowed to invoke this
    // function: see params.ts PUSH_SERVICE_ACCOUNT and docs/deploy.md "IAM".
    serviceAccount: PUSH_SERVICE_ACCOUNT,
  },
  async (request) => {
    await handlePushSlice(request.data);
  },
);
