/**
 * The plan of one comment's fan-out (nothing is sent here): the comment, its post, who is notified and what
 * the push says, then either every device read (direct) or, for an audience above the task threshold, the
 * audience counted and cut into slices (docs/delivery.md).
 */
import { chunk } from "../shared/batches";
import type { ActiveDevice } from "../devices/deviceDoc";
import { recipientsOf } from "./domain/recipients";
import { planSlices, type AudienceGroup, type AudienceSlice } from "./domain/slices";
import type { CommentCreatedEvent, CommentPushStores, TaskFanOut } from "./deps";
import type { CommentContent } from "./sliceTask";
import type { DigestContent } from "./domain/digest";

/** Everything the send needs, read; or why nothing is to be sent. A digest's plan carries it (send.ts). */
export type Plan =
  | {
      kind: "direct";
      content: CommentContent;
      recipients: number;
      devices: ActiveDevice[];
      digest?: DigestContent;
    }
  | {
      kind: "tasks";
      content: CommentContent;
      recipients: number;
      audience: number;
      slices: AudienceSlice[];
      digest?: DigestContent;
    }
  | { kind: "skip"; skip: string; status: "done" | "failed" };

/** Recipients of one `uid in [...]` query (Firestore's limit), and of one group of a slice plan. */
const GROUP = 30;
/** Recipients whose devices are read at a time while an audience is measured: 6 queries, run together. */
const READ_BATCH = 6 * GROUP;

/** Everything the send needs, read (and, for a large audience, counted and sliced); or why nothing is to be sent. */
export async function planCommentPush(
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
  return planAudience(content, recipients, stores, tasks);
}

/** The recipients' devices read (direct), or, above the task threshold, counted and cut into slices. */
export async function planAudience(
  content: CommentContent,
  recipients: readonly string[],
  stores: CommentPushStores,
  tasks: TaskFanOut | undefined,
): Promise<Extract<Plan, { kind: "direct" | "tasks" }>> {
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
