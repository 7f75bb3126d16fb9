// The fan-out's exactly-once and status rules, with in-memory stores and a scripted sender: which failures
// are retried (before any send) and which never are (after sending began), and when a delivery is
// `done` or `failed`. The same flows against the emulators are in test/integration/comment-push*.test.ts.
import { Timestamp } from "firebase-admin/firestore";
import { logger } from "firebase-functions";
import {
  fanOutComment,
  type CommentCreatedEvent,
  type CommentPushStores,
} from "../../functions/src/deliveries/commentFanOut";
import type { ActiveDevice, Rejection } from "../../functions/src/devices/deviceStore";
import type { BeginResult, DeliveryCounts } from "../../functions/src/deliveries/deliveryStore";
import type { CommentPush } from "../../functions/src/push/compose";
import type { SendAnswer } from "../../functions/src/push/deliver";
import { defaultRetryPolicy } from "../../functions/src/push/retryPolicy";

type Stored = {
  status: "sending" | "done" | "failed";
  attempts: number;
  sendStarted: boolean;
  counts?: DeliveryCounts;
  error?: string;
};

function world(options: { devices?: number; failPostReads?: number; failMarking?: boolean } = {}) {
  const deliveries = new Map<string, Stored>();
  const marked: Rejection[] = [];
  let postReadFailures = options.failPostReads ?? 0;
  const devices: ActiveDevice[] = Array.from({ length: options.devices ?? 3 }, (_, i) => ({
    deviceId: `device-${i}`,
    uid: i === 0 ? "author" : "follower",
    token: `token-${i}`,
    platform: "android",
    locale: i % 2 === 0 ? "ko-KR" : null,
    updateTime: Timestamp.fromMillis(1),
  }));
  const stores: CommentPushStores = {
    posts: {
      parseComment: (data) => data as { authorId: string; text: string; createdAt: Timestamp },
      post: () => {
        if (postReadFailures-- > 0) return Promise.reject(new Error("UNAVAILABLE"));
        return Promise.resolve({ authorId: "author", title: "t", createdAt: Timestamp.fromMillis(0) });
      },
      subscribe: () => Promise.resolve(true),
      subscribersOf: () => Promise.resolve([{ uid: "follower", muted: false }]),
    },
    users: {
      displayNameOf: () => Promise.resolve("Mina"),
      commentOptOutsAmong: () => Promise.resolve(new Set<string>()),
    },
    devices: {
      maxDevicesPerUser: 10,
      deviceCountsOf: (uids) =>
        Promise.resolve(
          [...new Set(uids)].map((uid) => ({
            uids: [uid],
            devices: devices.filter((d) => d.uid === uid).length,
          })),
        ),
      activeDevicesOf: (uids) => Promise.resolve(devices.filter((d) => uids.includes(d.uid))),
      markRejected: (rejections) => {
        if (options.failMarking) return Promise.reject(new Error("DEADLINE_EXCEEDED"));
        marked.push(...rejections);
        return Promise.resolve({ marked: rejections.length, skipped: 0, failed: 0, failures: [] });
      },
    },
    deliveries: {
      maxAttempts: 3,
      begin: (eventId): Promise<BeginResult> => {
        const existing = deliveries.get(eventId);
        if (!existing) {
          deliveries.set(eventId, { status: "sending", attempts: 1, sendStarted: false });
          return Promise.resolve({ owned: true, attempt: 1 });
        }
        if (existing.status === "failed" && !existing.sendStarted && existing.attempts < 3) {
          existing.status = "sending";
          existing.attempts++;
          return Promise.resolve({ owned: true, attempt: existing.attempts });
        }
        return Promise.resolve({ owned: false, status: existing.status, sendStarted: existing.sendStarted });
      },
      sendStarting: (eventId) => {
        const record = deliveries.get(eventId);
        if (record) record.sendStarted = true;
        return Promise.resolve();
      },
      finish: (eventId, outcome) => {
        const record = deliveries.get(eventId);
        if (record)
          Object.assign(record, { status: outcome.status, counts: outcome.counts, error: outcome.error });
        return Promise.resolve();
      },
      abandon: (eventId, error) => {
        const record = deliveries.get(eventId);
        if (record) Object.assign(record, { status: "failed", error });
        return Promise.resolve();
      },
      // The task path is tested in test/unit/comment-fanout-tasks.test.ts.
      tasksPlanned: () => Promise.reject(new Error("not used here")),
      sliceNotEnqueued: () => Promise.reject(new Error("not used here")),
      beginSlice: () => Promise.reject(new Error("not used here")),
      sliceSendStarting: () => Promise.reject(new Error("not used here")),
      abandonSlice: () => Promise.reject(new Error("not used here")),
      finishSlice: () => Promise.reject(new Error("not used here")),
    },
  };
  return { stores, deliveries, marked };
}

/** A sender that answers each message by its token: `answer(token, call)`; records every token sent. */
function scriptedSender(answer: (token: string, call: number) => SendAnswer = () => ({ success: true })) {
  const sent: string[] = [];
  let calls = 0;
  return {
    sent,
    sendEach(messages: CommentPush[]) {
      calls++;
      sent.push(...messages.map((m) => m.token));
      return Promise.resolve({ responses: messages.map((m) => answer(m.token, calls)) });
    },
  };
}

const event: CommentCreatedEvent = {
  id: "event-1",
  params: { postId: "post-1", commentId: "comment-1" },
  data: { data: () => ({ authorId: "commenter", text: "Hi", createdAt: Timestamp.fromMillis(0) }) },
};

