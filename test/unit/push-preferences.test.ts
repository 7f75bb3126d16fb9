// Preferences inside the engine, with in-memory stores: a recipient who turned a kind off gets nothing, one
// in quiet hours gets the push silent, decided where each message is sent (a direct fan-out's page, a
// digest's page, a slice at its own run) from the settings read there. End to end against the emulators:
// test/integration/notification-preferences.test.ts.
import { fanOutComment } from "../../functions/src/push/kinds/comment/fanOut";
import { sendDigest } from "../../functions/src/push/kinds/comment/coalesce/digest";
import { commentKind } from "../../functions/src/push/kinds/comment/comment";
import type { CommentPushStores } from "../../functions/src/push/kinds/comment/stores";
import { sendSlice } from "../../functions/src/push/slice";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import type { PreferenceKey } from "../../functions/src/push/kind";
import type { QuietHours } from "../../functions/src/notifications/quietHours";
import {
  commentEvent,
  fakeCommentPushStores,
  fakeDevice,
  fastDeps,
  scriptedSender,
} from "../support/fakeCommentPush";

/** 12:00 UTC: 21:00 in Seoul, 07:00 in New York (EST). */
const NOON_UTC = Date.parse("2026-12-05T12:00:00Z");
const seoulEvening: QuietHours = { start: "20:00", end: "08:00", timeZone: "Asia/Seoul" };
const newYorkNight: QuietHours = { start: "22:00", end: "06:00", timeZone: "America/New_York" };

function world(followers: number) {
  const devices = Array.from({ length: followers }, (_, f) => fakeDevice(`follower-${f}`, `${f}`, "en"));
  const subscribers = Array.from({ length: followers }, (_, f) => ({ uid: `follower-${f}`, muted: false }));
  const preferences = new Map<string, { off?: PreferenceKey[]; quietHours?: QuietHours }>([
    ["follower-0", { quietHours: seoulEvening }],
    ["follower-1", { quietHours: newYorkNight }],
    ["follower-2", { off: ["comments"] }],
    ["follower-3", { off: ["follows", "announcements"], quietHours: seoulEvening }],
  ]);
  const fake = fakeCommentPushStores({ devices, subscribers, preferences });
  const windows: NonNullable<CommentPushStores["windows"]> = {
    decide: () => Promise.resolve({ kind: "push" }) as never,
    recordCoalesced: () => Promise.reject(new Error("not used")),
    describeDigest: () => Promise.resolve(),
    windowComments: () => Promise.resolve([{ commentId: "c1", authorId: "someone", createdAt: 2_000 }]),
    commentText: () => Promise.resolve("text"),
  };
  return {
    ...fake,
    stores: { ...fake.stores, windows: undefined },
    digestStores: { ...fake.stores, windows },
    preferences,
  };
}

const quietOf = (
  messages: {
    token: string;
    data: Record<string, string>;
    android: { notification: { channelId: string } };
  }[],
) =>
  Object.fromEntries(
    messages.map((m) => [m.token, m.data.quiet === "true" && m.android.notification.channelId === "quiet"]),
  );

describe("preferences in a fan-out", () => {
  it("leaves out who turned comments off, and silences who is in quiet hours at the send", async () => {
    const { stores } = world(6);
    const sender = scriptedSender();
    const outcome = await fanOutComment(commentEvent(), {
      ...fastDeps(stores, sender),
      wallClock: () => NOON_UTC,
    });
    expect(outcome).toMatchObject({ kind: "delivered", counts: { recipients: 6, sent: 5 } }); // the post's author has no device
    expect(quietOf(sender.messages as never)).toEqual({
      "token-0": true, // 21:00 in Seoul
      "token-1": false, // 07:00 in New York: the night is over
      "token-3": true, // follows and announcements off, comments on
      "token-4": false,
      "token-5": false,
    });
  });

  it("a digest decides per recipient at its own send time", async () => {
    const { digestStores } = world(4);
    const task = {
      postId: "post-1",
      window: { windowId: "opener", after: 0, opensAt: 1_000, closesAt: 11_000 },
    };
    const sender = scriptedSender();
    // 04:00 in New York: inside follower-1's night; 18:00 in Seoul: outside follower-0's evening.
    const at = Date.parse("2026-12-05T09:00:00Z");
    await sendDigest(task, { ...fastDeps(digestStores, sender), stores: digestStores, wallClock: () => at });
    expect(quietOf(sender.messages as never)).toEqual({
      "token-0": false,
      "token-1": true,
      "token-3": false,
    });
  });

  it("a slice reads the settings when it runs: a switch turned off since the plan, and the quiet hours then", async () => {
    const { stores, preferences } = world(40);
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (task) => {
        tasks.push(task);
        return Promise.resolve("enqueued");
      },
    };
    await fanOutComment(commentEvent(), { ...fastDeps(stores), tasks: { threshold: 10, queue } });
    expect(tasks.length).toBeGreaterThan(0);
    // After the plan: follower-5 turns comments off, follower-6 sets quiet hours.
    preferences.set("follower-5", { off: ["comments"] });
    preferences.set("follower-6", { quietHours: newYorkNight });
    const sender = scriptedSender();
    const at = Date.parse("2026-12-05T09:00:00Z"); // 04:00 in New York, 18:00 in Seoul
    for (const task of tasks)
      await sendSlice(task, commentKind, { ...fastDeps(stores, sender), wallClock: () => at });
    const quiet = quietOf(sender.messages);
    expect(quiet["token-5"]).toBeUndefined();
    expect(quiet["token-2"]).toBeUndefined();
    expect(quiet).toMatchObject({ "token-0": false, "token-1": true, "token-6": true, "token-7": false });
    expect(Object.keys(quiet)).toHaveLength(38); // 40 less follower-2 and follower-5
  });
});
