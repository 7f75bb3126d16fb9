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
 *
 * Large audiences (more devices than `tasks.threshold`) are not sent by this run: step 2 stops reading
 * their devices once they exceed the threshold, counts the rest and cuts the audience into slices, and
 * step 3 enqueues one Cloud Tasks task per slice (deliveries/sliceFanOut.ts sends each through
 * `sendCommentPush`, the send path of steps 3 and 4 here). The delivery then ends when its last slice does.
 */
import { composeCommentPush } from "../push/compose";
import { chunk, mapWithConcurrency } from "../push/chunk";
import { deliverMessages, type DeliveryReport, type PushSender } from "../push/deliver";
import { recipientsOf } from "../push/recipients";
import { assertRetryPolicy, type RetryPolicy } from "../push/retryPolicy";
import { planSlices, sliceTaskId, type AudienceGroup, type AudienceSlice } from "../push/slices";
import type { CommentPush } from "../push/compose";
import type { ActiveDevice, DeviceStore } from "../devices/deviceStore";
import type { PostStore } from "../posts/postStore";
import type { UserStore } from "../users/userStore";
import type { DeliveryCounts, DeliveryStore, SliceCounts } from "./deliveryStore";
import type { CommentContent, SliceQueue } from "./sliceTask";
import { log } from "../log";

/** What the fan-out uses of each store (the Firestore-backed classes; tests may pass their own). */
export type CommentPushStores = {
  posts: Pick<PostStore, "parseComment" | "post" | "subscribe" | "subscribersOf">;
  users: Pick<UserStore, "displayNameOf" | "commentOptOutsAmong">;
  devices: Pick<DeviceStore, "activeDevicesOf" | "markRejected" | "deviceCountsOf" | "maxDevicesPerUser">;
  deliveries: Pick<
    DeliveryStore,
    | "maxAttempts"
    | "begin"
    | "sendStarting"
    | "finish"
    | "abandon"
    | "tasksPlanned"
    | "sliceNotEnqueued"
    | "beginSlice"
    | "sliceSendStarting"
    | "abandonSlice"
    | "finishSlice"
  >;
};

/** What the handler needs of a comment-created event: its id (the idempotency key), path params and snapshot. */
export type CommentCreatedEvent = {
  id: string;
  params: { postId: string; commentId: string };
  data?: { data(): unknown } | undefined;
};

/** The task path: audiences of more than `threshold` devices are sent by tasks enqueued on `queue`. */
export type TaskFanOut = { threshold: number; queue: SliceQueue };

export type CommentFanOut = {
  stores: CommentPushStores;
  sender: PushSender<CommentPush>;
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  /** Without it every audience is sent directly. */
  tasks?: TaskFanOut | undefined;
};

/** What `sendCommentPush` needs: the sender and its clock, and the store that marks rejected tokens. */
export type SendDeps = Pick<CommentFanOut, "sender" | "policy" | "sleep" | "random" | "now"> & {
  devices: Pick<DeviceStore, "markRejected">;
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
    }
  | { kind: "enqueued"; audience: number; slices: number; notEnqueued: number };

/** How one send of composed messages went (a direct delivery, or one slice). */
export type SendOutcome = {
  status: "done" | "failed";
  counts: SliceCounts;
  massRejectionGuardTripped: boolean;
  /** Why it failed, for the delivery's (or slice's) `error`. */
  error?: string | undefined;
};

/** Everything the send needs, read; or why nothing is to be sent. */
type Plan =
  | { kind: "direct"; content: CommentContent; recipients: number; devices: ActiveDevice[] }
  | { kind: "tasks"; content: CommentContent; recipients: number; audience: number; slices: AudienceSlice[] }
  | { kind: "skip"; skip: string; status: "done" | "failed" };

