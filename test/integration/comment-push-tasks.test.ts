// Large audiences through Cloud Tasks (issue 7), two ways:
//
// 1. In this process, against the Firestore and FCM emulators, in a project of its own (demo-push-tasks, so
//    the Functions emulator's trigger does not fire for these comments): the trigger's handler with a low
//    threshold injected and a queue that records the tasks, then the task handler run on each recorded
//    payload, some twice, as Cloud Tasks' at-least-once delivery may. The threshold is injected rather than
//    lowered in functions/.env.local, which would send every other test's and benchmark's comment of more
//    than a few devices through tasks too.
// 2. End to end in the emulator suite: a comment written to demo-push whose audience is above the
//    threshold the Functions emulator runs with (PUSH_TASKS_THRESHOLD from functions/.env.local, else the
//    param's default), so the trigger enqueues real tasks on the Cloud Tasks emulator, which dispatches
//    them to sendPushSlice.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { deleteApp, initializeApp, type App } from "firebase-admin/app";
import { FieldValue, Timestamp, getFirestore, type Firestore } from "firebase-admin/firestore";
import type { Messaging } from "firebase-admin/messaging";
import { pushStoresOn } from "../../functions/src/push/defaults";
import type { CommentCreatedEvent, CommentPushStores } from "../../functions/src/push/kinds/comment/stores";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import { DeviceStore } from "../../functions/src/devices/deviceStore";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { seedDevices, type SeedDevice } from "../../functions/src/devices/seed";
import { emulatorMessaging, messagingTargetFromEnv } from "../../functions/src/shared/messaging";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { defaultRetryPolicy } from "../../functions/src/push/domain/retryPolicy";
import { planSlices } from "../../functions/src/push/domain/slices";
import { handlePushSlice } from "../../functions/src/functions/sendPushSlice";
import { countsByToken } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, eventually, PROJECT_ID, uniqueToken } from "../support/emulators";

const TASKS_PROJECT = "demo-push-tasks";
const fastPolicy = { ...defaultRetryPolicy, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5_000 };

let app: App;
let db: Firestore;
let messaging: Messaging;

beforeAll(() => {
  app = initializeApp({ projectId: TASKS_PROJECT }, `comment-push-tasks-${randomUUID()}`);
  db = getFirestore(app);
  const target = messagingTargetFromEnv(process.env);
  if (target.kind !== "emulator") throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators");
  messaging = emulatorMessaging(target, PROJECT_ID);
});

afterAll(async () => {
  await db.recursiveDelete(db.collection("posts"));
  await Promise.all(
    ["devices", "users", "pushDeliveries"].map((name) => db.recursiveDelete(db.collection(name))),
  );
  await Promise.all([deleteApp(app), deleteApp(messaging.app), closeEmulatorConnections()]);
});

type World = { event: CommentCreatedEvent; tokens: string[]; commenter: string; ref: string };

/**
 * A post whose author has no device, `subscribers` followers of `devicesEach` devices each (device docs as
 * registerDevice writes them), and a comment by another user; and the comment's event.
 */
async function seed(
  target: Firestore,
  { subscribers, devicesEach }: { subscribers: number; devicesEach: number },
): Promise<World> {
  const run = randomUUID().slice(0, 8);
  const postId = `post-${run}`;
  const author = `author-${run}`;
  const commenter = `commenter-${run}`;
  const now = Timestamp.now();
  const tokens: string[] = [];
  const devices: SeedDevice[] = [];
  const writer = target.bulkWriter({ throttling: false });
  void writer.set(target.doc(`users/${commenter}`), { displayName: "Many" });
  void writer.set(target.doc(`posts/${postId}`), { authorId: author, title: "Popular", createdAt: now });
  for (let s = 0; s < subscribers; s++) {
    const uid = `follower-${run}-${s}`;
    void writer.set(target.doc(`posts/${postId}/subscribers/${uid}`), { muted: false, since: now });
    for (let d = 0; d < devicesEach; d++) {
      const token = uniqueToken("tasks");
      tokens.push(token);
      devices.push({
        uid,
        token,
        platform: d % 2 === 0 ? "android" : "ios",
        locale: s % 2 === 0 ? "ko-KR" : "en-US",
        appVersion: "1.0.0",
        createdAt: now,
        lastSeenAt: now,
      });
    }
  }
  await writer.close();
  await seedDevices(target, devices);
  const commentRef = target.doc(`posts/${postId}/comments/comment-${run}`);
  await commentRef.set({ authorId: commenter, text: "To everyone", createdAt: FieldValue.serverTimestamp() });
  const event: CommentCreatedEvent = {
    id: `event-${randomUUID()}`,
    params: { postId, commentId: commentRef.id },
    data: await commentRef.get(),
  };
  return { event, tokens, commenter, ref: `posts/${postId}` };
}

