/**
 * The plan of one comment's fan-out (nothing is sent here): the comment, its post, who is notified and what
 * the push says, then either the audience as a stream the send reads as it goes (direct), or, for an
 * audience above the task threshold, the audience read and cut into slices (docs/delivery.md).
 */
import { commentAudience, readAhead, type AudiencePage } from "./audience";
import { planSlices, type AudienceGroup, type AudienceSlice } from "./domain/slices";
import type { CommentCreatedEvent, CommentPushStores, TaskFanOut } from "./deps";
import type { CommentContent } from "./sliceTask";
import type { DigestContent } from "./kinds/comment/coalesce/digestMessage";

/** Everything the send needs, read; or why nothing is to be sent. A digest's plan carries it (send.ts). */
export type Plan =
  | {
      kind: "direct";
      content: CommentContent;
      /** The audience, its first page read already; the rest is read while the first batches go out. */
      audience: AsyncIterable<AudiencePage>;
      /** Its size, when it was read whole to be measured. */
      measured?: { recipients: number; tokens: number };
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

/**
 * An audience to plan: its pages as they are read (best `readAhead`, so reading overlaps planning and
 * sending), and an upper bound on its devices known beforehand.
 */
export type AudienceSource = { pages: AsyncIterable<AudiencePage>; maxDevices: number };

/** Everything the send needs, read (and, for a large audience, sliced); or why nothing is to be sent. */
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

  // The audience's first page is read from here on, beside everything else the plan needs: the commenter is
  // never a recipient, so neither the subscription below nor the count depends on it.
  const pages = readAhead(
    commentAudience(stores, { postId, postAuthorId: post.authorId, commentAuthorId: comment.authorId }),
  );
  const [commenterName, subscribers] = await Promise.all([
    stores.users.displayNameOf(comment.authorId),
    // Only when tasks may be needed: the bound decides whether the audience must be measured first.
    tasks ? stores.posts.unmutedSubscriberCount(postId) : Promise.resolve(0),
    // Create-if-absent: idempotent on a retry, and a commenter who muted the post stays muted.
    stores.posts.subscribe(postId, comment.authorId),
  ]);
  const content: CommentContent = {
    postId,
    commentId,
    authorId: comment.authorId,
    postAuthorId: post.authorId,
    ...(commenterName === undefined ? {} : { commenterName }),
    text: comment.text,
  };
  // The post's author, and every subscriber who has not muted it, with at most so many devices each.
  const maxDevices = (subscribers + 1) * stores.devices.maxDevicesPerUser;
  return planAudience(content, { pages, maxDevices }, tasks);
}

/**
 * The audience sent directly, as a stream, when it cannot exceed the task threshold; else read until it
 * does (then it is cut into slices, and only the slices' recipients and device counts are kept) or until it
 * ends (then the pages read are sent directly: at most `threshold` devices held).
 */
export async function planAudience(
  content: CommentContent,
  source: AudienceSource,
  tasks: TaskFanOut | undefined,
): Promise<Extract<Plan, { kind: "direct" | "tasks" }>> {
  const pages = source.pages[Symbol.asyncIterator]();
  if (!tasks || source.maxDevices <= tasks.threshold) {
    // The first page is read here, while a failure can still be retried; the rest as the send goes.
    const first = await pages.next();
    return { kind: "direct", content, audience: pagesOf(first.done ? [] : [first.value], pages) };
  }

  const read: AudiencePage[] = [];
  let devices = 0;
  for (;;) {
    const next = await pages.next();
    if (next.done) {
      const recipients = read.reduce((sum, page) => sum + page.recipients.length, 0);
      return { kind: "direct", content, audience: pagesOf(read), measured: { recipients, tokens: devices } };
    }
    read.push(next.value);
    devices += next.value.devices.length;
    if (devices > tasks.threshold) break;
  }

  const groups: AudienceGroup[] = [];
  let recipients = 0;
  const add = (page: AudiencePage) => {
    recipients += page.recipients.length;
    groups.push(...groupsOf(page));
  };
  read.forEach(add);
  read.length = 0;
  for (let next = await pages.next(); !next.done; next = await pages.next()) add(next.value);
  return {
    kind: "tasks",
    content,
    recipients,
    audience: groups.reduce((sum, group) => sum + group.devices, 0),
    slices: planSlices(groups),
  };
}

/** A page's recipients with their device counts, one group each (a slice never splits a recipient). */
function groupsOf(page: AudiencePage): AudienceGroup[] {
  const perUid = new Map<string, number>();
  for (const device of page.devices) perUid.set(device.uid, (perUid.get(device.uid) ?? 0) + 1);
  return page.recipients.map((uid) => ({ uids: [uid], devices: perUid.get(uid) ?? 0 }));
}

/** The pages `read` already, then those of `rest` (when the audience was not read to its end). */
async function* pagesOf(
  read: readonly AudiencePage[],
  rest?: AsyncIterator<AudiencePage>,
): AsyncGenerator<AudiencePage> {
  yield* read;
  if (!rest) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
