import type { DeviceStore } from "./devices/deviceStore";
import type { CommentPushStores } from "./deliveries/commentFanOut";
import type { SliceQueue } from "./deliveries/sliceTask";

/**
 * The Firestore-backed stores, loaded on first use: function files import only this module, so
 * firebase-admin's Firestore client stays out of every cold start until a handler needs it.
 */
export async function deviceStore(): Promise<DeviceStore> {
  const [{ DeviceStore }, { firestore }] = await Promise.all([
    import("./devices/deviceStore"),
    import("./admin"),
  ]);
  return new DeviceStore(firestore());
}

/** The stores the comment fan-out reads and writes, sharing one Firestore client. */
export async function commentPushStores(): Promise<CommentPushStores> {
  const [{ DeviceStore }, { PostStore }, { UserStore }, { DeliveryStore }, { firestore }] = await Promise.all(
    [
      import("./devices/deviceStore"),
      import("./posts/postStore"),
      import("./users/userStore"),
      import("./deliveries/deliveryStore"),
      import("./admin"),
    ],
  );
  const db = firestore();
  return {
    posts: new PostStore(db),
    users: new UserStore(db),
    devices: new DeviceStore(db),
    deliveries: new DeliveryStore(db),
  };
}

/** The queue of `sendCommentPushSlice` tasks; firebase-admin's task-queue client is loaded at the first enqueue. */
export function commentSliceQueue(): SliceQueue {
  let queue: Promise<SliceQueue> | undefined;
  return {
    async enqueue(task, taskId) {
      queue ??= import("./deliveries/sliceQueue").then(({ sliceQueue }) => sliceQueue());
      return (await queue).enqueue(task, taskId);
    },
  };
}
