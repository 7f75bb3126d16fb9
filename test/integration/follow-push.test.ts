// The follow kind end to end: a follower signed in through the Auth emulator creates
// `users/{uid}/followers/{followerUid}` with the client SDK, the trigger fires in the Functions emulator,
// and the followed user's devices (seeded as registerDevice leaves them) get their push from the FCM
// emulator, whose message log is what they would have received.
import { deleteDoc, doc, serverTimestamp, setDoc } from "firebase/firestore";
import { messagesTo, setProfile, type PushMessage } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, signedInClient, type Client } from "../support/emulators";
import {
  deleteDeliveriesWhere,
  deleteDevices,
  endedDeliveriesWhere,
  seedDevicesOf,
  type SeededDevice,
} from "../support/kindPush";

const made = { devices: [] as SeededDevice[], uids: [] as string[], follows: [] as [string, string][] };

afterEach(async () => {
  const db = adminDb();
  await deleteDevices(made.devices);
  await Promise.all([
    ...made.uids.map((uid) => db.recursiveDelete(db.collection("users").doc(uid))),
    ...made.uids.map((uid) => db.recursiveDelete(db.collection("notifications").doc(uid))),
    ...made.uids.map((uid) => deleteDeliveriesWhere("uid", uid)),
    ...made.follows.map(([uid, follower]) => db.doc(`pushFollowNotices/${uid}_${follower}`).delete()),
  ]);
  made.devices.length = 0;
  made.uids.length = 0;
  made.follows.length = 0;
});
afterAll(closeEmulatorConnections);

async function users(count: number): Promise<Client[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => signedInClient()));
  made.uids.push(...clients.map((client) => client.uid));
  return clients;
}

async function devicesOf(client: Client, locales: (string | null)[]): Promise<SeededDevice[]> {
  const seeded = await seedDevicesOf(client.uid, locales);
  made.devices.push(...seeded);
  return seeded;
}

/** `follower` follows `followed`, as the app does it. */
async function follow(follower: Client, followed: Client): Promise<void> {
  made.follows.push([followed.uid, follower.uid]);
  await setDoc(doc(follower.db, "users", followed.uid, "followers", follower.uid), {
    createdAt: serverTimestamp(),
  });
}

async function unfollow(follower: Client, followed: Client): Promise<void> {
  await deleteDoc(doc(follower.db, "users", followed.uid, "followers", follower.uid));
}

const tokensOf = (devices: SeededDevice[]) => devices.map((device) => device.token);
const byToken = (messages: PushMessage[]) => new Map(messages.map((message) => [message.token, message]));