/** The production stores on this file's Firestore, built once. */
let built: CommentPushStores | undefined;
beforeAll(async () => {
  built = await pushStoresOn(db);
});
const stores = (): CommentPushStores => {
  if (!built) throw new Error("stores not built yet");
  return built;
};

/** A queue that keeps the tasks it is given, refusing a task id it has seen (as Cloud Tasks does). */
function recordingQueue(fail: (taskId: string) => boolean = () => false) {
  const tasks = new Map<string, SliceTask>();
  const queue: SliceQueue = {
    enqueue(task, taskId) {
      if (fail(taskId)) return Promise.reject(new Error("Cloud Tasks unavailable (simulated)"));
      if (tasks.has(taskId)) return Promise.resolve("duplicate");
      // As a task travels: through JSON.
      tasks.set(taskId, JSON.parse(JSON.stringify(task)) as SliceTask);
      return Promise.resolve("enqueued");
    },
  };
  return { queue, tasks };
}

const sliceDeps = () => ({ stores: stores(), sender: messaging, policy: fastPolicy });
const exactlyOnce = (tokens: string[]) => Object.fromEntries(tokens.map((token) => [token, 1]));

describe("a comment above the tasks threshold, handled in this process", () => {
  it("is enqueued in slices, each device gets one push, counts add up, and the delivery ends done", async () => {
    // 400 followers × 3 devices = 1,200 devices: each follower whole, a slice takes 166 of them (498).
    const world = await seed(db, { subscribers: 400, devicesEach: 3 });
    const { queue, tasks } = recordingQueue();
    const deps = {
      stores: stores(),
      sender: messaging,
      policy: fastPolicy,
      tasks: { threshold: 100, queue },
    };

    const outcome = await handleCommentCreated(world.event, deps);
    expect(outcome).toEqual({ kind: "enqueued", audience: 1_200, slices: 3, notEnqueued: 0 });
    expect(tasks.size).toBe(3);
    // Followers packed whole while they fit in 500 devices; the author, who has none, in no slice.
    expect([...tasks.values()].map((task) => task.slice.devices)).toEqual([498, 498, 204]);
    // Nothing was sent by the trigger itself.
    expect(Object.values(await countsByToken(world.tokens)).every((n) => n === 0)).toBe(true);
    // The event delivered again enqueues nothing.
    expect(await handleCommentCreated(world.event, deps)).toEqual({
      kind: "already-handled",
      status: "sending",
    });
    expect(tasks.size).toBe(3);

    const [first, second, third] = [...tasks.values()];
    if (!first || !second || !third) throw new Error("three tasks expected");
    expect(await handlePushSlice(first, sliceDeps())).toMatchObject({
      kind: "sent",
      status: "done",
      counts: { tokens: 498, sent: 498 },
      deliveryFinished: false,
    });
    // The slice counted itself on its own doc; the delivery sums its slices once they have all ended.
    expect((await db.doc(`pushDeliveries/${world.event.id}`).get()).data()).toMatchObject({
      status: "sending",
    });
    expect((await db.doc(`pushDeliveries/${world.event.id}/slices/0`).get()).data()).toMatchObject({
      status: "done",
      counted: true,
      sent: 498,
    });
    const rest = await Promise.all([
      handlePushSlice(second, sliceDeps()),
      handlePushSlice(third, sliceDeps()),
    ]);
    expect(rest.map((o) => o.kind)).toEqual(["sent", "sent"]);
    expect(rest.filter((o) => o.kind === "sent" && o.deliveryFinished)).toHaveLength(1);

    expect(await countsByToken(world.tokens)).toEqual(exactlyOnce(world.tokens));
    const delivery = (await db.doc(`pushDeliveries/${world.event.id}`).get()).data();
    expect(delivery).toMatchObject({
      postId: world.event.params.postId,
      commentId: world.event.params.commentId,
      status: "done",
      fanOut: "tasks",
      recipients: 401, // the followers and the post's author (who has no device)
      audience: 1_200,
      tokens: 1_200,
      sent: 1_200,
      failed: 0,
      rejected: 0,
      retries: 0,
      slices: 3,
      slicesDone: 3,
      slicesFailed: 0,
    });
    expect(delivery?.finishedAt).toBeInstanceOf(Timestamp);
    const slices = await db.collection(`pushDeliveries/${world.event.id}/slices`).get();
    expect(slices.docs.map((doc): unknown => doc.get("status"))).toEqual(["done", "done", "done"]);
  });

  it("sends nothing twice when a task is delivered twice, one after the other or at once", async () => {
    const world = await seed(db, { subscribers: 200, devicesEach: 3 });
    const { queue, tasks } = recordingQueue();
    await handleCommentCreated(world.event, {
      ...sliceDeps(),
      tasks: { threshold: 10, queue },
    });
    const [first, second] = [...tasks.values()];
    if (!first || !second || tasks.size !== 2) throw new Error("two tasks expected");

    expect(await handlePushSlice(first, sliceDeps())).toMatchObject({ kind: "sent", status: "done" });
    expect(await handlePushSlice(first, sliceDeps())).toEqual({
      kind: "already-handled",
      status: "done",
    });
    // At once: one run sends; the other finds the slice taken, and either sees it started (nothing to do)
    // or, still under the first run's lease with nothing sent, throws so that Cloud Tasks asks again later.
    const kindOf = (outcome: Promise<{ kind: string }>) =>
      outcome.then(
        (o) => o.kind,
        (error: unknown) => {
          if (/held by another run/.test(String(error))) return "retry-later";
          throw error;
        },
      );
    const atOnce = await Promise.all([
      kindOf(handlePushSlice(second, sliceDeps())),
      kindOf(handlePushSlice(second, sliceDeps())),
    ]);
    expect(atOnce.filter((kind) => kind === "sent")).toHaveLength(1);
    expect(atOnce.filter((kind) => kind !== "sent")).toEqual([
      expect.stringMatching(/^(already-handled|retry-later)$/) as unknown,
    ]);
    // Late duplicates of either task after the delivery ended change nothing.
    expect(await handlePushSlice(second, sliceDeps())).toEqual({
      kind: "already-handled",
      status: "done",
    });

    expect(await countsByToken(world.tokens)).toEqual(exactlyOnce(world.tokens));
    expect((await db.doc(`pushDeliveries/${world.event.id}`).get()).data()).toMatchObject({
      status: "done",
      tokens: 600,
      sent: 600,
      slices: 2,
      slicesDone: 2,
    });
  });

  it("retries a slice whose devices could not be read, and sends it once", async () => {
    const world = await seed(db, { subscribers: 40, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    await handleCommentCreated(world.event, { ...sliceDeps(), tasks: { threshold: 10, queue } });
    const [task] = [...tasks.values()];
    if (!task || tasks.size !== 1) throw new Error("one task expected");
    class FlakyDeviceStore extends DeviceStore {
      failures = 1;
      override async activeDevicesOf(uids: readonly string[]) {
        if (this.failures-- > 0) throw new Error("Firestore unavailable (simulated)");
        return super.activeDevicesOf(uids);
      }
    }
    const flaky = { ...sliceDeps(), stores: { ...stores(), devices: new FlakyDeviceStore(db) } };

    // What Cloud Tasks sees: an error (so it runs the task again), then a success.
    await expect(handlePushSlice(task, flaky)).rejects.toThrow("simulated");
    expect(await countsByToken(world.tokens)).toEqual(Object.fromEntries(world.tokens.map((t) => [t, 0])));
    expect(await handlePushSlice(task, flaky)).toMatchObject({ kind: "sent", deliveryFinished: true });
    expect(await countsByToken(world.tokens)).toEqual(exactlyOnce(world.tokens));
    expect((await db.doc(`pushDeliveries/${world.event.id}/slices/0`).get()).data()).toMatchObject({
      status: "done",
      attempts: 2,
      sent: 80,
    });
  });

  it("ends the delivery failed, counting the slice's devices failed, when a slice cannot be enqueued", async () => {
    const world = await seed(db, { subscribers: 200, devicesEach: 3 });
    let refused = "";
    const { queue, tasks } = recordingQueue((taskId) => {
      refused ||= taskId;
      return taskId === refused;
    });
    expect(
      await handleCommentCreated(world.event, { ...sliceDeps(), tasks: { threshold: 10, queue } }),
    ).toEqual({
      kind: "enqueued",
      audience: 600,
      slices: 2,
      notEnqueued: 1,
    });
    const [task] = [...tasks.values()];
    if (!task || tasks.size !== 1) throw new Error("one task expected");
    expect(await handlePushSlice(task, sliceDeps())).toMatchObject({
      kind: "sent",
      deliveryFinished: true,
    });

    const delivery = (await db.doc(`pushDeliveries/${world.event.id}`).get()).data();
    expect(delivery).toMatchObject({
      status: "failed",
      tokens: 600,
      sent: task.slice.devices,
      failed: 600 - task.slice.devices,
      slicesDone: 2,
      slicesFailed: 1,
    });
    expect(delivery?.error).toMatch(/1 of 2 slices failed/);
    expect(Object.values(await countsByToken(world.tokens)).reduce((a, b) => a + b, 0)).toBe(
      task.slice.devices,
    );
  });

  it("keeps the direct path for an audience at or below the threshold", async () => {
    const world = await seed(db, { subscribers: 10, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    expect(
      await handleCommentCreated(world.event, { ...sliceDeps(), tasks: { threshold: 20, queue } }),
    ).toMatchObject({ kind: "delivered", status: "done", counts: { tokens: 20, sent: 20 } });
    expect(tasks.size).toBe(0);
    expect(await countsByToken(world.tokens)).toEqual(exactlyOnce(world.tokens));
  });
});

/** The threshold the Functions emulator runs with: functions/.env.local's, else the param's default. */
function emulatorThreshold(): number {
  const dir = path.resolve(__dirname, "../../functions");
  for (const file of [".env.local", `.env.${PROJECT_ID}`, ".env"]) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, file), "utf8");
    } catch {
      continue;
    }
    const match = /^\s*PUSH_TASKS_THRESHOLD\s*=\s*(\d+)\s*$/m.exec(text);
    if (match) return Number(match[1]);
  }
  return 2_000;
}

