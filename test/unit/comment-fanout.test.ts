// The fan-out's exactly-once and status rules, with in-memory stores and a scripted sender: which failures
// are retried (before any send) and which never are (after sending began), and when a delivery is
// `done` or `failed`. The same flows against the emulators are in test/integration/comment-push*.test.ts.
import { Timestamp } from "firebase-admin/firestore";
import { fanOutComment } from "../../functions/src/push/kinds/comment/fanOut";
import type { CommentPushStores } from "../../functions/src/push/kinds/comment/stores";
import {
  commentEvent,
  fakeCommentPushStores,
  fakeDevice,
  fastDeps,
  scriptedSender,
} from "../support/fakeCommentPush";

function world(options: { devices?: number; failPostReads?: number; failMarking?: boolean } = {}) {
  const devices = Array.from({ length: options.devices ?? 3 }, (_, i) =>
    fakeDevice(i === 0 ? "author" : "follower", String(i), i % 2 === 0 ? "ko-KR" : null),
  );
  return fakeCommentPushStores({
    devices,
    subscribers: [{ uid: "follower", muted: false }],
    ...(options.failPostReads === undefined ? {} : { failPostReads: options.failPostReads }),
    ...(options.failMarking === undefined ? {} : { failMarking: options.failMarking }),
  });
}

const run = (stores: CommentPushStores, sender = scriptedSender()) =>
  fanOutComment(commentEvent(), fastDeps(stores, sender));

describe("fanOutComment", () => {
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
        uid: "follower",
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

  // Issue: "send started" (or "tasks planned") can commit and still answer with an error; the run then
  // recorded `failed` with `sendStarted: true`, no retry was ever allowed, and nothing had been sent.
  it("retries a delivery whose send-started write committed but reported an error, and sends once", async () => {
    const { stores } = world();
    const sendStarting = stores.deliveries.sendStarting.bind(stores.deliveries);
    let ambiguous = 1;
    stores.deliveries.sendStarting = async (...args) => {
      await sendStarting(...args);
      if (ambiguous-- > 0) throw new Error("DEADLINE_EXCEEDED after commit");
    };
    const sender = scriptedSender();
    await expect(run(stores, sender)).rejects.toThrow("DEADLINE_EXCEEDED");
    expect(await run(stores, sender)).toMatchObject({ kind: "delivered", status: "done" });
    expect(sender.sent.sort()).toEqual(["token-0", "token-1", "token-2"]);
  });
});
