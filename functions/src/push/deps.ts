/** What the push engine takes as collaborators: its stores, the FCM sender and the clock. */
import type { ActiveDevice } from "../devices/deviceDoc";
import type { DeviceStore } from "../devices/deviceStore";
import type { NotificationStore } from "../notifications/notificationStore";
import type { PushMessage } from "./domain/message";
import type { PushSender } from "./domain/deliver";
import type { RetryPolicy } from "./domain/retryPolicy";
import type { CredentialBreaker } from "./breaker";
import type { SliceQueue } from "./sliceTask";
import type { DeliveryStore } from "./store/deliveryStore";
import type { SliceStore } from "./store/sliceStore";

/** What the engine uses of each store (the Firestore-backed classes; tests pass fakes from test/support). */
export type PushStores = {
  /** Recipients' devices, and the tokens FCM rejected. */
  devices: Pick<DeviceStore, "activeDevicesOf" | "markRejected" | "maxDevicesPerUser">;
  /** Recipients' preferences: who turned a kind off, and quiet hours (`notifications/{uid}`). */
  notifications: Pick<NotificationStore, "audienceSettings"> & Partial<Pick<NotificationStore, "addItems">>;
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
};

/** The task path: audiences of more than `threshold` devices are sent by tasks enqueued on `queue`. */
export type TaskFanOut = { threshold: number; queue: SliceQueue };

/** The sender and its clock: what sending needs beyond the stores. */
export type SendClock = {
  sender: PushSender<PushMessage>;
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  /** Wall-clock time in ms (quiet hours are local times); `Date.now` when absent. */
  wallClock?: (() => number) | undefined;
  /** The project-wide credential breaker (docs/delivery.md); without it only the per-send guard applies. */
  breaker?: CredentialBreaker | undefined;
  /** Every message's TTL in seconds (message.ts's default when absent). */
  ttlSeconds?: number | undefined;
  /** `false`: no feed items, no badges (the PUSH_FEED param); on when absent. */
  feedOn?: boolean | undefined;
  /** Days a feed item is kept (its `expireAt`); 90 when absent. */
  feedTtlDays?: number | undefined;
};

/** Everything a delivery needs; `S` is the stores a kind's plan reads beside the engine's. */
export type PushDeps<S extends PushStores = PushStores> = SendClock & {
  stores: S;
  /** Without it every audience is sent directly. */
  tasks?: TaskFanOut | undefined;
};

export type { ActiveDevice };