describe("a comment above the tasks threshold, in the emulator suite", () => {
  it("goes through Cloud Tasks: every device gets one push, counts add up, status ends done", async () => {
    const threshold = emulatorThreshold();
    // 10 devices per follower (the most a user keeps): the audience passes the threshold with few recipients.
    const subscribers = Math.ceil((threshold + 500) / 10);
    const suite = adminDb();
    const world = await seed(suite, { subscribers, devicesEach: 10 });
    const devices = subscribers * 10;
    // The plan the trigger makes: every follower whole (the author has no device) in slices of ≤ 500 devices.
    const groups = Array.from({ length: subscribers }, (_, f) => ({ uids: [`r${f}`], devices: 10 }));
    const slices = planSlices(groups).length;
    try {
      const found = await eventually(
        async () =>
          (
            await suite
              .collection("pushDeliveries")
              .where("commentId", "==", world.event.params.commentId)
              .get()
          ).docs,
        (docs) => docs.length > 0 && docs.every((doc) => doc.data().status !== "sending"),
        // Well inside the trigger's own timeout (540 s), as a busy machine may need.
        600_000,
        500,
      );
      expect(found).toHaveLength(1);
      const [delivery] = found;
      expect(delivery?.data()).toMatchObject({
        status: "done",
        fanOut: "tasks",
        recipients: subscribers + 1,
        audience: devices,
        tokens: devices,
        sent: devices,
        failed: 0,
        rejected: 0,
        slices,
        slicesDone: slices,
        slicesFailed: 0,
      });
      expect(await countsByToken(world.tokens)).toEqual(exactlyOnce(world.tokens));
      const sliceDocs = await delivery?.ref.collection("slices").get();
      expect(sliceDocs?.size).toBe(slices);
      expect(sliceDocs?.docs.every((doc) => doc.data().status === "done" && doc.data().attempts === 1)).toBe(
        true,
      );
    } finally {
      const writer = suite.bulkWriter({ throttling: false });
      for (const token of world.tokens) void writer.delete(suite.doc(`devices/${deviceIdOf(token)}`));
      void writer.delete(suite.doc(`users/${world.commenter}`));
      await writer.close();
      await suite.recursiveDelete(suite.doc(world.ref));
      const deliveries = await suite
        .collection("pushDeliveries")
        .where("commentId", "==", world.event.params.commentId)
        .get();
      await Promise.all(deliveries.docs.map((doc) => suite.recursiveDelete(doc.ref)));
    }
  }, 660_000);
});
