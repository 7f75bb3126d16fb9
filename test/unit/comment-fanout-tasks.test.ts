// The task path's decisions with in-memory stores: when a comment goes through tasks (the threshold is on
// devices, and small audiences are not even counted), what the tasks carry and under which ids, and how a
// slice ends when its devices cannot be read on its last attempt. The same flows against the emulators are
// in test/integration/comment-push-tasks.test.ts.
import { Timestamp } from "firebase-admin/firestore";
import { logger } from "firebase-functions";
import {
  fanOutComment,
  type CommentCreatedEvent,
  type CommentPushStores,
} from "../../functions/src/deliveries/commentFanOut";
import { sendSlice } from "../../functions/src/deliveries/sliceFanOut";
import type { SliceQueue, SliceTask } from "../../functions/src/deliveries/sliceTask";
import type { BeginResult, SliceCounts } from "../../functions/src/deliveries/deliveryStore";
import type { ActiveDevice } from "../../functions/src/devices/deviceStore";
import type { CommentPush } from "../../functions/src/push/compose";
import { defaultRetryPolicy } from "../../functions/src/push/retryPolicy";
import { sliceTaskId } from "../../functions/src/push/slices";

type Slice = {
  status: "sending" | "done" | "failed";
  attempts: number;
  sendStarted: boolean;
  counts?: SliceCounts;
  error?: string;
};

/** `followers` followers of `devicesEach` devices each, and a post by "author" (no devices). */
function world({ followers, devicesEach }: { followers: number; devicesEach: number }) {
  const devices: ActiveDevice[] = [];
  for (let f = 0; f < followers; f++) {
    for (let d = 0; d < devicesEach; d++) {
      devices.push({
        deviceId: `device-${f}-${d}`,
        uid: `follower-${f}`,
        token: `token-${f}-${d}`,
        platform: "android",
        locale: null,
        updateTime: Timestamp.fromMillis(1),
      });
    }
  }
  const calls = { counted: 0, devicesRead: 0, deviceReadFailures: 0 };
  const planned: { slices?: number; audience?: number; recipients?: number } = {};
  const slices = new Map<number, Slice>();
  const notImplemented = () => Promise.reject(new Error("not used here"));
  const stores: CommentPushStores = {
    posts: {
      parseComment: (data) => data as { authorId: string; text: string; createdAt: Timestamp },
      post: () => Promise.resolve({ authorId: "author", title: "t", createdAt: Timestamp.fromMillis(0) }),
      subscribe: () => Promise.resolve(true),
      subscribersOf: () =>
        Promise.resolve(
          Array.from({ length: followers }, (_, f) => ({ uid: `follower-${f}`, muted: false })),
        ),
    },
    users: {
      displayNameOf: () => Promise.resolve("Mina"),
      commentOptOutsAmong: () => Promise.resolve(new Set<string>()),
    },
    devices: {
      maxDevicesPerUser: 10,
      deviceCountsOf: (uids) => {
        calls.counted++;
        const groups = [];
        for (let i = 0; i < uids.length; i += 30) {
          const group = uids.slice(i, i + 30);
          groups.push({ uids: group, devices: devices.filter((d) => group.includes(d.uid)).length });
        }
        return Promise.resolve(groups);
      },
      activeDevicesOf: (uids) => {
        calls.devicesRead++;
        if (calls.deviceReadFailures > 0) return Promise.reject(new Error("UNAVAILABLE"));
        return Promise.resolve(devices.filter((d) => uids.includes(d.uid)));
      },
      markRejected: () => Promise.resolve({ marked: 0, skipped: 0, failed: 0, failures: [] }),
    },
    deliveries: {
      maxAttempts: 3,
      begin: (): Promise<BeginResult> => Promise.resolve({ owned: true, attempt: 1 }),
      sendStarting: () => Promise.resolve(),
      finish: () => Promise.resolve(),
      abandon: () => Promise.resolve(),
      tasksPlanned: (_eventId, plan) => {
        Object.assign(planned, plan);
        return Promise.resolve();
      },
      sliceNotEnqueued: notImplemented,
      beginSlice: (_eventId, slice): Promise<BeginResult> => {
        const existing = slices.get(slice.index);
        if (!existing) {
          slices.set(slice.index, { status: "sending", attempts: 1, sendStarted: false });
          return Promise.resolve({ owned: true, attempt: 1 });
        }
        if (existing.status === "failed" && !existing.sendStarted && existing.attempts < 3) {
          existing.status = "sending";
          existing.attempts++;
          return Promise.resolve({ owned: true, attempt: existing.attempts });
        }
        return Promise.resolve({ owned: false, status: existing.status, sendStarted: existing.sendStarted });
      },
      sliceSendStarting: (_eventId, index) => {
        const slice = slices.get(index);
        if (slice) slice.sendStarted = true;
        return Promise.resolve();
      },
      abandonSlice: (_eventId, index, error) => {
        const slice = slices.get(index);
        if (slice) Object.assign(slice, { status: "failed", error });
        return Promise.resolve();
      },
      finishSlice: (_eventId, index, outcome) => {
        const slice = slices.get(index);
        if (slice)
          Object.assign(slice, { status: outcome.status, counts: outcome.counts, error: outcome.error });
        return Promise.resolve(undefined);
      },
    },
  };
  return { stores, calls, planned, slices, devices };
}

