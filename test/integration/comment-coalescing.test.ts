// Per-post coalescing end to end (docs/coalescing.md), with the emulator's 10 s window
// (PUSH_COALESCE_SECONDS in functions/.env.local): users write comments through the client SDK, the
// trigger and the sendCommentDigest task run in the Functions emulator (the Cloud Tasks emulator dispatches
// the digest at once: the digest waits for its window's end itself), and the FCM emulator's log is what
// the devices received.
import { randomUUID } from "node:crypto";
import { addDoc, collection, serverTimestamp } from "firebase/firestore";
import { Timestamp } from "firebase-admin/firestore";
import {
  cleanUp,
  comment,
  finishedDeliveriesOf,
  registerDevice,
  setProfile,
  subscribe,
  writePost,
  type Delivery,
  type Device,
  type PushMessage,
  outcomeKind,
} from "../support/commentPush";
import {
  adminDb,
  closeEmulatorConnections,
  eventually,
  PROJECT_ID,
  signedInClient,
  type Client,
} from "../support/emulators";
import { handleCommentCreated } from "../../functions/src/functions/onCommentCreated";
import { handleCommentDigest } from "../../functions/src/functions/sendCommentDigest";
import type { DigestQueue, DigestTask } from "../../functions/src/push/kinds/comment/coalesce/digestTask";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(async () => {
  const db = adminDb();
  const postIds = [...made.postIds];
  await cleanUp(made);
  await Promise.all(
    postIds.map(async (postId) => {
      const deliveries = await db.collection("pushDeliveries").where("postId", "==", postId).get();
      await Promise.all([
        ...deliveries.docs.map((snapshot) => snapshot.ref.delete()),
        db.collection("pushWindows").doc(postId).delete(),
      ]);
    }),
  );
});
afterAll(closeEmulatorConnections);

type Logged = { receivedAt: string; message: PushMessage };

/** Every message the FCM emulator accepted for these tokens, with when it arrived. */
async function logged(tokens: readonly string[]): Promise<Logged[]> {
  const wanted = new Set(tokens);
  const response = await fetch(
    `http://${process.env.FCM_EMULATOR_HOST ?? ""}/emulator/v1/projects/${PROJECT_ID}/messages`,
  );
  const { messages } = (await response.json()) as { messages: Logged[] };
  return messages.filter((entry) => wanted.has(entry.message.token));
}

async function users(count: number): Promise<Client[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => signedInClient()));
  made.uids.push(...clients.map((client) => client.uid));
  return clients;
}

async function device(client: Client, locale: string): Promise<Device> {
  const registered = await registerDevice(client, { locale });
  made.devices.push(registered);
  return registered;
}

async function post(client: Client, title: string): Promise<string> {
  const postId = await writePost(client, title);
  made.postIds.push(postId);
  return postId;
}

async function commentOn(client: Client, postId: string, text: string): Promise<string> {
  const commentId = await comment(client, postId, text);
  made.commentIds.push(commentId);
  return commentId;
}

/** The post's window doc (Admin SDK). */
async function windowsOf(postId: string): Promise<DigestTask["window"][]> {
  const data = (await adminDb().collection("pushWindows").doc(postId).get()).data();
  return (data?.windows ?? []) as DigestTask["window"][];
}

/** The post's digest delivery records, once `count` of them have finished. */
async function finishedDigests(postId: string, count = 1, timeoutMs = 60_000): Promise<Delivery[]> {
  return eventually(
    async () =>
      (await adminDb().collection("pushDeliveries").where("postId", "==", postId).get()).docs
        .map((snapshot): Delivery => ({ id: snapshot.id, ...snapshot.data() }))
        .filter((delivery) => delivery.kind === "comment_digest" && delivery.status !== "sending"),
    (found) => found.length >= count,
    timeoutMs,
    250,
  );
}

const digestsIn = (entries: Logged[]) =>
  entries.filter((entry) => entry.message.data.type === "comment_digest");

