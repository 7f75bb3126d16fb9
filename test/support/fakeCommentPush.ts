// In-memory stand-ins for the comment-push pipeline's stores and FCM sender, for unit tests. The gate
// stores decide with the production rule (`decideGate`), so no fake restates it.
import { Timestamp } from "firebase-admin/firestore";
import type {
  CommentCreatedEvent,
  CommentPushDeps,
  CommentPushStores,
} from "../../functions/src/push/kinds/comment/stores";
import type { CommentPush } from "../../functions/src/push/kinds/comment/compose";
import type { SendAnswer } from "../../functions/src/push/domain/deliver";
import { ABANDONED, beginResultOf, decideGate, type GateStatus } from "../../functions/src/push/domain/gate";
import { defaultRetryPolicy } from "../../functions/src/push/domain/retryPolicy";
import type { Subscriber } from "../../functions/src/push/kinds/comment/recipients";
import type { DeliveryCounts, PlannedSlice, SliceCounts } from "../../functions/src/push/store/deliveryDocs";
import type { ActiveDevice } from "../../functions/src/devices/deviceDoc";
import type { Rejection } from "../../functions/src/devices/deviceStore";
import type { PreferenceKey } from "../../functions/src/push/kind";
import type { QuietHours } from "../../functions/src/notifications/quietHours";

/** What a fake gate doc holds. */
export type FakeGateDoc<Counts> = {
  status: GateStatus;
  attempts: number;
  sendStarted: boolean;
  leaseExpiresAtMs?: number;
  counted?: boolean;
  enqueueing?: boolean;
  counts?: Counts;
  error?: string;
};

/** A settable wall clock for the fakes' leases (ms since the epoch). */
export type FakeClock = { now: number };

/** Gate docs by key, taken with the production rule. */
class FakeGates<Key, Counts> {
  readonly docs = new Map<Key, FakeGateDoc<Counts>>();
  constructor(
    readonly maxAttempts: number,
    readonly leaseMs: number,
    readonly clock: FakeClock,
  ) {}

  begin(key: Key) {
    const doc = this.docs.get(key);
    const now = this.clock.now;
    const decision = decideGate(doc, this, now);
    if (decision.kind === "create") {
      this.docs.set(key, {
        status: "sending",
        attempts: 1,
        sendStarted: false,
        leaseExpiresAtMs: decision.leaseExpiresAtMs,
      });
    }
    if ((decision.kind === "take-over" || decision.kind === "resume") && doc) {
      Object.assign(doc, {
        status: "sending",
        attempts: decision.attempt,
        leaseExpiresAtMs: decision.leaseExpiresAtMs,
      });
    }
    return Promise.resolve(beginResultOf(decision, now));
  }

  update(key: Key, fields: Partial<FakeGateDoc<Counts>>) {
    const doc = this.docs.get(key);
    if (doc) Object.assign(doc, fields);
    return Promise.resolve();
  }
}

/** The fakes' lease: long enough that no unit test's run outlives it unless the test moves the clock. */
export const FAKE_LEASE_MS = 600_000;

