/**
 * The real collaborators of the comment-push pipeline, assembled once for both the trigger and the slice
 * task, each loaded on first use so that firebase-admin's Firestore and task-queue clients stay out of
 * every cold start until a handler needs them. A test replaces any of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import { lazyFirestore } from "../shared/lazyFirestore";
import type { CommentPushDeps, CommentPushStores } from "./deps";
import type { SliceQueue } from "./sliceTask";

/** The Firestore-backed stores of the pipeline on `db`, sharing one client. */
export async function commentPushStoresOn(db: Firestore): Promise<CommentPushStores> {
  const [{ DeviceStore }, { PostStore }, { UserStore }, { DeliveryStore }, { SliceStore }] =
    await Promise.all([
      import("../devices/deviceStore"),
      import("../posts/postStore"),
      import("../users/userStore"),
      import("./store/deliveryStore"),
      import("./store/sliceStore"),
    ]);
  const [{ deliveryTtlDays }, { WindowStore }] = await Promise.all([
    import("../params"),
    import("./coalesce/windowStore"),
  ]);
  const deliveries = new DeliveryStore(db, undefined, deliveryTtlDays());
  return {
    windows: new WindowStore(db, deliveryTtlDays()),
    posts: new PostStore(db),
    users: new UserStore(db),
    devices: new DeviceStore(db),
    deliveries,
    slices: new SliceStore(db, deliveries),
  };
}

/** The queue of `sendCommentPushSlice` tasks; firebase-admin's task-queue client is loaded at the first enqueue. */
export function commentSliceQueue(): SliceQueue {
  let queue: Promise<SliceQueue> | undefined;
  return {
    async enqueue(task, taskId) {
      queue ??= import("./sliceQueue").then(({ sliceQueue }) => sliceQueue());
      return (await queue).enqueue(task, taskId);
    },
  };
}

/** `given` completed with the real stores, FCM client and clock; `policy` and `tasks` come from the caller. */
export async function commentPushDeps(
  given: Partial<CommentPushDeps> & Pick<CommentPushDeps, "policy">,
): Promise<CommentPushDeps> {
  const [stores, sender] = await Promise.all([
    given.stores ?? lazyFirestore().then(commentPushStoresOn),
    given.sender ?? import("../shared/messaging").then(({ getMessagingClient }) => getMessagingClient()),
  ]);
  return {
    stores,
    sender,
    policy: given.policy,
    sleep: given.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: given.random ?? Math.random,
    now: given.now ?? (() => performance.now()),
    tasks: given.tasks,
  };
}