function recordingQueue() {
  const tasks: { task: SliceTask; id: string }[] = [];
  const queue: SliceQueue = {
    enqueue: (task, id) => {
      tasks.push({ task, id });
      return Promise.resolve("enqueued");
    },
  };
  return { queue, tasks };
}

function sender() {
  const sent: string[] = [];
  return {
    sent,
    sendEach(messages: CommentPush[]) {
      sent.push(...messages.map((m) => m.token));
      return Promise.resolve({ responses: messages.map(() => ({ success: true })) });
    },
  };
}

const event: CommentCreatedEvent = {
  id: "event-1",
  params: { postId: "post-1", commentId: "comment-1" },
  data: { data: () => ({ authorId: "commenter", text: "Hi all", createdAt: Timestamp.fromMillis(0) }) },
};

const deps = (stores: CommentPushStores, send = sender()) => ({
  stores,
  sender: send,
  policy: { ...defaultRetryPolicy, baseDelayMs: 0 },
  sleep: () => Promise.resolve(),
  random: () => 0.5,
  now: () => 0,
});

describe("fanOutComment with the task path", () => {
  beforeEach(() => {
    for (const level of ["info", "warn", "error"] as const) jest.spyOn(logger, level).mockReturnValue();
  });
  afterEach(() => jest.restoreAllMocks());

  it("does not count an audience that cannot exceed the threshold (recipients × 10 devices)", async () => {
    const { stores, calls } = world({ followers: 19, devicesEach: 1 });
    const { queue, tasks } = recordingQueue();
    const send = sender();
    // 20 recipients × 10 = 200 ≤ 200: sent directly, nothing counted.
    expect(
      await fanOutComment(event, { ...deps(stores, send), tasks: { threshold: 200, queue } }),
    ).toMatchObject({ kind: "delivered", counts: { tokens: 19, sent: 19 } });
    expect(calls.counted).toBe(0);
    expect(tasks).toEqual([]);
  });

  it("reads a larger one once, and sends it directly when its devices do not exceed the threshold", async () => {
    const { stores, calls } = world({ followers: 100, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    expect(await fanOutComment(event, { ...deps(stores), tasks: { threshold: 200, queue } })).toMatchObject({
      kind: "delivered",
      counts: { tokens: 200, sent: 200 },
    });
    expect(calls).toMatchObject({ counted: 0, devicesRead: 1 });
    expect(tasks).toEqual([]);
  });

  it("enqueues slices of whole groups, with ids from the event and the slice, when devices exceed it", async () => {
    const { stores, planned } = world({ followers: 100, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    const send = sender();
    expect(await fanOutComment(event, { ...deps(stores, send), tasks: { threshold: 199, queue } })).toEqual({
      kind: "enqueued",
      audience: 200,
      slices: 1,
      notEnqueued: 0,
    });
    expect(send.sent).toEqual([]);
    expect(planned).toEqual({ recipients: 101, audience: 200, slices: 1 });
    expect(tasks).toEqual([
      {
        id: sliceTaskId("event-1", 0),
        task: {
          eventId: "event-1",
          slice: {
            index: 0,
            uids: ["author", ...Array.from({ length: 100 }, (_, f) => `follower-${f}`)],
            devices: 200,
          },
          content: {
            postId: "post-1",
            commentId: "comment-1",
            authorId: "commenter",
            postAuthorId: "author",
            commenterName: "Mina",
            text: "Hi all",
          },
        },
      },
    ]);
  });

  it("stops reading devices once they exceed the threshold, and only counts the rest", async () => {
    // 180 recipients a read (6 groups of 30, 3 devices each): past 1,000 after the second read.
    const { stores, calls } = world({ followers: 999, devicesEach: 3 });
    const { queue, tasks } = recordingQueue();
    expect(await fanOutComment(event, { ...deps(stores), tasks: { threshold: 1_000, queue } })).toMatchObject(
      {
        kind: "enqueued",
        audience: 2_997,
      },
    );
    expect(calls).toMatchObject({ devicesRead: 2, counted: 1 });
    expect(tasks.reduce((sum, { task }) => sum + task.slice.devices, 0)).toBe(2_997);
    // Every recipient is in exactly one slice (the author, without devices, in the first group's).
    const uids = tasks.flatMap(({ task }) => task.slice.uids);
    expect(new Set(uids).size).toBe(1_000);
    expect(uids).toHaveLength(1_000);
  });

  it("with 10 devices a follower, packs groups of 30 followers (300 devices) while they fit in 500", async () => {
    const { stores } = world({ followers: 95, devicesEach: 10 });
    const { queue, tasks } = recordingQueue();
    await fanOutComment(event, { ...deps(stores), tasks: { threshold: 0, queue } });
    // Groups: the author (no devices) and 29 followers, 30, 30, then the last 6 followers.
    expect(tasks.map(({ task }) => task.slice.devices)).toEqual([290, 300, 360]);
    expect(new Set(tasks.map(({ id }) => id)).size).toBe(3);
  });
});

describe("sendSlice", () => {
  beforeEach(() => {
    for (const level of ["info", "warn", "error"] as const) jest.spyOn(logger, level).mockReturnValue();
  });
  afterEach(() => jest.restoreAllMocks());

  async function oneTask(followers: number) {
    const w = world({ followers, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    await fanOutComment(event, { ...deps(w.stores), tasks: { threshold: 0, queue } });
    const [first] = tasks;
    if (!first) throw new Error("no task");
    return { ...w, task: first.task };
  }

  it("sends the slice's devices through the direct path's composition", async () => {
    const { stores, task, slices } = await oneTask(3);
    const send = sender();
    expect(await sendSlice(task, deps(stores, send))).toMatchObject({
      kind: "sent",
      status: "done",
      counts: { tokens: 6, sent: 6, failed: 0 },
    });
    expect(send.sent).toHaveLength(6);
    expect(slices.get(0)).toMatchObject({ status: "done", sendStarted: true });
    expect(await sendSlice(task, deps(stores, send))).toEqual({ kind: "already-handled", status: "done" });
    expect(send.sent).toHaveLength(6);
  });

  it("asks for a retry while attempts are left, then ends the slice failed with its devices counted", async () => {
    const { stores, task, slices, calls } = await oneTask(3);
    calls.deviceReadFailures = 1;
    const send = sender();
    await expect(sendSlice(task, deps(stores, send))).rejects.toThrow("UNAVAILABLE");
    await expect(sendSlice(task, deps(stores, send))).rejects.toThrow("UNAVAILABLE");
    expect(await sendSlice(task, deps(stores, send))).toEqual({
      kind: "aborted",
      willRetry: false,
      error: "UNAVAILABLE",
    });
    expect(slices.get(0)).toMatchObject({
      status: "failed",
      attempts: 3,
      counts: { tokens: 6, sent: 0, failed: 6 },
    });
    expect(await sendSlice(task, deps(stores, send))).toEqual({ kind: "already-handled", status: "failed" });
    expect(send.sent).toEqual([]);
  });
});
