/**
 * The real collaborators of the push engine and its kinds, assembled here and nowhere else, for every
 * trigger and task; each is loaded on first use so that firebase-admin's Firestore and task-queue clients
 * stay out of every cold start until a handler needs them. A test replaces any of them.
 */
import type { Firestore } from "firebase-admin/firestore";
import {
  credentialBreakerParams,
  deliveryLeaseMs,
  deliveryTtlDays,
  feedItemTtlDays,
  feedEnabled,
  pushMessageTtlSeconds,
  sliceLeaseMs,
} from "../params";
import { lazyFirestore } from "../shared/lazyFirestore";
import type { CredentialBreaker } from "./breaker";
import { crashingSender } from "./crashPoint";
import type { PushDeps } from "./deps";
import type { AppStores } from "./kinds/appStores";
import type { SliceQueue } from "./sliceTask";

/** The Firestore-backed stores of the engine and of every kind on `db`, sharing one client. */
export async function pushStoresOn(
  db: Firestore,
  leases: { deliveryLeaseMs?: number; sliceLeaseMs?: number } = {},
): Promise<AppStores> {
  const [
    { DeviceStore },
    { PostStore },
    { UserStore },
    { NotificationStore },
    { DeliveryStore, MAX_GATE_ATTEMPTS },
    { SliceStore },
    { WindowStore },
  ] = await Promise.all([
    import("../devices/deviceStore"),
    import("../posts/postStore"),
    import("../users/userStore"),
    import("../notifications/notificationStore"),
    import("./store/deliveryStore"),
    import("./store/sliceStore"),
    import("./kinds/comment/coalesce/windowStore"),
  ]);
  const deliveries = new DeliveryStore(db, {
    maxAttempts: MAX_GATE_ATTEMPTS,
    leaseMs: leases.deliveryLeaseMs ?? deliveryLeaseMs(),
    // A lease given here (the crash drills' short one) holds for every kind; else each kind's own.
    leaseFixed: leases.deliveryLeaseMs !== undefined,
    ttlDays: deliveryTtlDays(),
  });
  return {
    windows: new WindowStore(db, deliveryTtlDays()),
    posts: new PostStore(db),
    users: new UserStore(db),
    notifications: new NotificationStore(db),
    devices: new DeviceStore(db),
    deliveries,
    slices: new SliceStore(db, deliveries, { leaseMs: leases.sliceLeaseMs ?? sliceLeaseMs() }),
  };
}

/** The queue of `sendPushSlice` tasks; firebase-admin's task-queue client is loaded at the first enqueue. */
export function pushSliceQueue(): SliceQueue {
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

/** What a caller gives: any collaborator; `breaker: false` turns the credential breaker off (tests). */
export type GivenDeps<S> = Partial<Omit<PushDeps<S & AppStores>, "breaker" | "stores">> &
  Pick<PushDeps, "policy"> & { stores?: S & AppStores; breaker?: CredentialBreaker | false | undefined };

/**
 * `given` completed with the real stores, FCM client, credential breaker and clock; `policy` and `tasks`
 * come from the caller. The breaker is there whatever else is given (stores included), unless `breaker` is
 * `false`.
 */
export async function pushDeps<S>(given: GivenDeps<S>): Promise<PushDeps<S & AppStores>> {
  const [stores, sender, breaker] = await Promise.all([
    given.stores ?? (lazyFirestore().then((db) => pushStoresOn(db)) as Promise<S & AppStores>),
    given.sender ?? import("../shared/messaging").then(({ getMessagingClient }) => getMessagingClient()),
    given.breaker === false ? undefined : (given.breaker ?? lazyFirestore().then(credentialBreakerOn)),
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
    feedOn: given.feedOn ?? feedEnabled(),
    feedTtlDays: given.feedTtlDays ?? feedItemTtlDays(),
  };
}
