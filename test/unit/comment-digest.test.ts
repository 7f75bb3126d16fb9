// A window's digest through the comment push's own state machine, with in-memory stores: one record and
// gate of its own, each recipient's own count, and above the task threshold the same slices, carrying
// only their recipients' counts. The same flows against the emulators: test/integration/comment-coalescing.test.ts.
import { sendDigest } from "../../functions/src/push/kinds/comment/coalesce/digest";
import type { SliceQueue, SliceTask } from "../../functions/src/push/sliceTask";
import type { CommentPushStores } from "../../functions/src/push/kinds/comment/stores";
import { sendSlice } from "../../functions/src/push/slice";
import {
  commentDigestKind,
  type DigestPushContent,
} from "../../functions/src/push/kinds/comment/coalesce/digestKind";
import type { DigestTask } from "../../functions/src/push/kinds/comment/coalesce/digestTask";
import { fakeCommentPushStores, fakeDevice, fastDeps, scriptedSender } from "../support/fakeCommentPush";

const task: DigestTask = {
  postId: "post-1",
  window: { windowId: "opener", after: 0, opensAt: 1_000, closesAt: 11_000 },
};

function world(followers: number) {
  const devices = Array.from({ length: followers }, (_, f) => fakeDevice(`follower-${f}`, `${f}`, "en"));
  devices.push(fakeDevice("author", "author", "ko-KR"));
  const subscribers = Array.from({ length: followers }, (_, f) => ({ uid: `follower-${f}`, muted: false }));
  const fake = fakeCommentPushStores({ devices, subscribers });
  const described: unknown[] = [];
  const windows: NonNullable<CommentPushStores["windows"]> = {
    decide: () => Promise.reject(new Error("not used by a digest")),
    recordCoalesced: () => Promise.reject(new Error("not used by a digest")),
    describeDigest: (id, fields) => {
      described.push({ id, ...fields });
      return Promise.resolve();
    },
    // follower-0 wrote two comments of the window, follower-1 the latest.
    windowComments: () =>
      Promise.resolve([
        { commentId: "c1", authorId: "follower-0", createdAt: 2_000 },
        { commentId: "c2", authorId: "follower-0", createdAt: 3_000 },
        { commentId: "c3", authorId: "follower-1", createdAt: 4_000 },
      ]),
    commentText: (_postId, commentId) => Promise.resolve(`text of ${commentId}`),
  };
  return { ...fake, stores: { ...fake.stores, windows }, described };
}

describe("sendDigest", () => {
  it("sends each recipient one digest with their own count, once", async () => {
    const { stores, deliveries, described } = world(3);
    const sender = scriptedSender();
    const deps = { ...fastDeps(stores, sender), stores };

    expect(await sendDigest(task, deps)).toMatchObject({
      kind: "delivered",
      status: "done",
      counts: { recipients: 4, tokens: 4, sent: 4 },
    });
    expect(await sendDigest(task, deps)).toMatchObject({ kind: "already-handled" });
    expect(sender.sent.sort()).toEqual(["token-0", "token-1", "token-2", "token-author"]);
    expect([...deliveries.keys()]).toHaveLength(1);
    expect(described).toEqual([
      expect.objectContaining({ windowId: "opener", comments: 3, lastCommentId: "c3" }),
    ]);
  });

  it("goes through slices above the task threshold, each carrying its recipients' counts", async () => {
    const { stores } = world(40);
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (slice) => {
        tasks.push(slice);
        return Promise.resolve("enqueued");
      },
    };
    const outcome = await sendDigest(task, { ...fastDeps(stores), stores, tasks: { threshold: 10, queue } });
    expect(outcome).toMatchObject({ kind: "enqueued", audience: 41 });
    expect(tasks.length).toBeGreaterThan(0);
    const digests = tasks.map((t) => (t.content as DigestPushContent).digest);
    const counts = Object.assign({}, ...digests.map((d) => d.counts)) as Record<string, number>;
    expect(counts).toMatchObject({ author: 3, "follower-0": 1, "follower-1": 2, "follower-2": 3 });
    for (const [i, t] of tasks.entries())
      expect(Object.keys(digests[i]?.counts ?? {}).sort()).toEqual([...t.slice.uids].sort());

    const sender = scriptedSender();
    for (const t of tasks) await sendSlice(t, commentDigestKind, fastDeps(stores, sender));
    expect(sender.sent).toHaveLength(41);
  });
});