const NO_COUNTS: DeliveryCounts = { recipients: 0, tokens: 0, sent: 0, failed: 0, rejected: 0, retries: 0 };
/** Tasks enqueued at once by the trigger (each one HTTP request to Cloud Tasks). */
const ENQUEUE_CONCURRENCY = 10;
/** Recipients of one `uid in [...]` query (Firestore's limit), and of one group of a slice plan. */
const GROUP = 30;
/** Recipients whose devices are read at a time while an audience is measured: 6 queries, run together. */
const READ_BATCH = 6 * GROUP;

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
  let plan: Plan;
  try {
    assertRetryPolicy(deps.policy);
    plan = await prepare(event, stores, deps.tasks);
    if (plan.kind === "direct") {
      await stores.deliveries.sendStarting(event.id, {
        recipients: plan.recipients,
        tokens: plan.devices.length,
      });
    } else if (plan.kind === "tasks") {
      await stores.deliveries.tasksPlanned(event.id, {
        recipients: plan.recipients,
        audience: plan.audience,
        slices: plan.slices.length,
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

  if (plan.kind === "skip") {
    log.commentPushSkipped({ ...ids, reason: plan.skip });
    await stores.deliveries.finish(event.id, {
      status: plan.status,
      counts: NO_COUNTS,
      ...(plan.status === "failed" ? { error: plan.skip } : {}),
    });
    return { kind: "skipped", reason: plan.skip };
  }

  // From here on the event is never run again.
  if (plan.kind === "tasks") return enqueueSlices(event.id, plan, deps, Math.round(deps.now() - started));

  const prepareMs = Math.round(deps.now() - started);
  const counts: DeliveryCounts = { ...NO_COUNTS, recipients: plan.recipients, tokens: plan.devices.length };
  try {
    const outcome = await sendCommentPush(event.id, plan.content, plan.devices, {
      ...deps,
      devices: stores.devices,
    });
    const sendMs = Math.round(deps.now() - started) - prepareMs;
    Object.assign(counts, outcome.counts);
    await stores.deliveries.finish(event.id, { status: outcome.status, counts, error: outcome.error });
    log.commentPushDelivered({
      ...ids,
      status: outcome.status,
      ...counts,
      massRejectionGuardTripped: outcome.massRejectionGuardTripped,
      durationMs: Math.round(deps.now() - started),
      prepareMs,
      sendMs,
    });
    return {
      kind: "delivered",
      status: outcome.status,
      counts,
      massRejectionGuardTripped: outcome.massRejectionGuardTripped,
    };
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

/**
 * The one send path, of a direct delivery and of every slice: compose one message per device, send them
 * (`deliverMessages`: classification, retries, the mass-rejection guard), mark the tokens FCM rejected, and
 * decide the status: `done` when every message was accepted or its token rejected, `failed` when any
 * message failed or the guard tripped. An error while marking rejected tokens fails the send (its counts
 * kept) rather than throwing: the messages are out by then.
 */
export async function sendCommentPush(
  eventId: string,
  content: CommentContent,
  devices: readonly ActiveDevice[],
  deps: SendDeps,
): Promise<SendOutcome> {
  const messages = devices.map((device) => ({
    deviceId: device.deviceId,
    message: composeCommentPush({
      device: { token: device.token, locale: device.locale, platform: device.platform },
      commenterName: content.commenterName,
      relation: device.uid === content.postAuthorId ? "author" : "subscriber",
      postId: content.postId,
      commentId: content.commentId,
      authorId: content.authorId,
      text: content.text,
    }),
  }));
  const report = await deliverMessages({
    messages,
    sender: deps.sender,
    sleep: deps.sleep,
    random: deps.random,
    now: deps.now,
    policy: deps.policy,
  });
  const counts: SliceCounts = {
    tokens: messages.length,
    sent: report.sent,
    failed: report.failed,
    rejected: report.rejected.length,
    retries: report.retries,
  };
  if (report.massRejectionGuardTripped) {
    log.massRejectionGuardTripped({
      eventId,
      tokens: counts.tokens,
      guarded: report.failures["mismatch-guarded"]?.count ?? 0,
    });
  }
  if (report.failed > 0) log.commentPushSendFailures({ eventId, failures: report.failures });
  const status = report.massRejectionGuardTripped || report.failed > 0 ? "failed" : "done";
  const outcome: SendOutcome = {
    status,
    counts,
    massRejectionGuardTripped: report.massRejectionGuardTripped,
    ...(status === "failed" ? { error: failureSummary(report) } : {}),
  };
  try {
    await markRejected(eventId, report, devices, deps.devices);
  } catch (error) {
    log.commentPushFinishFailed({ eventId, error });
    return { ...outcome, status: "failed", error: describe(error) };
  }
  return outcome;
}

/** Everything the send needs, read (and, for a large audience, counted and sliced); or why nothing is to be sent. */
async function prepare(
  event: CommentCreatedEvent,
  stores: CommentPushStores,
  tasks: TaskFanOut | undefined,
): Promise<Plan> {
  const { postId, commentId } = event.params;
  const comment = stores.posts.parseComment(event.data?.data());
  // Only an Admin SDK write can make such a comment (the rules refuse it): retrying would not help.
  if (!comment) return { kind: "skip", skip: "the comment is missing or malformed", status: "failed" };
  const post = await stores.posts.post(postId);
  // Deleted before its comment was handled: nobody to tell, and no subscriber to add.
  if (!post) return { kind: "skip", skip: "the post no longer exists", status: "done" };

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
  const content: CommentContent = {
    postId,
    commentId,
    authorId: comment.authorId,
    postAuthorId: post.authorId,
    ...(commenterName === undefined ? {} : { commenterName }),
    text: comment.text,
  };

  // An audience that cannot exceed the threshold (at most 10 devices a recipient) is read in one go.
  if (!tasks || recipients.length * stores.devices.maxDevicesPerUser <= tasks.threshold) {
    const devices = recipients.length === 0 ? [] : await stores.devices.activeDevicesOf(recipients);
    return { kind: "direct", content, recipients: recipients.length, devices };
  }
  const audience = await measureAudience(recipients, stores.devices, tasks.threshold);
  if (audience.kind === "read") {
    return { kind: "direct", content, recipients: recipients.length, devices: audience.devices };
  }
  const devices = audience.groups.reduce((sum, group) => sum + group.devices, 0);
  return {
    kind: "tasks",
    content,
    recipients: recipients.length,
    audience: devices,
    slices: planSlices(audience.groups),
  };
}

/**
 * Reads the audience's devices a batch of recipients at a time, as the direct path would, until they
 * exceed the threshold: an audience that does not is then read exactly once, and sent directly. One that
 * does costs at most a batch of reads beyond the threshold; the devices of the recipients not read yet
 * are only counted (`deviceCountsOf`: one read per 30 recipients), which is all the slicing needs.
 */
async function measureAudience(
  recipients: readonly string[],
  devices: CommentPushStores["devices"],
  threshold: number,
): Promise<{ kind: "read"; devices: ActiveDevice[] } | { kind: "counted"; groups: AudienceGroup[] }> {
  const batches = chunk(recipients, READ_BATCH);
  const read: ActiveDevice[] = [];
  let next = 0;
  while (next < batches.length && read.length <= threshold) {
    read.push(...(await devices.activeDevicesOf(batches[next] ?? [])));
    next++;
  }
  if (read.length <= threshold) return { kind: "read", devices: read };

  const perUid = new Map<string, number>();
  for (const device of read) perUid.set(device.uid, (perUid.get(device.uid) ?? 0) + 1);
  const readGroups = chunk(batches.slice(0, next).flat(), GROUP).map((uids) => ({
    uids,
    devices: uids.reduce((sum, uid) => sum + (perUid.get(uid) ?? 0), 0),
  }));
  const rest = batches.slice(next).flat();
  return {
    kind: "counted",
    groups: [...readGroups, ...(rest.length === 0 ? [] : await devices.deviceCountsOf(rest))],
  };
}

/**
 * Enqueues one task per slice, ids derived from the event and the slice, so a duplicate enqueue is refused
 * (and counts as done). A slice that cannot be enqueued (after firebase-admin's own retries) is ended as
 * failed, its devices counted `failed`, so the delivery still ends once the others have.
 */
async function enqueueSlices(
  eventId: string,
  plan: Extract<Plan, { kind: "tasks" }>,
  deps: CommentFanOut,
  prepareMs: number,
): Promise<CommentPushOutcome> {
  const { queue } = deps.tasks as TaskFanOut;
  const deliveries = deps.stores.deliveries;
  const ids = { eventId, postId: plan.content.postId, commentId: plan.content.commentId };
  const results = await mapWithConcurrency(plan.slices, ENQUEUE_CONCURRENCY, async (slice) => {
    try {
      return await queue.enqueue(
        { eventId, slice, content: plan.content },
        sliceTaskId(eventId, slice.index),
      );
    } catch (error) {
      log.commentPushSliceNotEnqueued({ ...ids, slice: slice.index, devices: slice.devices, error });
      try {
        const { finished } = await deliveries.sliceNotEnqueued(eventId, slice, describe(error));
        if (finished) log.commentPushTasksFinished({ ...ids, ...finished });
      } catch (recordError) {
        log.commentPushFinishFailed({ eventId, error: recordError });
      }
      return "failed" as const;
    }
  });
  const notEnqueued = results.filter((result) => result === "failed").length;
  log.commentPushEnqueued({
    ...ids,
    recipients: plan.recipients,
    audience: plan.audience,
    slices: plan.slices.length,
    duplicates: results.filter((result) => result === "duplicate").length,
    notEnqueued,
    prepareMs,
  });
  return { kind: "enqueued", audience: plan.audience, slices: plan.slices.length, notEnqueued };
}

/** Marks the tokens FCM refused for good, each only if the device is unchanged since it was read. */
async function markRejected(
  eventId: string,
  report: DeliveryReport,
  read: readonly ActiveDevice[],
  devices: SendDeps["devices"],
): Promise<void> {
  if (report.rejected.length === 0) return;
  const readAt = new Map(read.map((device) => [device.deviceId, device.updateTime]));
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

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