const run = (stores: CommentPushStores, sender = scriptedSender()) =>
  fanOutComment(event, {
    stores,
    sender,
    policy: { ...defaultRetryPolicy, baseDelayMs: 0 },
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    now: () => 0,
  });

describe("fanOutComment", () => {
  // The delivery logs are for operators; here they would only bury the test report.
  beforeEach(() => {
    for (const level of ["info", "warn", "error"] as const) jest.spyOn(logger, level).mockReturnValue();
  });
  afterEach(() => jest.restoreAllMocks());

  it("sends one message per device and ends done; a second run of the event sends nothing", async () => {
    const { stores, deliveries } = world();
    const sender = scriptedSender();
    expect(await run(stores, sender)).toMatchObject({
      kind: "delivered",
      status: "done",
      counts: { recipients: 2, tokens: 3, sent: 3, failed: 0, rejected: 0, retries: 0 },
    });
    expect(await run(stores, sender)).toEqual({ kind: "already-handled", status: "done" });
    expect(sender.sent.sort()).toEqual(["token-0", "token-1", "token-2"]);
    expect(deliveries.get("event-1")).toMatchObject({ status: "done", sendStarted: true });
  });

  it("rethrows a failure before any send (so the event is retried), and the retry delivers", async () => {
    const { stores, deliveries } = world({ failPostReads: 1 });
    const sender = scriptedSender();
    await expect(run(stores, sender)).rejects.toThrow("UNAVAILABLE");
    expect(deliveries.get("event-1")).toMatchObject({
      status: "failed",
      sendStarted: false,
      error: "UNAVAILABLE",
    });
    expect(sender.sent).toEqual([]);

    expect(await run(stores, sender)).toMatchObject({ kind: "delivered", status: "done" });
    expect(sender.sent).toHaveLength(3);
  });

  it("stops asking for retries after the last attempt", async () => {
    const { stores, deliveries } = world({ failPostReads: 10 });
    await expect(run(stores)).rejects.toThrow();
    await expect(run(stores)).rejects.toThrow();
    expect(await run(stores)).toMatchObject({ kind: "aborted", willRetry: false });
    expect(await run(stores)).toEqual({ kind: "already-handled", status: "failed" });
    expect(deliveries.get("event-1")).toMatchObject({ status: "failed", attempts: 3 });
  });

  it("never rethrows once sending began: an error after it fails the delivery for good", async () => {
    const { stores, deliveries } = world({ failMarking: true });
    const sender = scriptedSender((token) =>
      token === "token-1"
        ? { success: false, error: { code: "messaging/registration-token-not-registered", message: "gone" } }
        : { success: true },
    );
    expect(await run(stores, sender)).toMatchObject({ kind: "delivered", status: "failed" });
    expect(deliveries.get("event-1")).toMatchObject({
      status: "failed",
      sendStarted: true,
      error: "DEADLINE_EXCEEDED",
    });
    expect(await run(stores, sender)).toEqual({ kind: "already-handled", status: "failed" });
    expect(sender.sent).toHaveLength(3);
  });

  it("marks rejected tokens with FCM's code and the update time they were read with; still done", async () => {
    const { stores, marked } = world();
    const sender = scriptedSender((token) =>
      token === "token-2"
        ? { success: false, error: { code: "messaging/registration-token-not-registered", message: "gone" } }
        : { success: true },
    );
    expect(await run(stores, sender)).toMatchObject({
      status: "done",
      counts: { sent: 2, rejected: 1, failed: 0 },
    });
    expect(marked).toEqual([
      {
        deviceId: "device-2",
        code: "messaging/registration-token-not-registered",
        updateTime: Timestamp.fromMillis(1),
      },
    ]);
  });

  it("fails the delivery when any message failed for good, without marking its token", async () => {
    const { stores, marked, deliveries } = world();
    const sender = scriptedSender((token) =>
      token === "token-0"
        ? { success: false, error: { code: "messaging/third-party-auth-error", message: "APNs auth" } }
        : { success: true },
    );
    expect(await run(stores, sender)).toMatchObject({
      status: "failed",
      counts: { sent: 2, failed: 1, rejected: 0 },
    });
    expect(marked).toEqual([]);
    expect(deliveries.get("event-1")?.error).toMatch(/third-party-auth ×1/);
  });

  it("fails loudly and marks nothing when most of a large batch is mismatched-credential", async () => {
    const { stores, marked } = world({ devices: 12 });
    const mismatch = { code: "messaging/mismatched-credential", message: "SenderId mismatch" };
    const sender = scriptedSender((token) =>
      token === "token-0" ? { success: true } : { success: false, error: mismatch },
    );
    expect(await run(stores, sender)).toMatchObject({
      status: "failed",
      massRejectionGuardTripped: true,
      counts: { tokens: 12, sent: 1, failed: 11, rejected: 0 },
    });
    expect(marked).toEqual([]);
  });

  it("ends a comment whose post is gone as done, sending nothing", async () => {
    const { stores, deliveries } = world();
    stores.posts.post = () => Promise.resolve(undefined);
    const sender = scriptedSender();
    expect(await run(stores, sender)).toEqual({ kind: "skipped", reason: "the post no longer exists" });
    expect(sender.sent).toEqual([]);
    expect(deliveries.get("event-1")).toMatchObject({ status: "done" });
  });
});