// Issue 25 item 4: `n` counts only the comments a recipient would have been notified of. A subscriber whose
// `since` falls in the window is told only of the comments written after it (or after their own first
// comment of the window, which subscribed them a moment later); the post's author and the subscribers older
// than the window are told of them all.
describe("sendDigest and late subscribers", () => {
  const lateTask: DigestTask = {
    postId: "post-1",
    window: { windowId: "opener", after: 0, opensAt: 1_000, closesAt: 11_000 },
  };
  // uid → `since` (ms); "f0" and "f1" subscribed before the window.
  const since: Record<string, number> = { x: 4_600, y: 2_500, z: 12_000, w: 1_500 };

  function lateWorld() {
    const uids = ["f0", "f1", "x", "y", "z", "w"];
    const devices = [...uids, "author"].map((uid) => fakeDevice(uid, uid, "en"));
    const subscribers = uids.map((uid) => ({
      uid,
      muted: false,
      ...(since[uid] === undefined ? {} : { since: since[uid] }),
    }));
    const fake = fakeCommentPushStores({ devices, subscribers });
    const windows: NonNullable<CommentPushStores["windows"]> = {
      decide: () => Promise.reject(new Error("not used by a digest")),
      recordCoalesced: () => Promise.reject(new Error("not used by a digest")),
      describeDigest: () => Promise.resolve(),
      // w opened the window (pushed at once, not counted); x first commented late, after f1's c3.
      windowComments: () =>
        Promise.resolve([
          { commentId: "opener", authorId: "w", createdAt: 1_000, opener: true },
          { commentId: "c0", authorId: "f1", createdAt: 1_200 },
          { commentId: "c1", authorId: "f0", createdAt: 2_000 },
          { commentId: "c2", authorId: "f0", createdAt: 3_000 },
          { commentId: "c3", authorId: "f1", createdAt: 4_000 },
          { commentId: "c4", authorId: "x", createdAt: 4_500 },
        ]),
      commentText: (_postId, commentId) => Promise.resolve(`text of ${commentId}`),
    };
    return { ...fake, stores: { ...fake.stores, windows } };
  }

  // author: all 5; f0, f1: the 3 not theirs; x: none after its own first comment; y: c2, c3, c4 (after
  // 2_500); z: none (followed after the window); w: all 5 (its opener subscribed it at 1_000).
  const expected = { author: 5, f0: 3, f1: 3, y: 3, w: 5 };

  it("counts for each recipient only the comments written after they subscribed", async () => {
    const { stores } = lateWorld();
    const counts: Record<string, string> = {};
    const sender = {
      sendEach(messages: { token: string; data: Record<string, string> }[]) {
        for (const m of messages) counts[m.token.replace("token-", "")] = m.data.count ?? "";
        return Promise.resolve({ responses: messages.map(() => ({ success: true as const })) });
      },
    };
    const outcome = await sendDigest(lateTask, { ...fastDeps(stores), sender, stores });
    expect(outcome).toMatchObject({ kind: "delivered", status: "done", counts: { recipients: 5, sent: 5 } });
    expect(counts).toEqual(Object.fromEntries(Object.entries(expected).map(([uid, n]) => [uid, String(n)])));
  });

  it("gives each slice the same counts", async () => {
    const { stores } = lateWorld();
    const tasks: SliceTask[] = [];
    const queue: SliceQueue = {
      enqueue: (slice) => {
        tasks.push(slice);
        return Promise.resolve("enqueued");
      },
    };
    await sendDigest(lateTask, { ...fastDeps(stores), stores, tasks: { threshold: 2, queue } });
    const digests = tasks.map((t) => (t.content as DigestPushContent).digest);
    expect(Object.assign({}, ...digests.map((d) => d.counts))).toEqual(expected);
    expect(tasks.flatMap((t) => t.slice.uids).sort()).toEqual(Object.keys(expected).sort());
  });
});
