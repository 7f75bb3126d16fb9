// The task path's decisions with in-memory stores: when a comment goes through tasks (the threshold is on
// devices; an audience whose bound cannot exceed it is streamed without measuring), what the tasks carry and under which ids, and how a
// slice ends when its devices cannot be read on its last attempt. The same flows against the emulators are
// in test/integration/comment-push-tasks.test.ts.
import { fanOutComment } from "../../functions/src/push/kinds/comment/fanOut";
import { sendSlice } from "../../functions/src/push/slice";
import { commentKind } from "../../functions/src/push/kinds/comment/comment";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import { sliceTaskId } from "../../functions/src/push/domain/slices";
import type { ActiveDevice } from "../../functions/src/devices/deviceDoc";
import {
  commentEvent,
  fakeCommentPushStores,
  fakeDevice,
  fastDeps,
  scriptedSender,
} from "../support/fakeCommentPush";

/** `followers` followers of `devicesEach` devices each, and a post by "author" (no devices). */
function world({ followers, devicesEach }: { followers: number; devicesEach: number }) {
  const devices: ActiveDevice[] = [];
  for (let f = 0; f < followers; f++) {
    for (let d = 0; d < devicesEach; d++) devices.push(fakeDevice(`follower-${f}`, `${f}-${d}`));
  }
  const subscribers = Array.from({ length: followers }, (_, f) => ({ uid: `follower-${f}`, muted: false }));
  return { ...fakeCommentPushStores({ devices, subscribers }), devices };
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

const event = commentEvent("Hi all");
const sender = () => scriptedSender();
const deps = fastDeps;

describe("fanOutComment with the task path", () => {
  it("streams an audience that cannot exceed the threshold (recipients × 10 devices) straight to FCM", async () => {
    const { stores, calls } = world({ followers: 19, devicesEach: 1 });
    const { queue, tasks } = recordingQueue();
    const send = sender();
    // 20 recipients × 10 = 200 ≤ 200: sent directly; the subscribers counted once (one aggregation).
    expect(
      await fanOutComment(event, { ...deps(stores, send), tasks: { threshold: 200, queue } }),
    ).toMatchObject({ kind: "delivered", counts: { recipients: 20, tokens: 19, sent: 19 } });
    expect(calls).toMatchObject({ counted: 1, devicesRead: 1 });
    expect(tasks).toEqual([]);
  });

  it("reads a larger one once, and sends it directly when its devices do not exceed the threshold", async () => {
    const { stores, calls } = world({ followers: 100, devicesEach: 2 });
    const { queue, tasks } = recordingQueue();
    expect(await fanOutComment(event, { ...deps(stores), tasks: { threshold: 200, queue } })).toMatchObject({
      kind: "delivered",
      counts: { tokens: 200, sent: 200 },
    });
    // Two pages: the first of 50 recipients (read before the first push), then the other 51.
    expect(calls).toMatchObject({ counted: 1, devicesRead: 2 });
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
          kind: "comment",
          eventId: "event-1",
          slice: {
            index: 0,
            // The author has no devices, and is in the slice all the same: their feed item is written there.
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
          // The planner's first read of a device list (the fakes read them at 1_000): heldDevices.ts.
          listedBefore: 1_000,
        },
      },
    ]);
  });

  it("reads each recipient's devices once, a page at a time, and slices every recipient whole", async () => {
    // Pages of 50, 100, 200, 400 and 250 recipients (the pages double up to 500), 3 devices each: past 1,000
    // devices in the third; the rest are read to be sliced. Each page's device lists are read once.
    const { stores, calls } = world({ followers: 999, devicesEach: 3 });
    const { queue, tasks } = recordingQueue();
    expect(await fanOutComment(event, { ...deps(stores), tasks: { threshold: 1_000, queue } })).toMatchObject(
      {
        kind: "enqueued",
        audience: 2_997,
      },
    );
    expect(calls).toMatchObject({ devicesRead: 5, counted: 1 });
    expect(tasks.reduce((sum, { task }) => sum + task.slice.devices, 0)).toBe(2_997);
    // Every recipient is in exactly one slice, never split (the author too, who has no device: their feed item).
    const uids = tasks.flatMap(({ task }) => task.slice.uids);
    expect(new Set(uids).size).toBe(1000);
    expect(uids).toHaveLength(1000);
    expect(tasks.every(({ task }) => task.slice.devices <= 500 && task.slice.devices % 3 === 0)).toBe(true);
  });

  it("with 10 devices a follower, packs whole followers while they fit in 500", async () => {
    const { stores } = world({ followers: 95, devicesEach: 10 });
    const { queue, tasks } = recordingQueue();
    await fanOutComment(event, { ...deps(stores), tasks: { threshold: 0, queue } });
    // 50 followers (500 devices), then the last 45.
    expect(tasks.map(({ task }) => task.slice.devices)).toEqual([500, 450]);
    expect(new Set(tasks.map(({ id }) => id)).size).toBe(2);
  });
});

describe("sendSlice", () => {
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
    expect(await sendSlice(task, commentKind, deps(stores, send))).toMatchObject({
      kind: "sent",
      status: "done",
      counts: { tokens: 6, sent: 6, failed: 0 },
    });
    expect(send.sent).toHaveLength(6);
    expect(slices.get(0)).toMatchObject({ status: "done", sendStarted: true });
    expect(await sendSlice(task, commentKind, deps(stores, send))).toEqual({
      kind: "already-handled",
      status: "done",
    });
    expect(send.sent).toHaveLength(6);
  });

  it("asks for a retry while attempts are left, then ends the slice failed with its devices counted", async () => {
    const { stores, task, slices, calls } = await oneTask(3);
    calls.deviceReadFailures = 1;
    const send = sender();
    await expect(sendSlice(task, commentKind, deps(stores, send))).rejects.toThrow("UNAVAILABLE");
    await expect(sendSlice(task, commentKind, deps(stores, send))).rejects.toThrow("UNAVAILABLE");
    expect(await sendSlice(task, commentKind, deps(stores, send))).toEqual({
      kind: "aborted",
      willRetry: false,
      error: "UNAVAILABLE",
    });
    expect(slices.get(0)).toMatchObject({
      status: "failed",
      attempts: 3,
      counts: { tokens: 6, sent: 0, failed: 6 },
    });
    expect(await sendSlice(task, commentKind, deps(stores, send))).toEqual({
      kind: "already-handled",
      status: "failed",
    });
    expect(send.sent).toEqual([]);
  });
});
