/** What the comment-push pipeline takes as collaborators: the stores, the FCM sender and the clock. */
import type { ActiveDevice } from "../devices/deviceDoc";
import type { DeviceStore } from "../devices/deviceStore";
import type { PostStore } from "../posts/postStore";
import type { UserStore } from "../users/userStore";
import type { CommentPush } from "./kinds/comment/compose";
import type { DigestPush } from "./kinds/comment/coalesce/digestMessage";
import type { PushSender } from "./domain/deliver";
import type { RetryPolicy } from "./domain/retryPolicy";
import type { CredentialBreaker } from "./breaker";
import type { SliceQueue } from "./sliceTask";
import type { DeliveryStore } from "./store/deliveryStore";
import type { SliceStore } from "./store/sliceStore";
import type { WindowStore } from "./kinds/comment/coalesce/windowStore";

/** What the pipeline uses of each store (the Firestore-backed classes; tests pass fakes from test/support). */
export type CommentPushStores = {
  posts: Pick<
    PostStore,
    | "parseComment"
    | "post"
    | "subscribe"
    | "subscriber"
    | "subscriberPages"
    | "subscribersOf"
    | "unmutedSubscriberCount"
  >;
  users: Pick<UserStore, "displayNameOf" | "commentOptOutsAmong">;
  devices: Pick<DeviceStore, "activeDevicesOf" | "markRejected" | "maxDevicesPerUser">;
  deliveries: Pick<
    DeliveryStore,
    | "maxAttempts"
    | "begin"
    | "sendStarting"
    | "audienceRead"
    | "finish"
    | "abandon"
    | "tasksPlanned"
    | "recordedPlan"
    | "plannedSlices"
    | "enqueued"
  >;
  slices: Pick<SliceStore, "maxAttempts" | "begin" | "sendStarting" | "abandon" | "finish" | "notEnqueued">;
  /** Coalescing windows (docs/coalescing.md); without them every comment is pushed at once. */
  windows?:
    | Pick<WindowStore, "decide" | "recordCoalesced" | "describeDigest" | "windowComments" | "commentText">
    | undefined;
};

/** What the trigger needs of a comment-created event: its id (the idempotency key), path params and snapshot. */
export type CommentCreatedEvent = {
  id: string;
  params: { postId: string; commentId: string };
  data?: { data(): unknown } | undefined;
};

/** The task path: audiences of more than `threshold` devices are sent by tasks enqueued on `queue`. */
export type TaskFanOut = { threshold: number; queue: SliceQueue };

/** The sender and its clock: what sending needs beyond the stores. */
export type SendClock = {
  sender: PushSender<CommentPush | DigestPush>;
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  /** The project-wide credential breaker (docs/delivery.md); without it only the per-send guard applies. */
  breaker?: CredentialBreaker | undefined;
  /** Every message's TTL in seconds (compose.ts's default when absent). */
  ttlSeconds?: number | undefined;
};

export type CommentPushDeps = SendClock & {
  stores: CommentPushStores;
  /** Without it every audience is sent directly. */
  tasks?: TaskFanOut | undefined;
};

export type { ActiveDevice };