describe("a new follower", () => {
  it("notifies every device of the followed user once, in its language", async () => {
    const [followed, follower, bystander] = await users(3);
    if (!followed || !follower || !bystander) throw new Error("no users");
    await setProfile(follower, "Bora");
    const [english, korean, french, none] = await devicesOf(followed, ["en-US", "ko-KR", "fr-FR", null]);
    const [bystanderPhone] = await devicesOf(bystander, ["en-US"]);
    const [followerPhone] = await devicesOf(follower, ["ko"]);
    if (!english || !korean || !french || !none || !bystanderPhone || !followerPhone)
      throw new Error("no devices");

    await follow(follower, followed);

    const [delivery, ...others] = await endedDeliveriesWhere("followerId", follower.uid);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({
      kind: "follow",
      uid: followed.uid,
      followerId: follower.uid,
      status: "done",
      recipients: 1,
      tokens: 4,
      sent: 4,
      failed: 0,
      rejected: 0,
    });

    const received = await messagesTo(tokensOf(made.devices));
    expect(received.map((message) => message.token).sort()).toEqual(
      tokensOf([english, korean, french, none]).sort(),
    );
    const messages = byToken(received);
    const common = {
      // With the badge: the followed user's unread count, this follow's feed item included.
      data: { type: "follow", uid: followed.uid, followerId: follower.uid, unread: "1" },
      // As FCM's v1 API receives it: firebase-admin sends `channelId` as `channel_id`.
      android: { notification: { channel_id: "follows" } },
      apns: { payload: { aps: { "thread-id": "followers", badge: 1 } } },
    };
    for (const device of [english, french, none]) {
      expect(messages.get(device.token)).toMatchObject({
        notification: { title: "Bora started following you" },
        ...common,
      });
    }
    expect(messages.get(korean.token)).toMatchObject({
      notification: { title: "Bora님이 회원님을 팔로우하기 시작했습니다" },
      ...common,
    });
    // The data is exactly the contract's: nothing else rides along.
    expect(messages.get(english.token)?.data).toEqual(common.data);
  });

  it("names a follower without a display name Someone / 누군가", async () => {
    const [followed, follower] = await users(2);
    if (!followed || !follower) throw new Error("no users");
    const [english, korean] = await devicesOf(followed, ["en-GB", "ko"]);
    if (!english || !korean) throw new Error("no devices");

    await follow(follower, followed);

    await endedDeliveriesWhere("followerId", follower.uid);
    const messages = byToken(await messagesTo(tokensOf([english, korean])));
    expect(messages.get(english.token)?.notification.title).toBe("Someone started following you");
    expect(messages.get(korean.token)?.notification.title).toBe(
      "누군가님이 회원님을 팔로우하기 시작했습니다",
    );
  });

  it("notifies once through a follow, unfollow, follow loop", async () => {
    const [followed, follower] = await users(2);
    if (!followed || !follower) throw new Error("no users");
    await setProfile(follower, "Loop");
    const phones = await devicesOf(followed, ["en-US", "ko-KR"]);

    await follow(follower, followed);
    await endedDeliveriesWhere("followerId", follower.uid);
    await unfollow(follower, followed);
    await follow(follower, followed);
    await unfollow(follower, followed);
    await follow(follower, followed);

    // Three follows, three deliveries: the first sent, the others ended without sending.
    const deliveries = await endedDeliveriesWhere("followerId", follower.uid, 3);
    expect(deliveries).toHaveLength(3);
    expect(deliveries.map((delivery) => [String(delivery.status), Number(delivery.sent ?? 0)])).toEqual([
      ["done", 2],
      ["done", 0],
      ["done", 0],
    ]);
    const received = await messagesTo(tokensOf(phones));
    expect(received.map((message) => message.token).sort()).toEqual(tokensOf(phones).sort());

    // Another follower of the same user is not held back by the first one's notice.
    const [second] = await users(1);
    if (!second) throw new Error("no users");
    await follow(second, followed);
    await endedDeliveriesWhere("followerId", second.uid);
    expect(
      (await messagesTo(tokensOf(phones))).filter((message) => message.data.followerId === second.uid),
    ).toHaveLength(2);
  });

  it("notifies once when the loop is quicker than the pushes", async () => {
    const [followed, follower] = await users(2);
    if (!followed || !follower) throw new Error("no users");
    const phones = await devicesOf(followed, ["en-US", "ko-KR"]);

    // Each step waits only for the write, as a user tapping the button would: the triggers run together.
    for (const step of [follow, unfollow, follow, unfollow, follow]) await step(follower, followed);

    const deliveries = await endedDeliveriesWhere("followerId", follower.uid, 3);
    expect(deliveries).toHaveLength(3);
    expect(deliveries.every((delivery) => delivery.status === "done")).toBe(true);
    expect(deliveries.map((delivery) => Number(delivery.sent ?? 0)).sort()).toEqual([0, 0, 2]);
    const received = await messagesTo(tokensOf(phones));
    expect(received.map((message) => message.token).sort()).toEqual(tokensOf(phones).sort());
  });

  it("cannot be the user themselves: the rules refuse it and nothing is sent", async () => {
    const [user] = await users(1);
    if (!user) throw new Error("no users");
    const phones = await devicesOf(user, ["en-US"]);

    await expect(
      setDoc(doc(user.db, "users", user.uid, "followers", user.uid), { createdAt: serverTimestamp() }),
    ).rejects.toMatchObject({ code: "permission-denied" });
    expect((await adminDb().doc(`users/${user.uid}/followers/${user.uid}`).get()).exists).toBe(false);
    // An Admin SDK write the rules cannot stop: its delivery ends without sending.
    made.follows.push([user.uid, user.uid]);
    await adminDb().doc(`users/${user.uid}/followers/${user.uid}`).set({ createdAt: new Date() });
    const [delivery] = await endedDeliveriesWhere("followerId", user.uid);
    expect(delivery).toMatchObject({ status: "done", sent: 0, tokens: 0 });
    expect(await messagesTo(tokensOf(phones))).toEqual([]);
  });
});
