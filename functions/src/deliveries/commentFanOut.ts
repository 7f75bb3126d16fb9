/**
 * The fan-out of one new comment (CONTRACT "Who is notified", "The push message", "FCM outcomes",
 * `pushDeliveries`), from the comment-created event to the delivery record. The decisions are the pure
 * domain's (functions/src/push); this wires them to the stores and the FCM sender.
 *
 * Exactly once, with the trigger's retries on:
 * 1. Gate. `pushDeliveries/{eventId}` is created (`sending`) before anything else. If it exists, this
 *    event was handled, or is being handled by a concurrent delivery of the same event, or a run crashed
 *    in the middle: nothing is sent. A delivery left `sending` by a crashed run is never taken over,
 *    because messages may already have gone out: a lost push is better than a duplicate one.
 * 2. Prepare (nothing sent yet): subscribe the commenter, read post, subscribers, names, opt-outs and
 *    devices, compose. If this throws (Firestore unavailable, say), the delivery is marked `failed` with
 *    `sendStarted: false` and the error is rethrown, so Cloud Functions retries the event; the retry's gate
 *    takes the delivery over again, up to `DeliveryStore.maxAttempts` runs. After the last one the error is
 *    only logged. A comment that can never be sent (malformed) fails at once, without retries.
 * 3. Send. `sendStarted: true` is recorded first; from then on the event is never run again, whatever
 *    happens: errors are logged, the delivery is marked `failed` if possible, and nothing is rethrown.
 * 4. Learn and finish: rejected tokens are marked in the same run; the delivery ends `done` when every
 *    message was accepted by FCM or its token rejected, and `failed` when any message failed (credentials,
 *    payload, retries exhausted) or the mass-rejection guard tripped.
 */
import { composeCommentPush, type CommentPush } from "../push/compose";
import { deliverMessages, type DeliveryMessage, type DeliveryReport, type PushSender } from "../push/deliver";
import { recipientsOf } from "../push/recipients";
import { assertRetryPolicy, type RetryPolicy } from "../push/retryPolicy";
import type { DeviceStore } from "../devices/deviceStore";
import type { PostStore } from "../posts/postStore";
import type { UserStore } from "../users/userStore";
import type { DeliveryCounts, DeliveryStore } from "./deliveryStore";
import { log } from "../log";

/** What the fan-out uses of each store (the Firestore-backed classes; tests may pass their own). */
export type CommentPushStores = {
  posts: Pick<PostStore, "parseComment" | "post" | "subscribe" | "subscribersOf">;
  users: Pick<UserStore, "displayNameOf" | "commentOptOutsAmong">;
  devices: Pick<DeviceStore, "activeDevicesOf" | "markRejected">;
  deliveries: Pick<DeliveryStore, "maxAttempts" | "begin" | "sendStarting" | "finish" | "abandon">;
};

/** What the handler needs of a comment-created event: its id (the idempotency key), path params and snapshot. */
export type CommentCreatedEvent = {
  id: string;
  params: { postId: string; commentId: string };
  data?: { data(): unknown } | undefined;
};

export type CommentFanOut = {
  stores: CommentPushStores;
  sender: PushSender<CommentPush>;
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
};

export type CommentPushOutcome =
  | { kind: "already-handled"; status: string }
  | { kind: "skipped"; reason: string }
  | { kind: "aborted"; willRetry: boolean; error: string }
  | {
      kind: "delivered";
      status: "done" | "failed";
      counts: DeliveryCounts;
      massRejectionGuardTripped: boolean;
    };

type Plan = {
  messages: DeliveryMessage<CommentPush>[];
  recipients: number;
  devices: Awaited<ReturnType<DeviceStore["activeDevicesOf"]>>;
};

const NO_COUNTS: DeliveryCounts = { recipients: 0, tokens: 0, sent: 0, failed: 0, rejected: 0, retries: 0 };

