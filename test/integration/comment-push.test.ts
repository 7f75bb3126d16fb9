// The comment push end to end: users register devices through the registerDevice callable and write a
// post, subscriptions and comments through the client SDK; the trigger fires in the Functions emulator
// and sends through the FCM emulator, whose message log is what the users' devices would have received.
import { doc, getDoc } from "firebase/firestore";
import {
  cleanUp,
  comment,
  deviceData,
  finishedDeliveriesOf,
  messagesTo,
  registerDevice,
  setProfile,
  subscribe,
  waitOutWindowOf,
  writePost,
  type Device,
  type PushMessage,
} from "../support/commentPush";
import { adminDb, closeEmulatorConnections, signedInClient, type Client } from "../support/emulators";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};

afterEach(() => cleanUp(made));
afterAll(closeEmulatorConnections);

async function users(count: number): Promise<Client[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => signedInClient()));
  made.uids.push(...clients.map((client) => client.uid));
  return clients;
}

async function device(client: Client, options: Parameters<typeof registerDevice>[1] = {}): Promise<Device> {
  const registered = await registerDevice(client, options);
  made.devices.push(registered);
  return registered;
}

const byToken = (messages: PushMessage[]) => new Map(messages.map((message) => [message.token, message]));

describe("a new comment", () => {
  it("reaches every device of the author and the subscribers, once, and nobody else", async () => {
    const [author, follower, muted, optedOut, commenter] = await users(5);
    if (!author || !follower || !muted || !optedOut || !commenter) throw new Error("no users");
    await Promise.all([
      setProfile(author, "Ada"),
      setProfile(follower, "Bora"),
      setProfile(muted, "Chen"),
      setProfile(optedOut, "Dana", { comments: false }),
      setProfile(commenter, "Eunji"),
    ]);
    const authorPhone = await device(author, { platform: "android", locale: "en-US" });
    const authorBrowser = await device(author, { platform: "web" });
    const followerPhone = await device(follower, { platform: "ios", locale: "ko-KR" });
    const followerGone = await device(follower, { platform: "android", prefix: "unregistered" });
    const mutedPhone = await device(muted, { platform: "android", locale: "en-GB" });
    const optedOutPhone = await device(optedOut, { platform: "ios", locale: "ko" });
    const commenterPhone = await device(commenter, { platform: "android", locale: "ko-KR" });
    const everyToken = made.devices.map((d) => d.token);

    const postId = await writePost(author);
    made.postIds.push(postId);
    await Promise.all([
      subscribe(follower, postId, false),
      subscribe(muted, postId, true),
      subscribe(optedOut, postId, false),
    ]);

    const text = `${"좋은 글이네요! ".repeat(30)}끝`; // 271 code points
    const commentId = await comment(commenter, postId, text);
    made.commentIds.push(commentId);

    const [delivery, ...others] = await finishedDeliveriesOf(commentId);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({
      postId,
      commentId,
      status: "done",
      recipients: 2,
      tokens: 4,
      sent: 3,
      failed: 0,
      rejected: 1,
      retries: 0,
    });
    expect(delivery?.createdAt).toBeDefined();
    expect(delivery?.finishedAt).toBeDefined();

    const received = await messagesTo(everyToken);
    expect(received.map((m) => m.token).sort()).toEqual(
      [authorPhone.token, authorBrowser.token, followerPhone.token].sort(),
    );
    const messages = byToken(received);
    const data = { type: "comment", postId, commentId, authorId: commenter.uid };
    const platformFields = {
      data,
      // As FCM's v1 API receives it: firebase-admin sends `channelId` as `channel_id`.
      android: { notification: { channel_id: "comments", tag: postId } },
      apns: { payload: { aps: { "thread-id": postId } } },
    };
    expect(messages.get(authorPhone.token)).toMatchObject({
      notification: { title: "Eunji commented on your post" },
      ...platformFields,
    });
    expect(messages.get(authorBrowser.token)?.notification.title).toBe("Eunji commented on your post");
    expect(messages.get(followerPhone.token)).toMatchObject({
      notification: { title: "팔로우 중인 글에 Eunji님의 새 댓글" },
      ...platformFields,
    });
    const body = messages.get(authorPhone.token)?.notification.body ?? "";
    expect(Array.from(body)).toHaveLength(200);
    expect(body.endsWith("…")).toBe(true);
    expect(text.startsWith(body.slice(0, -1))).toBe(true);

    // The unregistered token is marked; the valid ones are not.
    expect((await deviceData(followerGone.deviceId))?.rejected).toMatchObject({
      code: "messaging/registration-token-not-registered",
    });
    for (const valid of [
      authorPhone,
      authorBrowser,
      followerPhone,
      mutedPhone,
      optedOutPhone,
      commenterPhone,
    ]) {
      expect((await deviceData(valid.deviceId))?.rejected).toBeUndefined();
    }

    // The commenter now follows the post, unmuted; reads go through the client as the app would.
    const subscription = await getDoc(doc(commenter.db, "posts", postId, "subscribers", commenter.uid));
    expect(subscription.data()).toMatchObject({ muted: false });

    // Next comment, by the muted subscriber: they stay muted, the commenter of before now hears about it,
    // and the rejected device is not sent to again. It is written after the first comment's coalescing
    // window (docs/coalescing.md), so it is pushed at once rather than folded into a digest.
    await waitOutWindowOf(postId);
    const secondId = await comment(muted, postId, "Short and sweet");
    made.commentIds.push(secondId);
    const [second] = await finishedDeliveriesOf(secondId);
    expect(second).toMatchObject({
      status: "done",
      recipients: 3,
      tokens: 4,
      sent: 4,
      failed: 0,
      rejected: 0,
    });
    const secondMessages = (await messagesTo(everyToken)).filter((m) => m.data.commentId === secondId);
    expect(secondMessages.map((m) => m.token).sort()).toEqual(
      [authorPhone.token, authorBrowser.token, followerPhone.token, commenterPhone.token].sort(),
    );
    expect(byToken(secondMessages).get(commenterPhone.token)?.notification).toEqual({
      title: "팔로우 중인 글에 Chen님의 새 댓글",
      body: "Short and sweet",
    });
    const mutedSubscription = await adminDb()
      .collection("posts")
      .doc(postId)
      .collection("subscribers")
      .doc(muted.uid)
      .get();
    expect(mutedSubscription.data()).toMatchObject({ muted: true });
  });

  it("from the post's author reaches the subscribers only, named as the server knows them", async () => {
    const [author, follower] = await users(2);
    if (!author || !follower) throw new Error("no users");
    await setProfile(author, "  The\tAuthor  ");
    // The follower has no users doc: not an opt-out.
    const authorPhone = await device(author, { locale: "en-US" });
    const followerPhone = await device(follower, { locale: "fr-FR", platform: "ios" });

    const postId = await writePost(author);
    made.postIds.push(postId);
    await subscribe(follower, postId, false);
    const commentId = await comment(author, postId, "Thanks for reading");
    made.commentIds.push(commentId);

    const [delivery] = await finishedDeliveriesOf(commentId);
    expect(delivery).toMatchObject({ status: "done", recipients: 1, tokens: 1, sent: 1 });
    const received = await messagesTo([authorPhone.token, followerPhone.token]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      token: followerPhone.token,
      notification: { title: "The Author commented on a post you follow", body: "Thanks for reading" },
    });
  });

  it("with nobody to tell still ends its delivery, sending nothing", async () => {
    const [author] = await users(1);
    if (!author) throw new Error("no users");
    const authorPhone = await device(author);
    const postId = await writePost(author);
    made.postIds.push(postId);
    const commentId = await comment(author, postId, "Talking to myself");
    made.commentIds.push(commentId);

    const [delivery] = await finishedDeliveriesOf(commentId);
    expect(delivery).toMatchObject({ status: "done", recipients: 0, tokens: 0, sent: 0 });
    expect(await messagesTo([authorPhone.token])).toEqual([]);
  });
});
