// Every exported function driven as deployed, through firebase-functions-test, with its real options and
// params (their defaults, test/support/paramDefaults.ts): the callables and the trigger through `wrap()`;
// the task function and the schedule through their `.run()` (wrap() takes the v1 path for them).
// They run in this process against the emulators of demo-push. The trigger's comment is never written
// (its snapshot is made in memory), so the Functions emulator's own trigger does not fire for it.
import { randomUUID } from "node:crypto";
import { Timestamp } from "firebase-admin/firestore";
import functionsTest from "firebase-functions-test";
import type { CallableRequest } from "firebase-functions/v2/https";
import type { ScheduledEvent } from "firebase-functions/v2/scheduler";
import type { Request } from "firebase-functions/v2/tasks";
import {
  onCommentCreated,
  pruneDevices,
  registerDevice,
  sendPushSlice,
  unregisterDevice,
} from "../../functions/src/index";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import { deviceIdOf } from "../../functions/src/devices/deviceId";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { DAY_MS } from "../../functions/src/prune/cutoff";
import { countsByToken, deviceData, finishedDeliveriesOf } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, uniqueToken } from "../support/emulators";

const fft = functionsTest({ projectId: "demo-push" });

afterAll(async () => {
  fft.cleanup();
  await closeEmulatorConnections();
});

/** A callable request as the SDK hands it to the function: data, and a signed-in caller. */
function callFrom(uid: string, data: unknown): CallableRequest<unknown> {
  return {
    data,
    auth: { uid, token: { uid } as never, rawToken: "" },
    // A verified App Check token: ENFORCE_APP_CHECK is true as deployed (test/integration/app-check.test.ts
    // covers a request without one).
    app: { appId: "1:123:android:wrapped", token: {} as never },
    rawRequest: {} as never,
    acceptsStreaming: false,
  };
}

const run = randomUUID().slice(0, 8);
const author = `wrapped-author-${run}`;
const follower = `wrapped-follower-${run}`;
const commenter = `wrapped-commenter-${run}`;
const postId = `wrapped-post-${run}`;
const tokens = [uniqueToken("wrapped"), uniqueToken("wrapped"), uniqueToken("wrapped")];

afterAll(async () => {
  const db = adminDb();
  await Promise.all([
    db.recursiveDelete(db.doc(`posts/${postId}`)),
    ...[author, follower, commenter].map((uid) => db.doc(`users/${uid}`).delete()),
    ...tokens.map((token) => db.doc(`devices/${deviceIdOf(token)}`).delete()),
  ]);
});

describe("the functions as deployed, wrapped", () => {
  it("registerDevice and unregisterDevice: register, refuse bad input, unregister", async () => {
    const register = fft.wrap(registerDevice);
    const unregister = fft.wrap(unregisterDevice);
    const [first = "", second = "", third = ""] = tokens;
    expect(await register(callFrom(author, { token: first, platform: "android", locale: "ko-KR" }))).toEqual({
      deviceId: deviceIdOf(first),
    });
    await register(callFrom(follower, { token: second, platform: "ios" }));
    await register(callFrom(follower, { token: third, platform: "web" }));
    expect(await deviceData(deviceIdOf(second))).toMatchObject({ uid: follower, platform: "ios" });

    await expect(register(callFrom(follower, { token: "has space", platform: "ios" }))).rejects.toMatchObject(
      {
        code: "invalid-argument",
      },
    );
    await expect(unregister({ ...callFrom("", { token: third }), auth: undefined })).rejects.toMatchObject({
      code: "unauthenticated",
    });
    expect(await unregister(callFrom(author, { token: third }))).toEqual({ removed: false });
    expect(await unregister(callFrom(follower, { token: third }))).toEqual({ removed: true });
    expect(await deviceData(deviceIdOf(third))).toBeUndefined();
    tokens.pop();
  });

  it("onCommentCreated: the wrapped trigger pushes once to every device of the audience", async () => {
    const db = adminDb();
    await Promise.all([
      db.doc(`users/${commenter}`).set({ displayName: "Wrapped" }),
      db.doc(`posts/${postId}`).set({ authorId: author, title: "Wrapped", createdAt: Timestamp.now() }),
      db.doc(`posts/${postId}/subscribers/${follower}`).set({ muted: false, since: Timestamp.now() }),
    ]);
    const commentId = `comment-${randomUUID()}`;
    await fft.wrap(onCommentCreated)({
      id: `event-${randomUUID()}`,
      params: { postId, commentId },
      data: { authorId: commenter, text: "Through wrap()", createdAt: Timestamp.now() },
    });
    expect(await countsByToken(tokens)).toEqual(Object.fromEntries(tokens.map((token) => [token, 1])));
    expect(await finishedDeliveriesOf(commentId)).toMatchObject([
      { status: "done", recipients: 2, tokens: 2, sent: 2 },
    ]);
  });

  it("sendPushSlice: its run() sends a slice the trigger planned, once", async () => {
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (task) => {
        tasks.push(JSON.parse(JSON.stringify(task)) as SliceTask);
        return Promise.resolve("enqueued");
      },
    };
    const commentId = `comment-${randomUUID()}`;
    const event = {
      id: `event-${randomUUID()}`,
      params: { postId, commentId },
      data: { data: () => ({ authorId: commenter, text: "Through a task", createdAt: Timestamp.now() }) },
    };
    // A second comment on the post inside the production coalescing window would be folded into a digest
    // (docs/coalescing.md): this one is about the slice, so coalescing is off for it.
    const deps = { tasks: { threshold: 0, queue }, coalescing: { windowMs: 0 } };
    expect(await handleCommentCreated(event, deps)).toMatchObject({
      kind: "enqueued",
      slices: 1,
    });
    const before = await countsByToken(tokens);
    for (const task of [...tasks, ...tasks]) await sendPushSlice.run({ data: task } as Request<SliceTask>);
    const after = await countsByToken(tokens);
    expect(tokens.map((token) => (after[token] ?? 0) - (before[token] ?? 0))).toEqual(tokens.map(() => 1));
    expect(await finishedDeliveriesOf(commentId)).toMatchObject([
      { status: "done", fanOut: "tasks", sent: 2 },
    ]);
  });

  it("pruneDevices: its run() deletes a stale device and keeps a fresh one", async () => {
    const stale = uniqueToken("wrapped-stale");
    const seenLongAgo = Timestamp.fromMillis(Date.now() - 90 * DAY_MS);
    await adminDb()
      .doc(`devices/${deviceIdOf(stale)}`)
      .set({
        uid: follower,
        token: stale,
        platform: "android",
        locale: null,
        appVersion: null,
        createdAt: seenLongAgo,
        lastSeenAt: seenLongAgo,
      });
    const event: ScheduledEvent = { scheduleTime: new Date().toISOString(), jobName: "wrapped" };
    await pruneDevices.run(event);
    expect(await deviceData(deviceIdOf(stale))).toBeUndefined();
    expect(await deviceData(deviceIdOf(tokens[0] ?? ""))).toMatchObject({ uid: author });
  });
});
