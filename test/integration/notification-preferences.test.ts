// Notification preferences end to end: users call setNotificationPreferences through the Functions
// emulator (the client SDK's callable), comments, follows and outbox requests fan out in the emulator as in
// production, and the FCM emulator's message log is what each device received: nothing of a kind a user
// turned off, from the call's return on; silent pushes inside a user's quiet hours, in their time zone.
import { randomUUID } from "node:crypto";
import { doc, serverTimestamp, setDoc } from "firebase/firestore";
import { FunctionsError } from "firebase/functions";
import {
  cleanUp,
  comment,
  finishedDeliveriesOf,
  deviceIn,
  usersIn,
  wireMessagesTo,
  setPreferences,
  setProfile,
  subscribe,
  waitOutWindowOf,
  writePost,
  type Device,
} from "../support/commentPush";
import {
  adminDb,
  anonymousClient,
  closeEmulatorConnections,
  eventually,
  type Client,
} from "../support/emulators";
import { deleteDeliveriesWhere, endedDeliveriesWhere } from "../support/kindPush";

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
  requests: [] as string[],
  follows: [] as [string, string][],
};

afterEach(async () => {
  const db = adminDb();
  await Promise.all([
    ...made.requests.flatMap((id) => [
      db.doc(`pushRequests/${id}`).delete(),
      deleteDeliveriesWhere("requestId", id),
    ]),
    ...made.follows.flatMap(([uid, follower]) => [
      db.doc(`pushFollowNotices/${uid}_${follower}`).delete(),
      db.doc(`users/${uid}/followers/${follower}`).delete(),
      deleteDeliveriesWhere("followerId", follower),
    ]),
  ]);
  made.requests.length = 0;
  made.follows.length = 0;
  await cleanUp(made);
});
afterAll(closeEmulatorConnections);

const users = (count: number) => usersIn(made, count);
const device = (client: Client, options: Parameters<typeof deviceIn>[2] = {}) =>
  deviceIn(made, client, options);

const received = wireMessagesTo;

async function follow(follower: Client, followed: Client): Promise<void> {
  made.follows.push([followed.uid, follower.uid]);
  await setDoc(doc(follower.db, "users", followed.uid, "followers", follower.uid), {
    createdAt: serverTimestamp(),
  });
}

async function request(data: Record<string, unknown>): Promise<string> {
  const id = `request-${randomUUID()}`;
  made.requests.push(id);
  await adminDb().doc(`pushRequests/${id}`).set(data);
  return id;
}

/** Waits until the request's delivery has ended; returns its `delivery` field. */
async function requestOutcome(id: string): Promise<{ state: string; counts: Record<string, number> }> {
  const outcome = await eventually(
    async () =>
      (await adminDb().doc(`pushRequests/${id}`).get()).get("delivery") as { state: string } | undefined,
    (delivery) => delivery !== undefined && delivery.state !== "PROCESSING",
    30_000,
    200,
  );
  if (!outcome) throw new Error(`pushRequests/${id} has no delivery`);
  return outcome as { state: string; counts: Record<string, number> };
}

