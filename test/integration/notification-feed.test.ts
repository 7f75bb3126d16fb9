// The notification feed end to end: comments fan out in the Functions emulator, every recipient gets one
// item in notifications/{uid}/items and an exact unread count, every push carries that count as its badge
// (the FCM emulator's log is what the devices received), and markNotificationsRead, called through the
// client SDK, marks items read and sends each of the caller's devices a silent badge update.
import { FunctionsError } from "firebase/functions";
import { Timestamp } from "firebase-admin/firestore";
import {
  cleanUp,
  comment,
  finishedDeliveriesOf,
  deviceIn,
  usersIn,
  wireMessagesTo,
  type WireMessage,
  setProfile,
  subscribe,
  writePost,
  type Device,
} from "../support/commentPush";
import { adminDb, closeEmulatorConnections, eventually, type Client } from "../support/emulators";
import { NotificationStore } from "../../functions/src/notifications/notificationStore";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(() => cleanUp(made));
afterAll(closeEmulatorConnections);

const users = (count: number) => usersIn(made, count);
const device = (client: Client, options: Parameters<typeof deviceIn>[2] = {}) =>
  deviceIn(made, client, options);

const received = wireMessagesTo;

type Item = {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  data: Record<string, string>;
  read: boolean;
};

async function itemsOf(uid: string): Promise<Item[]> {
  const found = await adminDb().collection(`notifications/${uid}/items`).get();
  return found.docs.map((doc) => ({ id: doc.id, ...(doc.data() as Omit<Item, "id">) }));
}

async function unreadOf(uid: string): Promise<number | undefined> {
  return (await adminDb().doc(`notifications/${uid}`).get()).get("unread") as number | undefined;
}

async function markRead(client: Client, data: unknown): Promise<{ unread: number }> {
  return client.call<unknown, { unread: number }>("markNotificationsRead", data);
}

/** A post by `author` that `followers` subscribe to, and a comment on it by `commenter`; the comment's id. */
async function commentOnPost(author: Client, followers: Client[], commenter: Client, text: string) {
  const postId = await writePost(author);
  made.postIds.push(postId);
  await Promise.all(followers.map((follower) => subscribe(follower, postId, false)));
  const commentId = await comment(commenter, postId, text);
  made.commentIds.push(commentId);
  await finishedDeliveriesOf(commentId);
  return { postId, commentId };
}

describe("the feed of a comment", () => {
  it("gives each recipient one item with the push's texts, and a badge equal to their count", async () => {
    const [author, follower, deviceless, commenter] = await users(4);
    if (!author || !follower || !deviceless || !commenter) throw new Error("no users");
    await setProfile(commenter, "Cy");
    const authorPhone = await device(author, { platform: "ios", locale: "ko-KR" });
    const followerPhones = [
      await device(follower, { platform: "android" }),
      await device(follower, { platform: "web" }),
    ];

    const first = await commentOnPost(author, [follower, deviceless], commenter, "Hello feed");
    const second = await commentOnPost(author, [follower, deviceless], commenter, "Hello again");

    // The author: two items in Korean (their device's language), unread 2.
    const authorItems = await itemsOf(author.uid);
    expect(authorItems.map((item) => item.data.commentId).sort()).toEqual(
      [first.commentId, second.commentId].sort(),
    );
    for (const item of authorItems) {
      expect(item).toMatchObject({ kind: "comment", title: "Cy님의 새 댓글", read: false });
    }
    expect(await unreadOf(author.uid)).toBe(2);
    // A recipient with no device: the items all the same, in English.
    const orphan = await itemsOf(deviceless.uid);
    expect(orphan).toHaveLength(2);
    expect(orphan[0]).toMatchObject({ title: "Cy commented on a post you follow", kind: "comment" });
    expect(await unreadOf(deviceless.uid)).toBe(2);

    // Each push carries the count with its own item: 1 for the first comment, 2 for the second.
    const authorPushes = await received([authorPhone]);
    const badgeOf = (m: WireMessage) => [
      m.data.commentId,
      m.data.unread,
      m.apns?.payload?.aps?.badge,
      m.android?.notification?.notification_count,
    ];
    expect(authorPushes.map(badgeOf).sort()).toEqual(
      [
        [first.commentId, "1", 1, 1],
        [second.commentId, "2", 2, 2],
      ].sort(),
    );
    const followerPushes = await received(followerPhones);
    expect(followerPushes).toHaveLength(4);
    for (const push of followerPushes)
      expect(push.data.unread).toBe(push.data.commentId === first.commentId ? "1" : "2");
    // The item says what the push said.
    const item = (await itemsOf(follower.uid)).find((i) => i.data.commentId === second.commentId);
    const push = followerPushes.find((p) => p.data.commentId === second.commentId);
    expect(item).toMatchObject({ title: push?.notification?.title, body: "Hello again" });
    expect(item?.data).toEqual({
      type: "comment",
      postId: second.postId,
      commentId: second.commentId,
      authorId: commenter.uid,
    });
    const stored = await adminDb().doc(`notifications/${follower.uid}/items/${item?.id}`).get();
    expect(stored.get("expireAt")).toBeInstanceOf(Timestamp);
    expect((stored.get("expireAt") as Timestamp).toMillis()).toBeGreaterThan(Date.now() + 89 * 86_400_000);
  });
});