/** A fake `pushDeliveries` store; `planned` is what `tasksPlanned` recorded (its slices counted). */
export function fakeDeliveryStore(maxAttempts = 3, clock: FakeClock = { now: 1_000_000 }) {
  const gates = new FakeGates<string, DeliveryCounts>(maxAttempts, FAKE_LEASE_MS, clock);
  const planned: { recipients?: number; audience?: number; slices?: number } = {};
  const plans = new Map<
    string,
    { content: unknown; recipients: number; audience: number; slices: PlannedSlice[] }
  >();
  const store: CommentPushStores["deliveries"] = {
    maxAttempts,
    begin: (eventId) => gates.begin(eventId),
    sendStarting: (eventId) => gates.update(eventId, { sendStarted: true }),
    audienceRead: () => Promise.resolve(),
    finish: (eventId, { status, counts, error }) =>
      gates.update(eventId, { status, counts, error, enqueueing: false }),
    abandon: (eventId, error) => gates.update(eventId, { ...ABANDONED, error }),
    tasksPlanned: (eventId, plan) => {
      Object.assign(planned, {
        recipients: plan.recipients,
        audience: plan.audience,
        slices: plan.slices.length,
      });
      plans.set(eventId, { ...plan, slices: [...plan.slices] });
      return gates.update(eventId, { sendStarted: true, enqueueing: true });
    },
    recordedPlan: (eventId) => {
      const plan = plans.get(eventId);
      return Promise.resolve(plan && { ...plan, slices: plan.slices.length });
    },
    plannedSlices: async function* (eventId, count) {
      yield await Promise.resolve((plans.get(eventId)?.slices ?? []).filter((slice) => slice.index < count));
    },
    enqueued: (eventId) => gates.update(eventId, { enqueueing: false }),
  };
  return { store, docs: gates.docs, planned, clock };
}

/** A fake store of slices, by index (one delivery). */
export function fakeSliceStore(maxAttempts = 3, clock: FakeClock = { now: 1_000_000 }) {
  const gates = new FakeGates<number, SliceCounts>(maxAttempts, FAKE_LEASE_MS, clock);
  const store: CommentPushStores["slices"] = {
    maxAttempts,
    begin: (_eventId, slice) => gates.begin(slice.index),
    sendStarting: (_eventId, index) => gates.update(index, { sendStarted: true }),
    abandon: (_eventId, index, error) => gates.update(index, { ...ABANDONED, error }),
    finish: async (_eventId, index, { status, counts, error }) => {
      if (gates.docs.get(index)?.counted) return undefined;
      await gates.update(index, { status, counts, error, counted: true });
      return undefined;
    },
    notEnqueued: (_eventId, slice, error) => {
      if (gates.docs.has(slice.index)) return Promise.resolve({ counted: false });
      gates.docs.set(slice.index, {
        status: "failed",
        attempts: 0,
        sendStarted: false,
        counted: true,
        error,
      });
      return Promise.resolve({ counted: true });
    },
  };
  return { store, docs: gates.docs };
}

export type FakeWorldOptions = {
  devices: ActiveDevice[];
  /** The post's subscribers (`since` in ms; absent: long ago); its author is "author". */
  subscribers: (Subscriber & { since?: number })[];
  /** Reads of the post that fail (UNAVAILABLE) before one succeeds. */
  failPostReads?: number;
  failMarking?: boolean;
  maxAttempts?: number;
  /** The wall clock of the fakes' leases (shared by deliveries and slices). */
  clock?: FakeClock;
  /** `notifications/{uid}.preferences` of some users (others: every kind on, no quiet hours); mutable. */
  preferences?: Map<string, { off?: PreferenceKey[]; quietHours?: QuietHours }>;
};

