// Leases, resumed enqueueing and slices counted once, through the pipeline with in-memory stores whose gates
// decide with the production rule and a settable clock (test/support/fakeCommentPush.ts).
import { DeliveryLeasedError } from "../../functions/src/push/delivery";
import { fanOutComment } from "../../functions/src/push/kinds/comment/fanOut";
import { sendSlice } from "../../functions/src/push/slice";
import { commentKind } from "../../functions/src/push/kinds/comment/comment";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import type { ActiveDevice } from "../../functions/src/devices/deviceDoc";
import {
  FAKE_LEASE_MS,
  commentEvent,
  fakeCommentPushStores,
  fakeDevice,
  fastDeps,
  scriptedSender,
} from "../support/fakeCommentPush";

function world(followers: number, devicesEach: number) {
  const devices: ActiveDevice[] = [];
  for (let f = 0; f < followers; f++) {
    for (let d = 0; d < devicesEach; d++) devices.push(fakeDevice(`follower-${f}`, `${f}-${d}`));
  }
  const subscribers = Array.from({ length: followers }, (_, f) => ({ uid: `follower-${f}`, muted: false }));
  return fakeCommentPushStores({ devices, subscribers });
}

/** A queue that refuses a repeated id as Cloud Tasks does; `failing(n)` throws for the nth call. */
function queueOf(failing: (call: number, id: string) => Error | undefined = () => undefined) {
  const created = new Map<string, SliceTask>();
  let calls = 0;
  const queue: SliceQueue = {
    enqueue: (task, id) => {
      calls++;
      const error = failing(calls, id);
      if (error) return Promise.reject(error);
      if (created.has(id)) return Promise.resolve("duplicate");
      created.set(id, task);
      return Promise.resolve("enqueued");
    },
  };
  return { queue, created, calls: () => calls };
}

const event = commentEvent("Hi");

describe("leases", () => {
  it("a run that finds a live lease on a record with nothing sent asks for a retry, and takes it over after", async () => {
    const w = world(3, 1);
    await w.stores.deliveries.begin(event.id, { kind: "comment", postId: "post-1", commentId: "comment-1" }); // the run that died
    const send = scriptedSender();
    await expect(fanOutComment(event, fastDeps(w.stores, send))).rejects.toBeInstanceOf(DeliveryLeasedError);
    expect(send.sent).toEqual([]);
    w.clock.now += FAKE_LEASE_MS;
    expect(await fanOutComment(event, fastDeps(w.stores, send))).toMatchObject({
      kind: "delivered",
      status: "done",
    });
    expect(send.sent).toHaveLength(3);
    expect(w.deliveries.get(event.id)).toMatchObject({ status: "done", attempts: 2 });
  });

  it("never takes over a record whose sending started, however old its lease", async () => {
    const w = world(3, 1);
    await w.stores.deliveries.begin(event.id, { kind: "comment", postId: "post-1", commentId: "comment-1" });
    await w.stores.deliveries.sendStarting(event.id, { recipients: 3, tokens: 3 });
    w.clock.now += 10 * FAKE_LEASE_MS;
    const send = scriptedSender();
    expect(await fanOutComment(event, fastDeps(w.stores, send))).toEqual({
      kind: "already-handled",
      status: "sending",
    });
    expect(send.sent).toEqual([]);
  });
});

describe("resumed enqueueing", () => {
  it("a retry after a run died while enqueueing enqueues the rest of the recorded plan, repeats refused", async () => {
    const w = world(125, 10); // 3 slices: 500, 500, 250
    // The first run dies at its third enqueue (a throw here stands in for the kill the drills do for real).
    const first = queueOf((call) => (call === 3 ? new Error("killed") : undefined));
    await expect(
      fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue: first.queue } }),
    ).resolves.toMatchObject({ kind: "enqueued" });
    // Rewind to the moment of the kill: enqueueing not over, two slices created.
    w.slices.clear();
    const record = w.deliveries.get(event.id);
    if (!record) throw new Error("no delivery");
    Object.assign(record, { enqueueing: true, status: "sending" });
    const created = new Map([...first.created].slice(0, 2));
    const retryQueue = queueOf();
    for (const [id, task] of created) retryQueue.created.set(id, task);

    await expect(
      fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue: retryQueue.queue } }),
    ).rejects.toBeInstanceOf(DeliveryLeasedError);
    w.clock.now += FAKE_LEASE_MS;
    expect(
      await fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue: retryQueue.queue } }),
    ).toEqual({ kind: "enqueued", audience: 1_250, slices: 3, notEnqueued: 0 });
    expect(retryQueue.created.size).toBe(3);
    expect(w.deliveries.get(event.id)).toMatchObject({ enqueueing: false, attempts: 2 });
  });

  it("retries an enqueue answered 429, then gives a slice up only after its attempts, counted once", async () => {
    const w = world(125, 10);
    const rateLimited = Object.assign(new Error("Quota exceeded"), { code: "functions/unknown-error" });
    const flaky = queueOf((call) => (call === 1 ? rateLimited : undefined));
    expect(
      await fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue: flaky.queue } }),
    ).toMatchObject({ kind: "enqueued", notEnqueued: 0 });
    expect(flaky.created.size).toBe(3);

    const w2 = world(125, 10);
    const internal = Object.assign(new Error("INTERNAL"), { code: "functions/internal-error" });
    const broken = queueOf((_call, id) => (id.endsWith("-1") ? internal : undefined));
    expect(
      await fanOutComment(event, { ...fastDeps(w2.stores), tasks: { threshold: 0, queue: broken.queue } }),
    ).toMatchObject({ kind: "enqueued", notEnqueued: 1 });
    expect(broken.calls()).toBe(2 + 5);
    expect(w2.slices.get(1)).toMatchObject({ status: "failed", counted: true });
  });

  it("does not retry a permanent refusal", async () => {
    const w = world(125, 10);
    const denied = Object.assign(new Error("denied"), { code: "functions/permission-denied" });
    const refusing = queueOf((_call, id) => (id.endsWith("-0") ? denied : undefined));
    await fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue: refusing.queue } });
    expect(refusing.calls()).toBe(3);
  });
});

describe("a slice given up as not enqueued whose task runs", () => {
  it("is refused by the task's gate: counted once, nothing sent", async () => {
    const w = world(125, 10);
    const { queue, created } = queueOf();
    await fanOutComment(event, { ...fastDeps(w.stores), tasks: { threshold: 0, queue } });
    const task = [...created.values()][1] as SliceTask;
    w.slices.clear();
    await w.stores.slices.notEnqueued(event.id, task.slice, "timed out");
    const send = scriptedSender();
    expect(await sendSlice(task, commentKind, fastDeps(w.stores, send))).toEqual({
      kind: "already-handled",
      status: "failed",
    });
    expect(send.sent).toEqual([]);
  });
});
