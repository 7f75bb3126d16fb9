/**
 * The real collaborators of the comment-push pipeline, assembled once for both the trigger and the slice
 * task, each loaded on first use so that firebase-admin's Firestore and task-queue clients stay out of
 * every cold start until a handler needs them. A test replaces any of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  credentialBreakerParams,
  deliveryLeaseMs,
  deliveryTtlDays,
  pushMessageTtlSeconds,
  sliceLeaseMs,
} from "../params";
import { lazyFirestore } from "../shared/lazyFirestore";
import type { CredentialBreaker } from "./breaker";
import { crashingSender } from "./crashPoint";
import type { CommentPushDeps, CommentPushStores } from "./deps";
import type { SliceQueue } from "./sliceTask";

/** The Firestore-backed stores of the pipeline on `db`, sharing one client. */
export async function commentPushStoresOn(
  db: Firestore,
  leases: { deliveryLeaseMs?: number; sliceLeaseMs?: number } = {},
): Promise<CommentPushStores> {
  const [
    { DeviceStore },
    { PostStore },
    { UserStore },
    { DeliveryStore, MAX_GATE_ATTEMPTS },
    { SliceStore },
    { WindowStore },
  ] = await Promise.all([
    import("../devices/deviceStore"),
    import("../posts/postStore"),
    import("../users/userStore"),
    import("./store/deliveryStore"),
    import("./store/sliceStore"),
    import("./kinds/comment/coalesce/windowStore"),
  ]);
  const deliveries = new DeliveryStore(db, {
    maxAttempts: MAX_GATE_ATTEMPTS,
    leaseMs: leases.deliveryLeaseMs ?? deliveryLeaseMs(),
    ttlDays: deliveryTtlDays(),
  });
  return {
    windows: new WindowStore(db, deliveryTtlDays()),
    posts: new PostStore(db),
    users: new UserStore(db),
    devices: new DeviceStore(db),
    deliveries,
    slices: new SliceStore(db, deliveries, { leaseMs: leases.sliceLeaseMs ?? sliceLeaseMs() }),
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

/** The project-wide credential breaker on `db`, with the params' settings (read inside a handler). */
export async function credentialBreakerOn(db: Firestore): Promise<CredentialBreaker> {
  const { BreakerStore } = await import("./store/breakerStore");
  const settings = credentialBreakerParams();
  const store = new BreakerStore(db, settings.windowMs);
  return {
    settings,
    count: (nowMs, counts) => store.count(nowMs, counts),
    read: (nowMs) => store.read(nowMs),
    now: Date.now,
  };
}

/**
 * `given` completed with the real stores, FCM client, credential breaker and clock; `policy` and `tasks`
 * come from the caller. Given stores (tests) come without the breaker unless it is given too.
 */
export async function commentPushDeps(
  given: Partial<CommentPushDeps> & Pick<CommentPushDeps, "policy">,
): Promise<CommentPushDeps> {
  const [stores, sender, breaker] = await Promise.all([
    given.stores ?? lazyFirestore().then((db) => commentPushStoresOn(db)),
    given.sender ?? import("../shared/messaging").then(({ getMessagingClient }) => getMessagingClient()),
    given.breaker ?? (given.stores ? undefined : lazyFirestore().then(credentialBreakerOn)),
  ]);
  return {
    stores,
    sender: crashingSender(sender),
    policy: given.policy,
    sleep: given.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: given.random ?? Math.random,
    now: given.now ?? (() => performance.now()),
    tasks: given.tasks,
    breaker,
    ttlSeconds: given.ttlSeconds ?? pushMessageTtlSeconds(),
  };
}