/** Every store of the pipeline in memory, with counters of the reads the tests look at. */
export function fakeCommentPushStores(options: FakeWorldOptions) {
  const { devices } = options;
  const calls = {
    counted: 0,
    devicesRead: 0,
    deviceReadFailures: 0,
    postReadFailures: options.failPostReads ?? 0,
  };
  const marked: Rejection[] = [];
  const clock = options.clock ?? { now: 1_000_000 };
  const deliveries = fakeDeliveryStore(options.maxAttempts, clock);
  const slices = fakeSliceStore(options.maxAttempts, clock);
  const stores: CommentPushStores = {
    posts: {
      parseComment: (data) => data as { authorId: string; text: string; createdAt: Timestamp },
      post: () => {
        if (calls.postReadFailures-- > 0) return Promise.reject(new Error("UNAVAILABLE"));
        return Promise.resolve({ authorId: "author", title: "t", createdAt: Timestamp.fromMillis(0) });
      },
      subscribe: () => Promise.resolve(true),
      subscriber: (_postId, uid) => Promise.resolve(options.subscribers.find((s) => s.uid === uid)),
      async *subscriberPages(_postId, pageSize = 5_000) {
        for (let i = 0; i < options.subscribers.length; i += pageSize) {
          yield await Promise.resolve(options.subscribers.slice(i, i + pageSize));
        }
      },
      async *subscribedAfter(_postId, afterMs) {
        const late = options.subscribers.filter((s) => s.since !== undefined && s.since > afterMs);
        yield await Promise.resolve(
          late.map((s) => ({ uid: s.uid, since: Timestamp.fromMillis(s.since ?? 0) })),
        );
      },
      unmutedSubscriberCount: () => {
        calls.counted++;
        return Promise.resolve(options.subscribers.filter((s) => !s.muted).length);
      },
    },
    users: { displayNameOf: () => Promise.resolve("Mina") },
    notifications: {
      audienceSettings: (uids: readonly string[], key: PreferenceKey) => {
        const settings = {
          off: new Set<string>(),
          quietHours: new Map<string, QuietHours>(),
          unread: new Map<string, number>(),
        };
        for (const uid of uids) {
          const preferences = options.preferences?.get(uid);
          if (preferences?.off?.includes(key)) settings.off.add(uid);
          else if (preferences?.quietHours) settings.quietHours.set(uid, preferences.quietHours);
        }
        return Promise.resolve(settings);
      },
    },
    devices: {
      maxDevicesPerUser: 10,
      activeDevicesOf: (uids) => {
        calls.devicesRead++;
        if (calls.deviceReadFailures > 0) return Promise.reject(new Error("UNAVAILABLE"));
        return Promise.resolve(devices.filter((d) => uids.includes(d.uid)));
      },
      markRejected: (rejections) => {
        if (options.failMarking) return Promise.reject(new Error("DEADLINE_EXCEEDED"));
        marked.push(...rejections);
        return Promise.resolve({ marked: rejections.length, skipped: 0, failed: 0, failures: [] });
      },
    },
    deliveries: deliveries.store,
    slices: slices.store,
  };
  return {
    stores,
    calls,
    marked,
    deliveries: deliveries.docs,
    planned: deliveries.planned,
    slices: slices.docs,
    clock,
  };
}

/** A device of `uid` with the given index, as the fan-out reads it. */
export function fakeDevice(uid: string, id: string, locale: string | null = null): ActiveDevice {
  return {
    deviceId: `device-${id}`,
    uid,
    token: `token-${id}`,
    platform: "android",
    locale,
    updateTime: Timestamp.fromMillis(1),
    // Listed long before the fan-out read it.
    seenAtMs: 0,
    readAtMs: 1_000,
  };
}

/** A sender that answers each message by its token: `answer(token, call)`; records every token sent. */
export function scriptedSender(
  answer: (token: string, call: number) => SendAnswer = () => ({ success: true }),
) {
  const sent: string[] = [];
  /** Every message sent, as rendered. */
  const messages: CommentPush[] = [];
  let calls = 0;
  return {
    sent,
    messages,
    sendEach(batch: CommentPush[]) {
      calls++;
      sent.push(...batch.map((m) => m.token));
      messages.push(...batch);
      return Promise.resolve({ responses: batch.map((m) => answer(m.token, calls)) });
    },
  };
}

/** A comment-created event by "commenter" on post-1. */
export function commentEvent(text = "Hi"): CommentCreatedEvent {
  return {
    id: "event-1",
    params: { postId: "post-1", commentId: "comment-1" },
    data: { data: () => ({ authorId: "commenter", text, createdAt: Timestamp.fromMillis(0) }) },
  };
}

/** Instant retries and a fixed clock. */
export function fastDeps(stores: CommentPushStores, sender = scriptedSender()): CommentPushDeps {
  return {
    stores,
    sender,
    policy: { ...defaultRetryPolicy, baseDelayMs: 0 },
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    now: () => 0,
  };
}