export async function fanOutComment(
  event: CommentCreatedEvent,
  deps: CommentFanOut,
): Promise<CommentPushOutcome> {
  const started = deps.now();
  const { stores } = deps;
  const { postId, commentId } = event.params;
  const ids = { eventId: event.id, postId, commentId };

  const gate = await stores.deliveries.begin(event.id, { postId, commentId });
  if (!gate.owned) {
    log.commentPushDuplicate({ ...ids, status: gate.status, sendStarted: gate.sendStarted });
    return { kind: "already-handled", status: gate.status };
  }

  // Prepare: nothing has been sent, so a failure here may be retried.
  let plan: Plan | { skip: string; status: "done" | "failed" };
  try {
    assertRetryPolicy(deps.policy);
    plan = await prepare(event, stores);
    if ("messages" in plan) {
      await stores.deliveries.sendStarting(event.id, {
        recipients: plan.recipients,
        tokens: plan.messages.length,
      });
    }
  } catch (error) {
    const willRetry = gate.attempt < stores.deliveries.maxAttempts;
    log.commentPushAborted({ ...ids, attempt: gate.attempt, willRetry, error });
    try {
      await stores.deliveries.abandon(event.id, describe(error));
    } catch (recordError) {
      // The delivery stays `sending`, so a retry would be refused: say so, and do not ask for one.
      log.commentPushFinishFailed({ eventId: event.id, error: recordError });
      return { kind: "aborted", willRetry: false, error: describe(error) };
    }
    if (willRetry) throw error;
    return { kind: "aborted", willRetry: false, error: describe(error) };
  }

  if (!("messages" in plan)) {
    log.commentPushSkipped({ ...ids, reason: plan.skip });
    await stores.deliveries.finish(event.id, {
      status: plan.status,
      counts: NO_COUNTS,
      ...(plan.status === "failed" ? { error: plan.skip } : {}),
    });
    return { kind: "skipped", reason: plan.skip };
  }

  // Send: from here on the event is never run again.
  const prepareMs = Math.round(deps.now() - started);
  const counts: DeliveryCounts = { ...NO_COUNTS, recipients: plan.recipients, tokens: plan.messages.length };
  try {
    const report = await deliverMessages({
      messages: plan.messages,
      sender: deps.sender,
      sleep: deps.sleep,
      random: deps.random,
      now: deps.now,
      policy: deps.policy,
    });
    const sendMs = Math.round(deps.now() - started) - prepareMs;
    Object.assign(counts, {
      sent: report.sent,
      failed: report.failed,
      rejected: report.rejected.length,
      retries: report.retries,
    });
    await markRejected(event.id, report, plan, stores.devices);

    const status = report.massRejectionGuardTripped || report.failed > 0 ? "failed" : "done";
    if (report.massRejectionGuardTripped) {
      log.massRejectionGuardTripped({
        eventId: event.id,
        tokens: counts.tokens,
        guarded: report.failures["mismatch-guarded"]?.count ?? 0,
      });
    }
    if (report.failed > 0) log.commentPushSendFailures({ eventId: event.id, failures: report.failures });
    await stores.deliveries.finish(event.id, {
      status,
      counts,
      ...(status === "failed" ? { error: failureSummary(report) } : {}),
    });
    log.commentPushDelivered({
      ...ids,
      status,
      ...counts,
      massRejectionGuardTripped: report.massRejectionGuardTripped,
      durationMs: Math.round(deps.now() - started),
      prepareMs,
      sendMs,
    });
    return { kind: "delivered", status, counts, massRejectionGuardTripped: report.massRejectionGuardTripped };
  } catch (error) {
    // Messages may have gone out: record the failure if we can, and never ask for a retry.
    log.commentPushFinishFailed({ eventId: event.id, error });
    await stores.deliveries
      .finish(event.id, { status: "failed", counts, error: describe(error) })
      .catch((recordError: unknown) =>
        log.commentPushFinishFailed({ eventId: event.id, error: recordError }),
      );
    return {
      kind: "delivered",
      status: "failed",
      counts,
      massRejectionGuardTripped: false,
    };
  }
}

/** Everything the send needs, read and composed; or why nothing is to be sent. */
async function prepare(
  event: CommentCreatedEvent,
  stores: CommentPushStores,
): Promise<Plan | { skip: string; status: "done" | "failed" }> {
  const { postId, commentId } = event.params;
  const comment = stores.posts.parseComment(event.data?.data());
  // Only an Admin SDK write can make such a comment (the rules refuse it): retrying would not help.
  if (!comment) return { skip: "the comment is missing or malformed", status: "failed" };
  const post = await stores.posts.post(postId);
  // Deleted before its comment was handled: nobody to tell, and no subscriber to add.
  if (!post) return { skip: "the post no longer exists", status: "done" };

  // Create-if-absent: idempotent on a retry, and a commenter who muted the post stays muted.
  await stores.posts.subscribe(postId, comment.authorId);
  const [subscribers, commenterName] = await Promise.all([
    stores.posts.subscribersOf(postId),
    stores.users.displayNameOf(comment.authorId),
  ]);
  const recipients = await recipientsOf({
    postAuthorId: post.authorId,
    commentAuthorId: comment.authorId,
    subscribers,
    optedOut: (uids) => stores.users.commentOptOutsAmong(uids),
  });
  const devices = recipients.length === 0 ? [] : await stores.devices.activeDevicesOf(recipients);
  const messages = devices.map((device) => ({
    deviceId: device.deviceId,
    message: composeCommentPush({
      device: { token: device.token, locale: device.locale, platform: device.platform },
      commenterName,
      relation: device.uid === post.authorId ? "author" : "subscriber",
      postId,
      commentId,
      authorId: comment.authorId,
      text: comment.text,
    }),
  }));
  return { messages, recipients: recipients.length, devices };
}

/** Marks the tokens FCM refused for good, each only if the device is unchanged since it was read. */
async function markRejected(
  eventId: string,
  report: DeliveryReport,
  plan: Plan,
  devices: CommentPushStores["devices"],
): Promise<void> {
  if (report.rejected.length === 0) return;
  const readAt = new Map(plan.devices.map((device) => [device.deviceId, device.updateTime]));
  const result = await devices.markRejected(
    report.rejected.map(({ deviceId, code }) => ({ deviceId, code, updateTime: readAt.get(deviceId) })),
  );
  const byCode: Record<string, number> = {};
  for (const { code } of report.rejected) byCode[code] = (byCode[code] ?? 0) + 1;
  log.devicesMarkedRejected({ eventId, ...result, byCode });
  if (result.failed > 0) log.devicesMarkFailed({ eventId, failed: result.failed, samples: result.failures });
}

/** One line for the delivery's `error`: why it failed, by reason. */
function failureSummary(report: DeliveryReport): string {
  const reasons = Object.entries(report.failures).map(([reason, entry]) => `${reason} ×${entry?.count ?? 0}`);
  const guard = report.massRejectionGuardTripped
    ? "mass-rejection guard tripped (most answers mismatched-credential): no token marked; "
    : "";
  return `${guard}${report.failed} of ${report.failed + report.sent + report.rejected.length} messages failed: ${reasons.join(", ")}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