/** "HH:MM" of `minutes` after local midnight, wrapped into a day. */
function hhmm(minutes: number): string {
  const wrapped = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(wrapped / 60)).padStart(2, "0")}:${String(wrapped % 60).padStart(2, "0")}`;
}

/** The local time in `timeZone` now, in minutes after midnight. */
function localNow(timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  })
    .formatToParts(Date.now())
    .reduce<Record<string, string>>((all, part) => ({ ...all, [part.type]: part.value }), {});
  return Number(parts.hour) * 60 + Number(parts.minute);
}

describe("setNotificationPreferences", () => {
  it("answers a new user with the defaults, then merges each change into what is stored", async () => {
    const [user] = await users(1);
    if (!user) throw new Error("no user");
    expect(await setPreferences(user, {})).toEqual({
      kinds: { comments: true, follows: true, announcements: true },
      quietHours: null,
    });
    expect(await setPreferences(user, { kinds: { comments: false } })).toEqual({
      kinds: { comments: false, follows: true, announcements: true },
      quietHours: null,
    });
    const quiet = { start: "22:00", end: "07:00", timeZone: "Asia/Seoul" };
    expect(await setPreferences(user, { quietHours: quiet, kinds: { follows: false } })).toEqual({
      kinds: { comments: false, follows: false, announcements: true },
      quietHours: quiet,
    });
    expect(await setPreferences(user, { kinds: { comments: true } })).toEqual({
      kinds: { comments: true, follows: false, announcements: true },
      quietHours: quiet,
    });
    const cleared = await setPreferences(user, { quietHours: null });
    expect(cleared.quietHours).toBeNull();
    // What the owner reads is what was answered.
    const stored = await adminDb().doc(`notifications/${user.uid}`).get();
    expect(stored.get("preferences")).toEqual(cleared);
  });

  it.each<[string, unknown, string]>([
    ["an unknown key", { kinds: {}, email: true }, "email"],
    ["an unknown kind", { kinds: { likes: false } }, "kinds.likes"],
    ["a switch that is not a boolean", { kinds: { comments: "off" } }, "kinds.comments"],
    [
      "a time of 25:00",
      { quietHours: { start: "25:00", end: "07:00", timeZone: "Asia/Seoul" } },
      "quietHours.start",
    ],
    [
      "an unknown zone",
      { quietHours: { start: "22:00", end: "07:00", timeZone: "Mars/Olympus" } },
      "quietHours.timeZone",
    ],
    [
      "start equal to end",
      { quietHours: { start: "07:00", end: "07:00", timeZone: "Asia/Seoul" } },
      "quietHours.end",
    ],
    ["quiet hours of the wrong type", { quietHours: 22 }, "quietHours"],
  ])("refuses %s with invalid-argument, naming it, and changes nothing", async (_, data, path) => {
    const [user] = await users(1);
    if (!user) throw new Error("no user");
    const before = await setPreferences(user, {
      kinds: { follows: false },
      quietHours: { start: "23:00", end: "06:00", timeZone: "Europe/Paris" },
    });
    const stored = await adminDb().doc(`notifications/${user.uid}`).get();

    const error = await setPreferences(user, data).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(FunctionsError);
    expect((error as FunctionsError).code).toBe("functions/invalid-argument");
    expect((error as FunctionsError).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path })]),
    );

    const after = await adminDb().doc(`notifications/${user.uid}`).get();
    expect(after.updateTime?.isEqual(stored.updateTime!)).toBe(true);
    expect(after.get("preferences")).toEqual(before);
  });

  it("refuses a caller who is not signed in, and writes nothing", async () => {
    const error = await anonymousClient()
      .call("setNotificationPreferences", { kinds: { comments: false } })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect((error as FunctionsError).code).toBe("functions/unauthenticated");
  });
});

describe("a kind turned off", () => {
  it("stops comment pushes and digests from the very next comment, and they come back when turned on", async () => {
    const [author, follower, commenter] = await users(3);
    if (!author || !follower || !commenter) throw new Error("no users");
    await Promise.all([setProfile(author, "Ana"), setProfile(follower, "Fay"), setProfile(commenter, "Cy")]);
    const [authorPhone, followerPhone] = await Promise.all([
      device(author),
      device(follower, { platform: "ios" }),
    ]);
    const postId = await writePost(author);
    made.postIds.push(postId);
    await subscribe(follower, postId, false);

    // Off, and at once a comment: it opens a window (a push now), the next one is folded into the digest.
    await setPreferences(follower, { kinds: { comments: false } });
    const first = await comment(commenter, postId, "first");
    made.commentIds.push(first);
    const [pushed] = await finishedDeliveriesOf(first);
    expect(pushed).toMatchObject({ status: "done", recipients: 1 });
    const second = await comment(commenter, postId, "second");
    made.commentIds.push(second);
    const digest = await eventually(
      () => received([authorPhone]),
      (messages) => messages.some((m) => m.data.type === "comment_digest"),
      40_000,
      250,
    );
    expect(digest.map((m) => m.data.type).sort()).toEqual(["comment", "comment_digest"]);
    expect(await received([followerPhone])).toEqual([]);

    // On again: the next comment (a new window) reaches them.
    await setPreferences(follower, { kinds: { comments: true } });
    await waitOutWindowOf(postId);
    const third = await comment(commenter, postId, "third");
    made.commentIds.push(third);
    const [again] = await finishedDeliveriesOf(third);
    expect(again).toMatchObject({ status: "done", recipients: 2 });
    expect((await received([followerPhone])).map((m) => m.data.commentId)).toEqual([third]);
  });

  it("stops follow pushes, and they come back when turned on", async () => {
    const [followed, first, second] = await users(3);
    if (!followed || !first || !second) throw new Error("no users");
    const phone = await device(followed);
    await setPreferences(followed, { kinds: { follows: false } });
    await follow(first, followed);
    const [skipped] = await endedDeliveriesWhere("followerId", first.uid);
    expect(skipped).toMatchObject({ kind: "follow", status: "done", recipients: 0, sent: 0 });
    expect(await received([phone])).toEqual([]);

    await setPreferences(followed, { kinds: { follows: true } });
    await follow(second, followed);
    const [delivered] = await endedDeliveriesWhere("followerId", second.uid);
    expect(delivered).toMatchObject({ kind: "follow", status: "done", recipients: 1, sent: 1 });
    expect((await received([phone])).map((m) => m.data.followerId)).toEqual([second.uid]);
  });

  it("stops outbox requests of that key (announcements by default, or the one a request names)", async () => {
    const [off, on] = await users(2);
    if (!off || !on) throw new Error("no users");
    const [offPhone, onPhone] = await Promise.all([device(off), device(on)]);
    await setPreferences(off, { kinds: { announcements: false } });
    const announcement = await request({ toUids: [off.uid, on.uid], title: "Maintenance tonight" });
    expect(await requestOutcome(announcement)).toMatchObject({
      state: "SUCCESS",
      counts: { recipients: 1, sent: 1 },
    });
    expect(await received([offPhone])).toEqual([]);
    // A request under another key still reaches them.
    const followsKey = await request({
      toUids: [off.uid],
      title: "Someone you know joined",
      kind: "follows",
    });
    expect(await requestOutcome(followsKey)).toMatchObject({
      state: "SUCCESS",
      counts: { recipients: 1, sent: 1 },
    });

    await setPreferences(off, { kinds: { announcements: true } });
    const again = await request({ toUids: [off.uid], title: "Maintenance is over" });
    expect(await requestOutcome(again)).toMatchObject({
      state: "SUCCESS",
      counts: { recipients: 1, sent: 1 },
    });
    expect((await received([offPhone])).map((m) => m.data.requestId).sort()).toEqual(
      [followsKey, again].sort(),
    );
    expect((await received([onPhone])).map((m) => m.data.requestId)).toEqual([announcement]);
  });
});

describe("quiet hours", () => {
  it("make a push silent on Android, iOS and Web while they hold in the user's zone, and leave others loud", async () => {
    const [author, sleeper, awake, commenter] = await users(4);
    if (!author || !sleeper || !awake || !commenter) throw new Error("no users");
    await setProfile(commenter, "Cy");
    // Asia/Seoul: quiet from an hour ago to an hour from now. America/New_York: two to three hours from now.
    const seoul = localNow("Asia/Seoul");
    await setPreferences(sleeper, {
      quietHours: { start: hhmm(seoul - 60), end: hhmm(seoul + 60), timeZone: "Asia/Seoul" },
    });
    const newYork = localNow("America/New_York");
    await setPreferences(awake, {
      quietHours: { start: hhmm(newYork + 120), end: hhmm(newYork + 180), timeZone: "America/New_York" },
    });
    const sleeperDevices = await Promise.all(
      (["android", "ios", "web"] as const).map((platform) => device(sleeper, { platform, locale: "ko-KR" })),
    );
    const awakeDevices = await Promise.all(
      (["android", "ios", "web"] as const).map((platform) => device(awake, { platform })),
    );
    const postId = await writePost(author);
    made.postIds.push(postId);
    await Promise.all([subscribe(sleeper, postId, false), subscribe(awake, postId, false)]);

    const commentId = await comment(commenter, postId, "Are you up?");
    made.commentIds.push(commentId);
    await finishedDeliveriesOf(commentId);

    const silent = await received(sleeperDevices);
    expect(silent).toHaveLength(3);
    for (const message of silent) {
      // Delivered with its texts, marked quiet for the app.
      expect(message.notification?.title).toBe("팔로우 중인 글에 Cy님의 새 댓글");
      expect(message.data).toMatchObject({ type: "comment", commentId, quiet: "true" });
      expect(message.android?.notification).toMatchObject({
        channel_id: "quiet",
        notification_priority: "PRIORITY_LOW",
      });
      expect(message.apns?.payload?.aps).toMatchObject({ "interruption-level": "passive" });
      expect(message.apns?.payload?.aps).not.toHaveProperty("sound");
      expect(message.webpush?.notification).toEqual({ silent: true });
    }

    const loud = await received(awakeDevices);
    expect(loud).toHaveLength(3);
    for (const message of loud) {
      expect(message.data).not.toHaveProperty("quiet");
      expect(message.android?.notification).toMatchObject({ channel_id: "comments" });
      expect(message.android?.notification).not.toHaveProperty("notification_priority");
      expect(message.apns?.payload?.aps).not.toHaveProperty("interruption-level");
      expect(message.webpush?.notification).toBeUndefined();
    }
  });

  it("make a follow and an outbox push silent too (every kind goes through the same send)", async () => {
    const [sleeper, follower] = await users(2);
    if (!sleeper || !follower) throw new Error("no users");
    const seoul = localNow("Asia/Seoul");
    await setPreferences(sleeper, {
      quietHours: { start: hhmm(seoul - 1), end: hhmm(seoul + 120), timeZone: "Asia/Seoul" },
    });
    const phone = await device(sleeper, { platform: "android" });
    await follow(follower, sleeper);
    await endedDeliveriesWhere("followerId", follower.uid);
    const id = await request({ toUids: [sleeper.uid], title: "Hello" });
    await requestOutcome(id);
    const messages = await received([phone]);
    expect(
      messages.map((m) => [m.data.type, m.data.quiet, m.android?.notification?.channel_id]).sort(),
    ).toEqual([
      ["follow", "true", "quiet"],
      ["request", "true", "quiet"],
    ]);
  });
});
