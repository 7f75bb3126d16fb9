// The comment-push trigger: every new `posts/{postId}/comments/{commentId}` fanned out to the post's author
// and subscribers (docs/api.md), exactly once (docs/delivery.md); large audiences through sendPushSlice;
// comments inside a post's open window folded into its digest instead (docs/coalescing.md).
import {
  COMMENT_TRIGGER_MAX_INSTANCES,
  COMMENT_TRIGGER_TIMEOUT_SECONDS,
  PUSH_SERVICE_ACCOUNT,
  coalesceWindowMs,
  pushRetryPolicy,
  pushTasksThreshold,
} from "../params";
import { onDocumentCreated } from "firebase-functions/v2/firestore";
import { pushDeps, pushSliceQueue, type GivenDeps } from "../push/defaults";
import type { PushOutcome } from "../push/delivery";
import type { CommentCreatedEvent } from "../push/kinds/comment/stores";
import { commentKind } from "../push/kinds/comment/comment";
import { registered } from "../push/kinds/documentTrigger";
import type { CoalescedOutcome, Coalescing } from "../push/kinds/comment/coalesce/coalesce";

/**
 * Handles one comment-created event; `deps` replaces any collaborator (tests), the rest are the real ones.
 * Coalescing needs `stores.windows` (the real stores have it) and takes its window from the params.
 */
export async function handleCommentCreated(
  event: CommentCreatedEvent,
  deps: Partial<GivenDeps<unknown>> & { coalescing?: Partial<Coalescing> } = {},
): Promise<PushOutcome | CoalescedOutcome> {
  const [{ fanOutComment }, { coalesceComment, lazyDigestQueue }, full] = await Promise.all([
    import("../push/kinds/comment/fanOut"),
    import("../push/kinds/comment/coalesce/coalesce"),
    pushDeps({
      ...deps,
      policy: deps.policy ?? pushRetryPolicy(),
      tasks: deps.tasks ?? { threshold: pushTasksThreshold(), queue: pushSliceQueue() },
    }),
  ]);
  const coalesced = await coalesceComment(event, full.stores, {
    windowMs: deps.coalescing?.windowMs ?? coalesceWindowMs(),
    digests: deps.coalescing?.digests ?? lazyDigestQueue(),
  });
  return coalesced ?? fanOutComment(event, full);
}

export const onCommentCreated = registered(
  commentKind,
  onDocumentCreated(
    {
      document: "posts/{postId}/comments/{commentId}",
      // Safe with the pushDeliveries gate: only runs that sent nothing are run again (docs/delivery.md).
      retry: true,
      // The most an event function may run. Direct sends (≤ 500 per sendEach, 2 in flight) plus the retry
      // budget fit well inside it; the rest is for reading and planning the largest audiences.
      timeoutSeconds: COMMENT_TRIGGER_TIMEOUT_SECONDS,
      // It enqueues sendPushSlice tasks: see params.ts PUSH_SERVICE_ACCOUNT and docs/deploy.md "IAM".
      serviceAccount: PUSH_SERVICE_ACCOUNT,
      // A flood of comments cannot scale the trigger past what FCM's quota can take (docs/coalescing.md).
      maxInstances: COMMENT_TRIGGER_MAX_INSTANCES,
    },
    async (event) => {
      await handleCommentCreated(event);
    },
  ),
);
