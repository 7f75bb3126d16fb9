// The task-queue function that sends one window's digest (docs/coalescing.md). Comments folded into a
// window enqueue it for the window's end; Cloud Tasks delivers it at least once, which the digest's own
// delivery record (the same gate as a comment's: docs/delivery.md) turns into exactly once.
import { PUSH_SERVICE_ACCOUNT, pushRetryPolicy, pushTasksThreshold } from "../params";
import { onTaskDispatched } from "firebase-functions/v2/tasks";
import { pushDeps, pushSliceQueue, type GivenDeps } from "../push/defaults";
import type { PushOutcome } from "../push/delivery";
import { DIGEST_TIMEOUT_SECONDS, commentDigestKind } from "../push/kinds/comment/coalesce/digestKind";
import { registered } from "../push/kinds/documentTrigger";
import { DIGEST_GRACE_MS, digestTask } from "../push/kinds/comment/coalesce/digestTask";
import { log } from "../log";
import { inputProblems, type InputProblem } from "../shared/zodIssues";

/**
 * The longest a digest dispatched before its window's end waits inside the handler. Cloud Tasks dispatches
 * it at its `scheduleTime`, so in production it never waits; the Cloud Tasks emulator ignores
 * `scheduleTime` and dispatches at once. Earlier than this before its time, the task is refused (an error:
 * Cloud Tasks tries it again later).
 */
export const MAX_DIGEST_WAIT_MS = 120_000;

export type DigestDeps = Partial<GivenDeps<unknown>> & {
  /** Milliseconds since the epoch (the window's times are). */
  clock?: () => number;
};

/** Handles one task's payload; `deps` replaces any collaborator (tests). */
export async function handleCommentDigest(
  data: unknown,
  deps: DigestDeps = {},
): Promise<PushOutcome | { kind: "invalid"; problems: InputProblem[] }> {
  const parsed = digestTask.safeParse(data);
  if (!parsed.success) {
    const problems = inputProblems(parsed.error);
    log.digestInvalid({ problems });
    return { kind: "invalid", problems };
  }
  const task = parsed.data;
  const clock = deps.clock ?? Date.now;
  const waitMs = task.window.closesAt + DIGEST_GRACE_MS - clock();
  if (waitMs > MAX_DIGEST_WAIT_MS) {
    throw new Error(`digest dispatched ${waitMs} ms before its window's end: try again later`);
  }
  const [{ sendDigest }, full] = await Promise.all([
    import("../push/kinds/comment/coalesce/digest"),
    pushDeps({
      ...deps,
      policy: deps.policy ?? pushRetryPolicy(),
      tasks: deps.tasks ?? { threshold: pushTasksThreshold(), queue: pushSliceQueue() },
    }),
  ]);
  if (waitMs > 0) {
    log.digestWaiting({ postId: task.postId, windowId: task.window.windowId, waitMs });
    await full.sleep(waitMs);
  }
  const { windows } = full.stores;
  if (!windows) throw new Error("the digest needs the window store");
  return sendDigest(task, { ...full, stores: { ...full.stores, windows } });
}

export const sendCommentDigest = registered(
  commentDigestKind,
  onTaskDispatched(
    {
      // A digest is one window of one post: as many at once as there are busy posts, each one fan-out.
      rateLimits: { maxConcurrentDispatches: 50 },
      // Retried when it failed before sending anything (the gate lets 5 runs past), or came too early.
      retryConfig: { maxAttempts: 8, minBackoffSeconds: 10, maxBackoffSeconds: 300, maxDoublings: 4 },
      // The wait for the window's end (emulator only) plus a fan-out as long as the trigger's.
      timeoutSeconds: DIGEST_TIMEOUT_SECONDS,
      // It enqueues slices of large digests: see params.ts PUSH_SERVICE_ACCOUNT and docs/deploy.md "IAM".
      serviceAccount: PUSH_SERVICE_ACCOUNT,
    },
    async (request) => {
      await handleCommentDigest(request.data);
    },
  ),
);