describe("feed items", () => {
  it("are written once per delivery and recipient, however often and however concurrently it is retried", async () => {
    const store = new NotificationStore(adminDb());
    const [a, b] = await users(2);
    if (!a || !b) throw new Error("no users");
    const entries = [a, b].map((user) => ({
      uid: user.uid,
      kind: "request",
      title: "Hi",
      body: null,
      data: { type: "request" },
    }));
    const expireAt = new Date(Date.now() + 86_400_000);
    const runs = await Promise.all(
      [1, 2, 3, 4].map(() => store.addItems("delivery-once", entries, expireAt)),
    );
    // Together the runs created each item once.
    expect(runs.flatMap((created) => [...created]).sort()).toEqual([a.uid, b.uid].sort());
    expect(await store.addItems("delivery-once", entries, expireAt)).toEqual(new Set());
    expect(await itemsOf(a.uid)).toHaveLength(1);
    expect(await unreadOf(a.uid)).toBe(1);
    expect(await unreadOf(b.uid)).toBe(1);
  });
});

describe("markNotificationsRead", () => {
  async function userWithItems(count: number) {
    const [user] = await users(1);
    if (!user) throw new Error("no user");
    const store = new NotificationStore(adminDb());
    const expireAt = new Date(Date.now() + 86_400_000);
    for (let i = 0; i < count; i++) {
      await store.addItems(
        `delivery-${i}`,
        [{ uid: user.uid, kind: "request", title: `#${i}`, body: null, data: { type: "request" } }],
        expireAt,
      );
    }
    return user;
  }

  it("marks the ids given, ignores unknown ones, and is idempotent", async () => {
    const user = await userWithItems(4);
    expect(await markRead(user, { ids: ["delivery-0", "delivery-1", "no-such-item"] })).toEqual({
      unread: 2,
    });
    expect(await markRead(user, { ids: ["delivery-0", "delivery-1"] })).toEqual({ unread: 2 });
    const items = await itemsOf(user.uid);
    expect(
      items
        .filter((item) => item.read)
        .map((item) => item.id)
        .sort(),
    ).toEqual(["delivery-0", "delivery-1"]);
    expect(await markRead(user, { all: true })).toEqual({ unread: 0 });
    expect(await markRead(user, { all: true })).toEqual({ unread: 0 });
    expect((await itemsOf(user.uid)).every((item) => item.read)).toBe(true);
  });

  it("never touches another user's items", async () => {
    const owner = await userWithItems(2);
    const [stranger] = await users(1);
    if (!stranger) throw new Error("no user");
    expect(await markRead(stranger, { ids: ["delivery-0", "delivery-1"] })).toEqual({ unread: 0 });
    expect(
      await markRead(stranger, { ids: [`../../${owner.uid}/items/delivery-0`] }).catch(
        (e: FunctionsError) => e.code,
      ),
    ).toBe("functions/invalid-argument");
    expect(await unreadOf(owner.uid)).toBe(2);
    expect((await itemsOf(owner.uid)).some((item) => item.read)).toBe(false);
  });

  it("keeps the count exact under concurrent mark-reads", async () => {
    const user = await userWithItems(6);
    await Promise.all([
      markRead(user, { ids: ["delivery-0", "delivery-1", "delivery-2"] }),
      markRead(user, { ids: ["delivery-1", "delivery-2", "delivery-3"] }),
      markRead(user, { ids: ["delivery-3", "delivery-4"] }),
    ]);
    expect(await unreadOf(user.uid)).toBe(1);
    expect(await markRead(user, { all: true })).toEqual({ unread: 0 });
    expect(await unreadOf(user.uid)).toBe(0);
  });

  it.each<[string, unknown, string]>([
    ["no ids", { ids: [] }, "ids"],
    ["501 ids", { ids: Array.from({ length: 501 }, (_, i) => `id-${i}`) }, "ids"],
    ["ids that are not strings", { ids: [1, 2] }, "ids.0"],
    ["both ids and all", { ids: ["delivery-0"], all: true }, "all"],
    ["all that is not true", { all: false }, "all"],
    ["neither", {}, ""],
    ["an unknown key", { ids: ["delivery-0"], everything: true }, "everything"],
  ])("refuses %s with invalid-argument, and changes nothing", async (_, data, path) => {
    const user = await userWithItems(1);
    const error = await markRead(user, data).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as FunctionsError).code).toBe("functions/invalid-argument");
    expect((error as FunctionsError).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path })]),
    );
    expect(await unreadOf(user.uid)).toBe(1);
    expect((await itemsOf(user.uid))[0]?.read).toBe(false);
  });

  it("sends each of the caller's devices a silent badge update when the count changed", async () => {
    const [author, reader, commenter] = await users(3);
    if (!author || !reader || !commenter) throw new Error("no users");
    const phone = await device(reader, { platform: "ios" });
    const tablet = await device(reader, { platform: "android" });
    await commentOnPost(author, [reader], commenter, "one");
    await commentOnPost(author, [reader], commenter, "two");
    expect(await markRead(reader, { ids: [(await itemsOf(reader.uid))[0]!.id] })).toEqual({ unread: 1 });

    const updates = await eventually(
      async () => (await received([phone, tablet])).filter((m) => m.data.type === "badge"),
      (found) => found.length >= 2,
    );
    expect(updates).toHaveLength(2);
    for (const update of updates) {
      expect(update.data).toEqual({ type: "badge", unread: "1" });
      expect(update.notification).toBeUndefined();
      expect(update.android?.notification).toBeUndefined();
    }
    const ios = updates.find((m) => m.token === phone.token);
    expect(ios?.apns?.payload?.aps).toEqual({ badge: 1, "content-available": 1 });
    // Nothing changed: no update.
    await markRead(reader, { ids: ["no-such-item"] });
    expect((await received([phone, tablet])).filter((m) => m.data.type === "badge")).toHaveLength(2);
  });
});