describe("a busy post", () => {
  it("pushes its first comment at once, then one digest per recipient after the window, then at once again", async () => {
    const [author, follower, muted, optedOut, ana, ben] = await users(6);
    if (!author || !follower || !muted || !optedOut || !ana || !ben) throw new Error("no users");
    await Promise.all([
      setProfile(author, "Ada"),
      setProfile(follower, "Bora"),
      setProfile(muted, "Chen"),
      setProfile(optedOut, "Dana", { comments: false }),
      setProfile(ana, "Ana"),
      setProfile(ben, "Ben"),
    ]);
    const [authorPhone, followerPhone, mutedPhone, optedOutPhone, anaPhone, benPhone] = await Promise.all([
      device(author, "en-US"),
      device(follower, "ko-KR"),
      device(muted, "en-GB"),
      device(optedOut, "en-US"),
      device(ana, "en-US"),
      device(ben, "ko"),
    ]);
    const tokens = made.devices.map((d) => d.token);
    const postId = await post(author, "Hot take");
    await Promise.all([
      subscribe(follower, postId, false),
      subscribe(muted, postId, true),
      subscribe(optedOut, postId, false),
    ]);

    // The first comment is pushed at once and opens the window.
    const first = await commentOn(ana, postId, "First!");
    const [firstDelivery] = await finishedDeliveriesOf(first);
    expect(firstDelivery).toMatchObject({ status: "done", recipients: 2, sent: 2 });
    expect(firstDelivery?.coalesced).toBeUndefined();
    expect(firstDelivery?.expireAt).toBeInstanceOf(Timestamp);
    const [window] = await windowsOf(postId);
    if (!window) throw new Error("no window opened");
    expect(window.windowId).toBe(first);

    // Three more inside the window: Ben, Ben, then Ana again.
    const inWindow = [
      await commentOn(ben, postId, "Second"),
      await commentOn(ben, postId, "Third"),
      await commentOn(ana, postId, "Fourth, and the latest"),
    ];
    for (const commentId of inWindow) {
      const [record, ...others] = await finishedDeliveriesOf(commentId);
      expect(others).toEqual([]);
      expect(record).toMatchObject({ status: "done", coalesced: true, sent: 0 });
    }
    expect(await windowsOf(postId)).toHaveLength(1);
    // Arranged as meant: the three were written inside the first comment's window.
    for (const commentId of inWindow) {
      const written = (await adminDb().doc(`posts/${postId}/comments/${commentId}`).get()).get(
        "createdAt",
      ) as Timestamp;
      expect(written.toMillis()).toBeLessThanOrEqual(window.closesAt);
    }

    const [digest, ...moreDigests] = await finishedDigests(postId);
    expect(moreDigests).toEqual([]);
    const coalescedRecords = await Promise.all(inWindow.map((id) => finishedDeliveriesOf(id)));
    for (const [record] of coalescedRecords) expect(record?.digestId).toBe(digest?.id);
    expect(digest).toMatchObject({
      status: "done",
      windowId: first,
      comments: 3,
      lastCommentId: inWindow[2],
      recipients: 4,
      tokens: 4,
      sent: 4,
    });

    const received = await logged(tokens);
    const digests = digestsIn(received);
    // Exactly one digest per recipient; none for the muted or the opted-out.
    expect(digests.map((entry) => entry.message.token).sort()).toEqual(
      [authorPhone.token, followerPhone.token, anaPhone.token, benPhone.token].sort(),
    );
    // None left before the window's end.
    for (const entry of digests) expect(Date.parse(entry.receivedAt)).toBeGreaterThanOrEqual(window.closesAt);
    const to = (d: Device) => digests.find((entry) => entry.message.token === d.token)?.message;
    const shared = {
      android: { notification: { channel_id: "comments", tag: postId } },
      apns: { payload: { aps: { "thread-id": postId } } },
    };
    expect(to(authorPhone)).toMatchObject({
      notification: { title: "3 new comments on “Hot take”", body: "Ana: Fourth, and the latest" },
      data: { type: "comment_digest", postId, count: "3", lastCommentId: inWindow[2] },
      ...shared,
    });
    expect(to(followerPhone)).toMatchObject({
      notification: { title: "“Hot take”에 새 댓글 3개", body: "Ana: Fourth, and the latest" },
      data: { count: "3" },
    });
    // Their own comments are not counted for them; Ana wrote the latest, so hers shows Ben's.
    expect(to(anaPhone)).toMatchObject({
      notification: { title: "2 new comments on “Hot take”", body: "Ben: Third" },
      data: { type: "comment_digest", postId, count: "2", lastCommentId: inWindow[1] },
    });
    expect(to(benPhone)).toMatchObject({
      notification: { title: "“Hot take”에 새 댓글 1개", body: "Ana: Fourth, and the latest" },
      data: { count: "1", lastCommentId: inWindow[2] },
    });
    expect(
      received.filter((entry) => [mutedPhone.token, optedOutPhone.token].includes(entry.message.token)),
    ).toEqual([]);

    // After the window (and its digest): pushed at once again, opening a new window.
    const after = await commentOn(ben, postId, "Back again");
    const [afterDelivery] = await finishedDeliveriesOf(after);
    expect(afterDelivery).toMatchObject({ status: "done", recipients: 3, sent: 3 });
    expect(afterDelivery?.coalesced).toBeUndefined();
    const pushedAtOnce = (await logged(tokens)).filter((entry) => entry.message.data.commentId === after);
    expect(pushedAtOnce.map((entry) => entry.message.token).sort()).toEqual(
      [authorPhone.token, followerPhone.token, anaPhone.token].sort(),
    );
    expect((await windowsOf(postId)).map((w) => w.windowId)).toEqual([after, first]);
  });

  it("sends the digest once when the trigger and the digest task are delivered twice", async () => {
    const [author, ana] = await users(2);
    if (!author || !ana) throw new Error("no users");
    await setProfile(ana, "Ana");
    const authorPhone = await device(author, "en-US");
    const postId = await post(author, "Twice");

    // Its trigger has opened the window before the next comment is written.
    await finishedDeliveriesOf(await commentOn(ana, postId, "Opens the window"));
    const commentId = await commentOn(ana, postId, "Folded in");
    const [record] = await finishedDeliveriesOf(commentId);
    expect(record).toMatchObject({ coalesced: true });
    const [window] = await windowsOf(postId);
    if (!window) throw new Error("no window");
    const task: DigestTask = { postId, window };

    // The comment's event again, in this process: the same digest task id, the same record.
    const enqueued: string[] = [];
    const queue: DigestQueue = {
      enqueue: (_task, taskId) => {
        enqueued.push(taskId);
        return Promise.resolve("duplicate");
      },
    };
    const snapshot = await adminDb().doc(`posts/${postId}/comments/${commentId}`).get();
    const event = { id: String(record?.id), params: { postId, commentId }, data: snapshot };
    const again = await handleCommentCreated(event, { coalescing: { digests: queue } });
    expect(again).toEqual({
      kind: "coalesced",
      windowId: window.windowId,
      digestId: String(record?.digestId),
    });
    expect(enqueued).toHaveLength(1);

    // The digest task twice more, while the emulator's own dispatch is waiting for the window's end too.
    // A run that finds the digest taken sees it done, or (under the other run's lease, nothing sent yet)
    // throws so that Cloud Tasks retries it later (docs/delivery.md, "Leases").
    const outcomes = await Promise.all([
      outcomeKind(handleCommentDigest(task)),
      outcomeKind(handleCommentDigest(task)),
    ]);
    const [digest] = await finishedDigests(postId);
    expect(digest).toMatchObject({ status: "done", sent: 1 });
    expect(outcomes.filter((kind) => kind === "delivered").length).toBeLessThanOrEqual(1);
    for (const kind of outcomes.filter((k) => k !== "delivered")) {
      expect(kind).toMatch(/^(already-handled|retry-later)$/);
    }
    expect(await handleCommentDigest(task)).toEqual({ kind: "already-handled", status: "done" });
    const digests = digestsIn(await logged([authorPhone.token]));
    expect(digests).toHaveLength(1);
    expect(digests[0]?.message.data).toMatchObject({ count: "1", lastCommentId: commentId });
  });

  it("costs at most two fan-outs for a burst of 100 comments from one user", async () => {
    const [author, spammer] = await users(2);
    if (!author || !spammer) throw new Error("no users");
    await setProfile(spammer, "Spam");
    const authorPhone = await device(author, "en-US");
    const postId = await post(author, "Flooded");

    const comments = collection(spammer.db, "posts", postId, "comments");
    const ids = await Promise.all(
      Array.from({ length: 100 }, async (_, n) => {
        const ref = await addDoc(comments, {
          authorId: spammer.uid,
          text: `spam ${n} ${randomUUID()}`,
          createdAt: serverTimestamp(),
        });
        return ref.id;
      }),
    );
    made.commentIds.push(...ids);

    // Every comment gets its record; the fan-outs are the pushed-at-once ones plus the digests.
    const records = await eventually(
      async () =>
        (await adminDb().collection("pushDeliveries").where("postId", "==", postId).get()).docs.map(
          (snapshot) => snapshot.data(),
        ),
      (found) => found.filter((r) => r.kind !== "comment_digest" && r.status === "done").length === 100,
      90_000,
      500,
    );
    const windows = await windowsOf(postId);
    await finishedDigests(postId, windows.length, 60_000);
    const all = (await adminDb().collection("pushDeliveries").where("postId", "==", postId).get()).docs.map(
      (snapshot) => snapshot.data(),
    );
    const fanOuts = all.filter((r) => r.coalesced !== true);
    expect(all.filter((r) => r.kind !== "comment_digest")).toHaveLength(100);
    expect(fanOuts.length).toBeLessThanOrEqual(2);
    expect(records.length).toBeGreaterThanOrEqual(100);
    expect((await logged([authorPhone.token])).length).toBeLessThanOrEqual(2);
  }, 150_000);
});
